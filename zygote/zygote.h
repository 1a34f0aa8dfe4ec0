/* What the zygote's files share: raw system calls, the kernel structures
 * musl's headers do not give, and the state the start-up hands to the
 * serving loop.
 *
 * The zygote has no C library at run time: musl's headers give it types,
 * constants and system call numbers, and every system call is made here
 * with the `syscall` instruction, so that the list of calls it makes is
 * exactly what the source says (and what host/seccomp.c allows after
 * start-up). */
#ifndef ZYGOTE_ZYGOTE_H
#define ZYGOTE_ZYGOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* memcpy and memset: zygote/start.c defines them */
#include <sys/syscall.h>

#include "zygote/protocol.h"

/* Every symbol is the program's own: its address is taken RIP-relative,
 * never through the GOT, whose relaxed form cannot reach 16 TiB. */
#pragma GCC visibility push(hidden)

static inline long zygote_syscall6(long number, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long result;
	__asm__ volatile("syscall"
			 : "=a"(result)
			 : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return result;
}

static inline long zygote_syscall3(long number, long a, long b, long c)
{
	return zygote_syscall6(number, a, b, c, 0, 0, 0);
}

static inline long zygote_syscall0(long number)
{
	return zygote_syscall6(number, 0, 0, 0, 0, 0, 0);
}

__attribute__((noreturn)) static inline void zygote_exit(int status)
{
	for (;;)
		zygote_syscall3(SYS_exit_group, status, 0, 0);
}

/* The shared region, mapped at ZYGOTE_SHARED_ADDRESS. */
static inline struct zygote_control *zygote_control(void)
{
	return (struct zygote_control *)(uintptr_t)(ZYGOTE_SHARED_ADDRESS + ZYGOTE_ANCHOR_OFFSET);
}

/* FUTEX_WAKE of every waiter on a shared (not private) futex word. */
static inline void zygote_futex_wake(uint32_t *word)
{
	zygote_syscall6(SYS_futex, (long)word, 1 /* FUTEX_WAKE */, 1, 0, 0, 0);
}

/* Tells the host the zygote has news: `completed` moves, and the host is
 * woken if it sleeps on it. */
static inline void zygote_completed(void)
{
	struct zygote_control *control = zygote_control();
	__atomic_fetch_add(&control->completed, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&control->host_waiting, __ATOMIC_SEQ_CST))
		zygote_futex_wake(&control->completed);
}

/* How often a sleeping zygote looks whether its host is still there. */
#define ZYGOTE_IDLE_SECONDS 1

/* zygote/start.c, for every image: the soft CPU-time limit's handler, and
 * the exit of a zygote whose host closed its end of the channel. */
void zygote_on_cpu_limit(int signal, void *info, void *context);
void zygote_check_host(void);

/* The image's own (zygote/serve.c, zygote/prepare.c): the fault handler
 * start-up installs, and the loop it ends in. */
void zygote_on_fault(int signal, void *info, void *context);
__attribute__((noreturn)) void zygote_serve(void);

#ifdef ZYGOTE_ATTACKS
/* zygote/attacks.c: tries escape args[0] (enum zygote_attack); fills the
 * completion with what the attempt returned if it was not killed. False:
 * post no completion. */
bool zygote_attack(const struct zygote_sqe *request, struct zygote_cqe *completion);
#endif

#pragma GCC visibility pop

#endif
