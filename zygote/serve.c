/* The zygote at work: it takes the host's requests off the submission
 * ring, in order, and answers each on the completion ring. Only the
 * system calls host/seccomp.c allows are made here: futex, recvmsg on the
 * channel, close, mmap of code, munmap of code, mprotect of guest pages,
 * and exit_group when a fault outside compiled code leaves no way on.
 *
 * Everything in the shared region is the host's to trust or not: the
 * zygote believes what it reads there, since the host is the only other
 * party and the host checks what comes back. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "zygote/zygote.h"

/* How long a zygote with nothing to do spins before it sleeps: about
 * tens of microseconds of `pause` (no clock: rdtsc faults here). */
#define SPINS 2048

/* An idle zygote wakes this often to see whether the host is still there. */

#define FUTEX_WAIT 0

/* The compiled code mapped at ZYGOTE_CODE_ADDRESS (code_size 0: none), and
 * what the fault handler records during a run. */
static uint64_t code_size, code_fault_offset;
static volatile int running;
static volatile uint64_t fault_signal, fault_offset, fault_address;

static uint8_t *code(void)
{
	return (uint8_t *)(uintptr_t)ZYGOTE_CODE_ADDRESS;
}

/* A fault in compiled code leaves through its fault trampoline, which
 * records the exit kind in the context; the host finds the instruction
 * from the native offset. Any other fault means the zygote itself is
 * broken (or under attack): it ends. */
void zygote_on_fault(int signal, void *information, void *context)
{
	const siginfo_t *info = information;
	ucontext_t *machine = context;
	uint64_t rip = (uint64_t)machine->uc_mcontext.gregs[REG_RIP];
	uint64_t base = (uint64_t)(uintptr_t)code();
	if (running && fault_signal == 0 && info->si_code > 0 && rip - base < code_size) {
		fault_signal = (uint64_t)signal;
		fault_offset = rip - base;
		fault_address = (uint64_t)(uintptr_t)info->si_addr;
		machine->uc_mcontext.gregs[REG_RIP] = (greg_t)(base + code_fault_offset);
		return;
	}
	zygote_exit(ZYGOTE_EXIT_FAULT_BASE + signal);
}

/* args[0]: the size, args[1]: the fault trampoline's offset. The fd is
 * taken off the channel first whatever the arguments, so that the
 * channel and the ring stay in step. */
