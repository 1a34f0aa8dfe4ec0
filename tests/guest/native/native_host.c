/*
 * native_host.c: the host side of the guest libc on x86-64 Linux, for tests only. The
 * process entry packs argv into the blob a guest receives and calls crt0's entry point
 * (compiled as __corral_guest_start); host calls are system calls; sbrk hands out a
 * static arena the way the PVM heap grows (returns the old top, NULL when full).
 */
#include <corral_guest.h>
#include <stddef.h>
#include <string.h>

void __corral_guest_start(const char *args, unsigned long length);
void __corral_native_entry(long *stack);

static long syscall3(long number, long a, long b, long c)
{
	long result;
	__asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return result;
}

long corral_write(int fd, const void *buf, unsigned long len)
{
	long n = syscall3(1, fd, (long)buf, (long)len);
	return n < 0 ? -1 : n;
}

long corral_read(int fd, void *buf, unsigned long len)
{
	long n = syscall3(0, fd, (long)buf, (long)len);
	return n < 0 ? -1 : n;
}

void corral_exit(int code)
{
	syscall3(231, code, 0, 0);
	__builtin_unreachable();
}

#define ARENA_SIZE ((size_t)256 << 20)

static char arena[ARENA_SIZE] __attribute__((aligned(4096)));
static size_t arena_top;

void *corral_sbrk(unsigned long increment)
{
	if (increment > ARENA_SIZE - arena_top)
		return NULL;
	void *old = arena + arena_top;
	arena_top += increment;
	return old;
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call __corral_native_entry\n"
	"	hlt\n");

void __corral_native_entry(long *stack)
{
	static char blob[1 << 16];
	int argc = (int)stack[0];
	char **argv = (char **)(stack + 1);
	size_t length = 0;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		if (n > sizeof blob - length)
			break;
		memcpy(blob + length, argv[i], n);
		length += n;
	}
	__corral_guest_start(blob, length);
}
