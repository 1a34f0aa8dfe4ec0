/* The audit's output (cli/audit.h): a line per event, as strace writes
 * them (name(arguments) = result; --- signals ---; +++ ends +++), each
 * prefixed with its sandbox, refused calls and killing signals
 * highlighted; or one JSON object per line. At the end, a table per sandbox:
 * its calls by name, which were refused, how it ended.
 *
 * Events arrive on the audit's thread; the summary and audit_trace_alive
 * are asked from another, hence the lock. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "cli/audit.h"

#define RED    "\033[1;31m"
#define YELLOW "\033[33m"
#define DIM    "\033[2m"
#define RESET  "\033[0m"

struct call_count {
	char name[32];
	unsigned calls, errors, refused;
};

struct sandbox {
	uint32_t id;
	unsigned calls, refused, signals;
	bool ended;
	int exit_status;
	struct call_count *counts;
	size_t count, capacity;
};

struct audit_trace {
	FILE *out;
	/* Each line is made here, then written whole: the command's own
	 * output shares the terminal. */
	FILE *line;
	char *line_text;
	size_t line_length;
	bool json, color;
	uint64_t start_ns;
	pthread_mutex_t lock;
	struct sandbox *sandboxes;
	size_t count, capacity;
};

/* How many arguments the calls a sandbox makes (or is killed for) take,
 * so that a line shows those and not six registers; a call not listed
 * shows all six. */
static const struct {
	const char *name;
	unsigned args;
} argument_counts[] = {
	{"read", 3},
	{"write", 3},
	{"open", 3},
	{"close", 1},
	{"fstat", 2},
	{"mmap", 6},
	{"mprotect", 3},
	{"munmap", 2},
	{"brk", 1},
	{"rt_sigaction", 4},
	{"rt_sigprocmask", 4},
	{"rt_sigreturn", 0},
	{"ioctl", 3},
	{"madvise", 3},
	{"dup2", 2},
	{"getpid", 0},
	{"getppid", 0},
	{"socket", 3},
	{"connect", 3},
	{"sendmsg", 3},
	{"recvmsg", 3},
	{"socketpair", 4},
	{"clone", 5},
	{"fork", 0},
	{"vfork", 0},
	{"execve", 3},
	{"exit", 1},
	{"kill", 2},
	{"shmget", 3},
	{"semget", 3},
	{"msgget", 2},
	{"chdir", 1},
	{"setuid", 1},
	{"setgroups", 2},
	{"setresuid", 3},
	{"setresgid", 3},
	{"setsid", 0},
	{"capset", 2},
	{"personality", 1},
	{"setrlimit", 2},
	{"chroot", 1},
	{"mount", 5},
	{"umount2", 2},
	{"pivot_root", 2},
	{"prctl", 5},
	{"ptrace", 4},
	{"futex", 6},
	{"exit_group", 1},
	{"tgkill", 3},
	{"openat", 4},
	{"unshare", 1},
	{"setns", 2},
	{"mremap", 5},
	{"process_vm_readv", 6},
	{"process_vm_writev", 6},
	{"pkey_mprotect", 4},
	{"perf_event_open", 5},
	{"bpf", 3},
	{"keyctl", 5},
	{"add_key", 5},
	{"seccomp", 3},
	{"memfd_create", 2},
	{"execveat", 5},
	{"userfaultfd", 1},
	{"io_uring_setup", 2},
	{"pidfd_open", 2},
	{"pidfd_getfd", 3},
	{"clone3", 2},
	{"close_range", 3},
	{"openat2", 4},
	{"landlock_create_ruleset", 3},
	{"landlock_restrict_self", 2},
	{"restart_syscall", 0},
	{"nanosleep", 2},
	{"getrandom", 3},
};

static unsigned argument_count(const char *name)
{
	for (size_t i = 0; i < sizeof argument_counts / sizeof *argument_counts; i++)
		if (!strcmp(argument_counts[i].name, name))
			return argument_counts[i].args;
	return 6;
}