static int32_t map_code(const struct zygote_sqe *request)
{
	char byte;
	struct iovec data = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr message = {
		.msg_iov = &data,
		.msg_iovlen = 1,
		.msg_control = &control,
		.msg_controllen = sizeof control,
	};
	long got = zygote_syscall3(SYS_recvmsg, ZYGOTE_CHANNEL_FD, (long)&message, 0);
	if (got < 0)
		return (int32_t)got;
	struct cmsghdr *header = CMSG_FIRSTHDR(&message);
	if (got == 0 || (message.msg_flags & MSG_CTRUNC) || !header || header->cmsg_level != SOL_SOCKET ||
	    header->cmsg_type != SCM_RIGHTS || header->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EBADMSG;
	int fd;
	memcpy(&fd, CMSG_DATA(header), sizeof fd);

	uint64_t size = request->args[0], fault = request->args[1];
	int32_t result = 0;
	if (size == 0 || size > ZYGOTE_CODE_MAX || fault >= size)
		result = -EINVAL;
	if (result == 0 && code_size) {
		zygote_syscall3(SYS_munmap, (long)code(), (long)code_size, 0);
		code_size = 0;
	}
	if (result == 0) {
		long mapped = zygote_syscall6(SYS_mmap, (long)code(), (long)size, PROT_READ | PROT_EXEC,
					      MAP_SHARED | MAP_FIXED, fd, 0);
		if (mapped < 0 && mapped > -4096)
			result = (int32_t)mapped;
		else {
			code_size = size;
			code_fault_offset = fault;
		}
	}
	zygote_syscall3(SYS_close, fd, 0, 0);
	return result;
}

/* args: [0] address, [1] length, [2] enum zygote_access; never executable. */
static int32_t protect(const struct zygote_sqe *request)
{
	static const int prot_of[] = {
		[ZYGOTE_ACCESS_NONE] = PROT_NONE,
		[ZYGOTE_ACCESS_READ] = PROT_READ,
		[ZYGOTE_ACCESS_WRITE] = PROT_READ | PROT_WRITE,
	};
	uint64_t address = request->args[0], length = request->args[1], access = request->args[2];
	if ((address | length) % 4096 || address < ZYGOTE_GUEST_LOW || address > ZYGOTE_GUEST_END ||
	    length > ZYGOTE_GUEST_END - address || access > ZYGOTE_ACCESS_WRITE)
		return -EINVAL;
	if (length == 0)
		return 0;
	return (int32_t)zygote_syscall3(SYS_mprotect, (long)address, (long)length, prot_of[access]);
}

/* enter(anchor, target): the compiled code returns here through an exit
 * trampoline (possibly the fault one, the handler having sent it there). */
static int32_t run(const struct zygote_sqe *request, struct zygote_cqe *completion)
{
	uint64_t enter_offset = request->args[0], target = request->args[1];
	if (code_size == 0)
		return -ENOEXEC;
	if (enter_offset >= code_size || target >= code_size)
		return -EINVAL;
	void (*enter)(uint8_t *, const void *) = (void (*)(uint8_t *, const void *))(code() + enter_offset);
	fault_signal = fault_offset = fault_address = 0;
	running = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	enter((uint8_t *)(uintptr_t)(ZYGOTE_SHARED_ADDRESS + ZYGOTE_ANCHOR_OFFSET), code() + target);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	running = 0;
	completion->values[0] = fault_signal;
	completion->values[1] = fault_offset;
	completion->values[2] = fault_address;
	return 0;
}

/* Fills the completion; false when none is to be posted. */
static bool perform(const struct zygote_sqe *request, struct zygote_cqe *completion)
{
	switch (request->op) {
	case ZYGOTE_OP_NOP:
		completion->result = 0;
		return true;
	case ZYGOTE_OP_MAP_CODE:
		completion->result = map_code(request);
		return true;
	case ZYGOTE_OP_PROTECT:
		completion->result = protect(request);
		return true;
	case ZYGOTE_OP_RUN:
		completion->result = run(request, completion);
		return true;
#ifdef ZYGOTE_ATTACKS
	case ZYGOTE_OP_ATTACK:
		return zygote_attack(request, completion);
#endif
	default:
		completion->result = -EINVAL;
		return true;
	}
}

/* Returns once the submission tail moves past `head`. It spins on the
 * tail itself (the line the requests are read after anyway), then sleeps
 * on `submitted` with the zygote_waiting flag set: the host moves the tail,
 * bumps the counter and then looks at the flag, so one of the two sees the
 * other. */
static void wait_for_submission(uint32_t head)
{
	struct zygote_control *control = zygote_control();
	for (unsigned spin = 0; spin < SPINS; spin++) {
		if (__atomic_load_n(&control->submission.tail, __ATOMIC_ACQUIRE) != head)
			return;
		__builtin_ia32_pause();
	}
	for (;;) {
		uint32_t seen = __atomic_load_n(&control->submitted, __ATOMIC_ACQUIRE);
		__atomic_store_n(&control->zygote_waiting, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&control->submission.tail, __ATOMIC_SEQ_CST) == head) {
			struct timespec timeout = {.tv_sec = ZYGOTE_IDLE_SECONDS};
			long slept = zygote_syscall6(SYS_futex, (long)&control->submitted, FUTEX_WAIT, seen,
						     (long)&timeout, 0, 0);
			if (slept == -ETIMEDOUT)
				zygote_check_host();
		}
		__atomic_store_n(&control->zygote_waiting, 0, __ATOMIC_RELAXED);
		if (__atomic_load_n(&control->submission.tail, __ATOMIC_ACQUIRE) != head)
			return;
	}
}

void zygote_serve(void)
{
	struct zygote_control *control = zygote_control();
	uint32_t head = 0, completion_tail = 0;
	for (;;) {
		uint32_t tail = __atomic_load_n(&control->submission.tail, __ATOMIC_ACQUIRE);
		while (head != tail) {
			struct zygote_sqe request = control->sq[head & ZYGOTE_RING_MASK];
			__atomic_store_n(&control->submission.head, ++head, __ATOMIC_RELEASE);
			struct zygote_cqe completion = {.user_data = request.user_data, .op = request.op};
			if (!perform(&request, &completion))
				continue;
			control->cq[completion_tail & ZYGOTE_RING_MASK] = completion;
			__atomic_store_n(&control->completion.tail, ++completion_tail, __ATOMIC_RELEASE);
			zygote_completed();
		}
		wait_for_submission(head);
	}
}
