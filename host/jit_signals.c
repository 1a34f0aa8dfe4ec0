/* The signal handlers compiled code relies on.
 *
 * Compiled code tests no guest address: an access to a page the guest may
 * not touch faults in hardware. The SIGSEGV (or SIGBUS) handler finds out
 * whether this thread is running compiled code and the faulting instruction
 * is in it; if so it records the PVM pc of that instruction in the context
 * and sends the thread to the fault trampoline, which leaves compiled code
 * as any exit does. The host then works out whether the access panics or is
 * a page fault (host/jit_backend.c).
 *
 * SIGILL and SIGFPE never come from compiled code unless the compiler is
 * wrong (it emits no faulting divide, and ud2 only where nothing jumps); if
 * one does, the run stops with a trap and says so.
 *
 * Every other signal goes to the handler that was there before corral's,
 * as the kernel would have called it. An embedder that installs its own
 * handler after creating a JIT engine must chain to corral's likewise.
 *
 * The handler is async-signal-safe: it reads a thread-local pointer and the
 * code's site table, and calls nothing but sigaction, pthread_sigmask and
 * raise. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "host/internal.h"

static const struct {
	int number;
	const char *name;
} handled[] = {{SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"}, {SIGILL, "SIGILL"}, {SIGFPE, "SIGFPE"}};

/* What this thread runs, while it runs compiled code. Initial-exec: reading
 * it must not allocate, even in a dlopen'ed libcorral. */
static __thread struct host_jit_running *volatile running __attribute__((tls_model("initial-exec")));

static struct sigaction previous[NSIG];
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_errno;
static const char *install_signal;

void host_jit_running_set(struct host_jit_running *now)
{
	running = now;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* Calls the handler that was installed before corral's, with the mask it
 * asked for; for the default action, restores it and lets the fault happen
 * again (or raises a signal that was sent rather than caused). */
static void chain(int signal, siginfo_t *info, void *context)
{
	struct sigaction old = previous[signal];
	bool sent = info->si_code <= 0;
	if (old.sa_flags & SA_RESETHAND) {
		previous[signal].sa_handler = SIG_DFL;
		previous[signal].sa_flags &= ~SA_SIGINFO;
	}
	if (!(old.sa_flags & SA_SIGINFO) && (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN)) {
		/* The kernel does not let a fault be ignored either. */
		if (old.sa_handler == SIG_IGN && sent)
			return;
		struct sigaction fallback = {.sa_handler = SIG_DFL};
		sigemptyset(&fallback.sa_mask);
		sigaction(signal, &fallback, NULL);
		if (sent)
			raise(signal);
		return;
	}
	sigset_t mask = old.sa_mask, saved;
	if (!(old.sa_flags & SA_NODEFER))
		sigaddset(&mask, signal);
	pthread_sigmask(SIG_BLOCK, &mask, &saved);
	if (old.sa_flags & SA_SIGINFO)
		old.sa_sigaction(signal, info, context);
	else
		old.sa_handler(signal);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

static void handle(int signal, siginfo_t *info, void *context)
{
	struct host_jit_running *now = running;
	ucontext_t *machine = context;
	/* Only a fault the CPU raised (si_code > 0), not one sent with kill. */
	if (now && info->si_code > 0) {
		uintptr_t base = (uintptr_t)now->code_base;
		uintptr_t rip = (uintptr_t)machine->uc_mcontext.gregs[REG_RIP];
		const struct pvm_jit_site *site = NULL;
		if (rip >= base && rip - base < now->code->cold_offset)
			site = pvm_jit_site_containing(now->code, (uint32_t)(rip - base));
		if (site) {
			struct pvm_jit_context *jit = pvm_jit_context_of(now->anchor);
			jit->exit_pc = site->pc;
			jit->exit_kind = PVM_JIT_EXIT_FAULT;
			if (signal == SIGILL || signal == SIGFPE) {
				now->unexpected_signal = signal;
				now->unexpected_pc = site->pc;
			}
			machine->uc_mcontext.gregs[REG_RIP] = (greg_t)(base + now->code->fault_offset);
			return;
		}
	}
	chain(signal, info, context);
}

static void install(void)
{
	struct sigaction action = {.sa_sigaction = handle, .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER};
	sigemptyset(&action.sa_mask);
	for (size_t i = 0; i < sizeof handled / sizeof *handled; i++) {
		int signal = handled[i].number;
		/* Saved before ours goes in, so that the handler never sees an
		 * empty slot. */
		if (sigaction(signal, NULL, &previous[signal]) || sigaction(signal, &action, NULL)) {
			install_errno = errno;
			install_signal = handled[i].name;
			return;
		}
	}
}

corral_result host_jit_signals_install(corral_error *error)
{
	pthread_once(&install_once, install);
	if (install_errno)
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot install the %s handler compiled code needs: %s",
				 install_signal, strerror(install_errno));
	return CORRAL_OK;
}