static const struct {
	int signal, code;
	const char *name;
} signal_codes[] = {
	{0, 0, "SI_USER"},           {0, 0x80, "SI_KERNEL"},     {0, -1, "SI_QUEUE"},
	{0, -6, "SI_TKILL"},         {SIGSYS, 1, "SYS_SECCOMP"}, {SIGSEGV, 1, "SEGV_MAPERR"},
	{SIGSEGV, 2, "SEGV_ACCERR"}, {SIGCHLD, 1, "CLD_EXITED"}, {SIGCHLD, 2, "CLD_KILLED"},
};

/* si_code's name: codes above 0 mean something per signal. */
static const char *code_name(int signal, int code, char *buffer, size_t size)
{
	for (size_t i = 0; i < sizeof signal_codes / sizeof *signal_codes; i++)
		if (signal_codes[i].code == code &&
		    (signal_codes[i].signal == signal || signal_codes[i].code <= 0 || signal_codes[i].code == 0x80))
			return signal_codes[i].name;
	snprintf(buffer, size, "%d", code);
	return buffer;
}

static const char *signal_name(int signal, char *buffer, size_t size)
{
	const char *abbreviation = sigabbrev_np(signal);
	if (abbreviation)
		snprintf(buffer, size, "SIG%s", abbreviation);
	else
		snprintf(buffer, size, "signal %d", signal);
	return buffer;
}

static const char *abi_names[] = {
	[CORRAL_AUDIT_X86_64] = "x86_64",
	[CORRAL_AUDIT_I386] = "i386",
	[CORRAL_AUDIT_X32] = "x32",
};

/* ---- the record ------------------------------------------------------------ */

