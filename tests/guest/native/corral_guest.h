/*
 * A stand-in for guest/include/corral_guest.h that lets the guest libc run on the build
 * machine (x86-64 Linux): the host calls become system calls and the heap a static arena.
 * tests/guest/check.sh uses it to run every program against the guest libc natively.
 */
#ifndef CORRAL_GUEST_H
#define CORRAL_GUEST_H

#define CORRAL_EXPORT(name)

long corral_write(int fd, const void *buf, unsigned long len);
long corral_read(int fd, void *buf, unsigned long len);
__attribute__((noreturn)) void corral_exit(int code);
void *corral_sbrk(unsigned long increment);

#endif