struct audit_trace *audit_trace_new(FILE *out, bool json, bool color)
{
	struct audit_trace *trace = calloc(1, sizeof *trace);
	if (trace)
		trace->line = open_memstream(&trace->line_text, &trace->line_length);
	if (!trace || !trace->line) {
		free(trace);
		return NULL;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	trace->out = out;
	trace->json = json;
	trace->color = color && !json;
	trace->start_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	pthread_mutex_init(&trace->lock, NULL);
	return trace;
}

void audit_trace_free(struct audit_trace *trace)
{
	if (!trace)
		return;
	for (size_t i = 0; i < trace->count; i++)
		free(trace->sandboxes[i].counts);
	free(trace->sandboxes);
	fclose(trace->line);
	free(trace->line_text);
	pthread_mutex_destroy(&trace->lock);
	free(trace);
}

/* The sandbox's record, made on its first event (NULL without memory). */
static struct sandbox *sandbox_of(struct audit_trace *trace, uint32_t id, bool *new)
{
	*new = false;
	for (size_t i = 0; i < trace->count; i++)
		if (trace->sandboxes[i].id == id)
			return &trace->sandboxes[i];
	if (trace->count == trace->capacity) {
		size_t capacity = trace->capacity ? 2 * trace->capacity : 8;
		struct sandbox *more = realloc(trace->sandboxes, capacity * sizeof *more);
		if (!more)
			return NULL;
		trace->sandboxes = more;
		trace->capacity = capacity;
	}
	*new = true;
	struct sandbox *sandbox = &trace->sandboxes[trace->count++];
	*sandbox = (struct sandbox){.id = id};
	return sandbox;
}

static void count_call(struct sandbox *sandbox, const corral_audit_event *event)
{
	sandbox->calls++;
	sandbox->refused += event->denied;
	struct call_count *count = NULL;
	for (size_t i = 0; i < sandbox->count && !count; i++)
		if (!strcmp(sandbox->counts[i].name, event->name))
			count = &sandbox->counts[i];
	if (!count) {
		if (sandbox->count == sandbox->capacity) {
			size_t capacity = sandbox->capacity ? 2 * sandbox->capacity : 32;
			struct call_count *more = realloc(sandbox->counts, capacity * sizeof *more);
			if (!more)
				return;
			sandbox->counts = more;
			sandbox->capacity = capacity;
		}
		count = &sandbox->counts[sandbox->count++];
		*count = (struct call_count){0};
		snprintf(count->name, sizeof count->name, "%s", event->name);
	}
	count->calls++;
	count->refused += event->denied;
	count->errors += event->returned && event->result < 0 && event->result >= -4095;
}

static const char *ending(int status, char *buffer, size_t size)
{
	char name[32];
	if (WIFSIGNALED(status))
		snprintf(buffer, size, "killed by %s%s", signal_name(WTERMSIG(status), name, sizeof name),
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buffer, size, "exited with %d", WEXITSTATUS(status));
	return buffer;
}

/* ---- lines ------------------------------------------------------------------ */

/* A register as a person reads it: small numbers and small negative ones
 * (errors, AT_FDCWD) in decimal, the rest (addresses, flags) in hex. */
static void print_value(FILE *out, uint64_t value)
{
	int64_t as_signed = (int64_t)value;
	if (value < 65536 || (as_signed < 0 && as_signed >= -65536))
		fprintf(out, "%" PRId64, as_signed);
	else
		fprintf(out, "%#" PRIx64, value);
}

/* The kernel's own codes for a call a signal interrupted, which a
 * process never sees (include/linux/errno.h). */
static const char *const restart_codes[] = {"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD",
					    "ERESTART_RESTARTBLOCK"};
#define FIRST_RESTART_CODE 512

static void print_result(FILE *out, const corral_audit_event *event)
{
	if (!event->returned) {
		fputs(" = ?", out);
		return;
	}
	fputs(" = ", out);
	int64_t code = -event->result;
	if (code >= FIRST_RESTART_CODE && code < FIRST_RESTART_CODE + 5) {
		fprintf(out, "? %s (interrupted by a signal)", restart_codes[code - FIRST_RESTART_CODE]);
	} else if (code > 0 && code <= 4095) {
		const char *name = strerrorname_np((int)code);
		fprintf(out, "-1 %s (%s)", name ? name : "?", strerror((int)code));
	} else {
		print_value(out, (uint64_t)event->result);
	}
}

static void print_line(struct audit_trace *trace, const struct sandbox *sandbox, const corral_audit_event *event)
{
	FILE *out = trace->line;
	const char *on = "", *off = trace->color ? RESET : "";
	char name[32], code[16], how[64];
	if (trace->color && (event->denied || event->kind == CORRAL_AUDIT_EXIT))
		on = event->kind == CORRAL_AUDIT_EXIT && !WIFSIGNALED(event->exit_status) ? "" : RED;
	else if (trace->color && event->kind == CORRAL_AUDIT_SIGNAL)
		on = YELLOW;
	else if (trace->color && event->unmatched)
		on = DIM;
	fprintf(out, "%s[%u", on, sandbox->id);
	if ((uint32_t)event->pid != sandbox->id)
		fprintf(out, " pid %d", (int)event->pid);
	if (event->tid != event->pid)
		fprintf(out, " tid %d", (int)event->tid);
	fprintf(out, "] %.6f ", (double)(int64_t)(event->time_ns - trace->start_ns) / 1e9);
	switch (event->kind) {
	case CORRAL_AUDIT_SYSCALL:
		if (event->abi != CORRAL_AUDIT_X86_64)
			fprintf(out, "[%s] ", abi_names[event->abi]);
		fprintf(out, "%s(", event->name);
		for (unsigned i = 0, n = argument_count(event->name); i < n; i++) {
			if (i)
				fputs(", ", out);
			print_value(out, event->args[i]);
		}
		fputc(')', out);
		print_result(out, event);
		if (event->denied)
			fputs("   <<< REFUSED by the seccomp filter", out);
		else if (event->unmatched && event->returned && event->result == 0 && strstr(event->name, "clone"))
			fputs(" (the new process's first moment)", out);
		else if (event->unmatched)
			fputs(" (began before the sandbox was watched)", out);
		break;
	case CORRAL_AUDIT_SIGNAL:
		fprintf(out, "--- %s {si_code=%s, from pid %d}%s ---", signal_name(event->signal, name, sizeof name),
			code_name(event->signal, event->signal_code, code, sizeof code), (int)event->sender,
			event->delivered ? "" : " (not delivered)");
		break;
	case CORRAL_AUDIT_EXIT:
		fprintf(out, "+++ %s +++", ending(event->exit_status, how, sizeof how));
		break;
	}
	fprintf(out, "%s\n", off);
}

static void print_json(struct audit_trace *trace, const corral_audit_event *event)
{
	FILE *out = trace->line;
	char name[32], how[64];
	fprintf(out, "{\"time\":%.9f,\"sandbox\":%u,\"pid\":%d,\"tid\":%d,",
		(double)(int64_t)(event->time_ns - trace->start_ns) / 1e9, event->sandbox, (int)event->pid,
		(int)event->tid);
	switch (event->kind) {
	case CORRAL_AUDIT_SYSCALL:
		fprintf(out, "\"event\":\"syscall\",\"name\":\"%s\",\"number\":%d,\"abi\":\"%s\",\"args\":[",
			event->name, (int)event->number, abi_names[event->abi]);
		for (int i = 0; i < 6; i++)
			fprintf(out, "%s%" PRIu64, i ? "," : "", event->args[i]);
		fprintf(out, "],\"returned\":%s,", event->returned ? "true" : "false");
		if (event->returned)
			fprintf(out, "\"result\":%" PRId64 ",", event->result);
		fprintf(out, "\"denied\":%s,\"unmatched\":%s}\n", event->denied ? "true" : "false",
			event->unmatched ? "true" : "false");
		break;
	case CORRAL_AUDIT_SIGNAL:
		fprintf(out,
			"\"event\":\"signal\",\"signal\":\"%s\",\"number\":%d,\"code\":%d,\"sender\":%d,"
			"\"delivered\":%s}\n",
			signal_name(event->signal, name, sizeof name), event->signal, event->signal_code,
			(int)event->sender, event->delivered ? "true" : "false");
		break;
	case CORRAL_AUDIT_EXIT:
		fprintf(out, "\"event\":\"exit\",\"status\":%d,\"ended\":\"%s\"}\n", event->exit_status,
			ending(event->exit_status, how, sizeof how));
		break;
	}
}

void audit_trace_event(struct audit_trace *trace, const corral_audit_event *event)
{
	pthread_mutex_lock(&trace->lock);
	bool new;
	struct sandbox *sandbox = sandbox_of(trace, event->sandbox, &new);
	if (sandbox) {
		fseeko(trace->line, 0, SEEK_SET);
		if (new && !trace->json)
			fprintf(trace->line, "[%u] === sandbox %u: a new pid namespace; its first process is %u ===\n",
				sandbox->id, sandbox->id, sandbox->id);
		if (event->kind == CORRAL_AUDIT_SYSCALL)
			count_call(sandbox, event);
		sandbox->signals += event->kind == CORRAL_AUDIT_SIGNAL;
		if (event->kind == CORRAL_AUDIT_EXIT && (uint32_t)event->pid == sandbox->id) {
			sandbox->ended = true;
			sandbox->exit_status = event->exit_status;
		}
		if (trace->json)
			print_json(trace, event);
		else
			print_line(trace, sandbox, event);
		fflush(trace->line);
		fwrite(trace->line_text, 1, trace->line_length, trace->out);
	}
	pthread_mutex_unlock(&trace->lock);
}

unsigned audit_trace_alive(const struct audit_trace *trace)
{
	pthread_mutex_lock((pthread_mutex_t *)&trace->lock);
	unsigned alive = 0;
	for (size_t i = 0; i < trace->count; i++)
		alive += !trace->sandboxes[i].ended;
	pthread_mutex_unlock((pthread_mutex_t *)&trace->lock);
	return alive;
}

/* ---- the summary ------------------------------------------------------------ */

static int by_calls(const void *a, const void *b)
{
	const struct call_count *x = a, *y = b;
	if (x->calls != y->calls)
		return x->calls < y->calls ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void summarize_json(struct audit_trace *trace, const struct sandbox *sandbox, const char *ended)
{
	FILE *out = trace->out;
	fprintf(out, "{\"event\":\"summary\",\"sandbox\":%u,\"calls\":{", sandbox->id);
	for (size_t i = 0; i < sandbox->count; i++)
		fprintf(out, "%s\"%s\":%u", i ? "," : "", sandbox->counts[i].name, sandbox->counts[i].calls);
	fputs("},\"refused\":{", out);
	for (size_t i = 0, first = 1; i < sandbox->count; i++)
		if (sandbox->counts[i].refused) {
			fprintf(out, "%s\"%s\":%u", first ? "" : ",", sandbox->counts[i].name,
				sandbox->counts[i].refused);
			first = 0;
		}
	fprintf(out, "},\"signals\":%u,\"ended\":\"%s\"}\n", sandbox->signals, ended);
}

static void summarize(struct audit_trace *trace, const struct sandbox *sandbox, const char *ended)
{
	FILE *out = trace->out;
	const char *red = trace->color ? RED : "", *off = trace->color ? RESET : "";
	bool killed = sandbox->ended && WIFSIGNALED(sandbox->exit_status);
	fprintf(out, "\nsandbox %u: %u system call%s, %s%u refused%s, %u signal%s; %s%s%s\n", sandbox->id,
		sandbox->calls, sandbox->calls == 1 ? "" : "s", sandbox->refused ? red : "", sandbox->refused,
		sandbox->refused ? off : "", sandbox->signals, sandbox->signals == 1 ? "" : "s", killed ? red : "",
		ended, killed ? off : "");
	fprintf(out, "  %-26s %7s %7s %8s\n", "system call", "calls", "errors", "refused");
	for (size_t i = 0; i < sandbox->count; i++) {
		const struct call_count *count = &sandbox->counts[i];
		char errors[16] = "", refused[16] = "";
		if (count->errors)
			snprintf(errors, sizeof errors, "%u", count->errors);
		if (count->refused)
			snprintf(refused, sizeof refused, "%u", count->refused);
		char line[96];
		int length =
			snprintf(line, sizeof line, "%-26s %7u %7s %8s", count->name, count->calls, errors, refused);
		while (length > 0 && line[length - 1] == ' ')
			line[--length] = 0;
		fprintf(out, "  %s%s%s\n", count->refused ? red : "", line, count->refused ? off : "");
	}
}

void audit_trace_summary(struct audit_trace *trace, uint64_t dropped)
{
	pthread_mutex_lock(&trace->lock);
	char ended[80];
	if (!trace->json)
		fprintf(trace->out, "\ncorral audit: %zu sandbox%s, %" PRIu64 " events lost%s\n", trace->count,
			trace->count == 1 ? "" : "es", dropped,
			trace->count ? ""
				     : " (no sandbox was started: only --backend jit with --sandbox linux makes one)");
	for (size_t i = 0; i < trace->count; i++) {
		struct sandbox *sandbox = &trace->sandboxes[i];
		qsort(sandbox->counts, sandbox->count, sizeof *sandbox->counts, by_calls);
		if (sandbox->ended)
			ending(sandbox->exit_status, ended, sizeof ended);
		else
			snprintf(ended, sizeof ended, "still running when the audit stopped");
		if (trace->json)
			summarize_json(trace, sandbox, ended);
		else
			summarize(trace, sandbox, ended);
	}
	if (trace->json)
		fprintf(trace->out, "{\"event\":\"dropped\",\"count\":%" PRIu64 "}\n", dropped);
	fflush(trace->out);
	pthread_mutex_unlock(&trace->lock);
}
