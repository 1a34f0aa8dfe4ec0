/* Auditing sandboxes with eBPF (corral.h): loads the programs of
 * bpf/audit.bpf.c through the skeleton bpftool generates at build time,
 * attaches them, tells them which sandboxes to watch, and turns the records
 * of their ring buffer into corral_audit_events.
 *
 * libbpf prints its complaints through a process-wide hook; the library
 * must not print, so while an audit is set up the hook keeps the first
 * warning, which becomes the error's reason. */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "audit.skel.h"
#include "bpf/audit_event.h"
#include "host/audit.h"
#include "host/internal.h"

#define DEFAULT_BUFFER_SIZE (8u << 20)
#define BTF_PATH            "/sys/kernel/btf/vmlinux"

struct corral_audit {
	struct audit_bpf *skeleton;
	struct ring_buffer *ring;
	corral_audit_callback callback;
	void *context;
	size_t delivered;      /* by the current poll */
	char unknown_name[32]; /* syscall_N, for the event being delivered */
	bool registered;       /* in `registry`: watches the workers this process starts */
	corral_audit *next;
};

/* The audits that watch this process's own workers. `registered` lets
 * host_audit_watch_worker return at once, without the lock, when there
 * are none. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static corral_audit *registry;
static int registered;

/* ---- libbpf's messages ------------------------------------------------- */

static pthread_mutex_t libbpf_lock = PTHREAD_MUTEX_INITIALIZER;
static char libbpf_said[256];

static int keep_first_warning(enum libbpf_print_level level, const char *format, va_list args)
{
	if (level == LIBBPF_WARN && !libbpf_said[0]) {
		vsnprintf(libbpf_said, sizeof libbpf_said, format, args);
		libbpf_said[strcspn(libbpf_said, "\n")] = 0;
	}
	return 0;
}

/* What libbpf said, or the errno's text when it said nothing. */
static const char *libbpf_reason(int error_number)
{
	return libbpf_said[0] ? libbpf_said : strerror(error_number);
}

/* ---- loading ------------------------------------------------------------- */

/* Whether this process may load tracing programs: CAP_BPF and CAP_PERFMON
 * (Linux 5.8), or CAP_SYS_ADMIN. When capget fails, the load will say. */
static bool may_load(void)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &header, data))
		return true;
	uint64_t effective = data[0].effective | (uint64_t)data[1].effective << 32;
	bool admin = effective & (1ull << CAP_SYS_ADMIN);
	bool tracing = (effective & (1ull << CAP_BPF)) && (effective & (1ull << CAP_PERFMON));
	return admin || tracing;
}

static corral_result check_machine(corral_error *error)
{
	if (access(BTF_PATH, R_OK))
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "cannot audit: the kernel has no BTF (%s: %s; a kernel built without "
				 "CONFIG_DEBUG_INFO_BTF)",
				 BTF_PATH, strerror(errno));
	if (!may_load())
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "cannot audit: loading eBPF tracing programs needs root (CAP_BPF and CAP_PERFMON, or "
				 "CAP_SYS_ADMIN), and this process (uid %d) has neither",
				 (int)geteuid());
	return CORRAL_OK;
}

static int deliver(void *context, void *data, size_t size);

/* Opens, sizes, loads and attaches the programs and maps the ring buffer. */
static corral_result load(corral_audit *audit, uint32_t buffer_size, corral_error *error)
{
	corral_result result = CORRAL_OK;
	pthread_mutex_lock(&libbpf_lock);
	libbpf_said[0] = 0;
	libbpf_print_fn_t saved = libbpf_set_print(keep_first_warning);
	audit->skeleton = audit_bpf__open();
	if (!audit->skeleton) {
		result = host_fail(error, CORRAL_ERROR_SYSTEM, "cannot open the audit's eBPF object: %s",
				   libbpf_reason(errno));
	} else if (bpf_map__set_max_entries(audit->skeleton->maps.events, buffer_size)) {
		result = host_fail(error, CORRAL_ERROR_SYSTEM, "cannot size the audit's ring buffer to %u bytes: %s",
				   buffer_size, libbpf_reason(errno));
	} else if (audit_bpf__load(audit->skeleton)) {
		result = host_fail(error, CORRAL_ERROR_SYSTEM, "cannot audit: the kernel refused the eBPF programs: %s",
				   libbpf_reason(errno));
	} else if (audit_bpf__attach(audit->skeleton)) {
		result = host_fail(error, CORRAL_ERROR_SYSTEM,
				   "cannot audit: the eBPF programs would not attach to their tracepoints: %s",
				   libbpf_reason(errno));
	} else {
		audit->ring = ring_buffer__new(bpf_map__fd(audit->skeleton->maps.events), deliver, audit, NULL);
		if (!audit->ring)
			result = host_fail(error, CORRAL_ERROR_SYSTEM, "cannot map the audit's ring buffer: %s",
					   libbpf_reason(errno));
	}
	libbpf_set_print(saved);
	pthread_mutex_unlock(&libbpf_lock);
	return result;
}

void corral_audit_config_init(corral_audit_config *config)
{
	*config = (corral_audit_config){.watch_own_sandboxes = true};
}

corral_result corral_audit_new(const corral_audit_config *config, corral_audit **out, corral_error *error)
{
	*out = NULL;
	corral_audit_config defaults;
	if (!config) {
		corral_audit_config_init(&defaults);
		config = &defaults;
	}
	uint32_t size = config->buffer_size ? config->buffer_size : DEFAULT_BUFFER_SIZE;
	long page = sysconf(_SC_PAGESIZE);
	if ((size & (size - 1)) || size < (uint32_t)page)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "the audit's buffer_size %u is not a power of two of at least a page (%ld bytes)",
				 size, page);
	corral_result result = check_machine(error);
	if (result != CORRAL_OK)
		return result;
	corral_audit *audit = calloc(1, sizeof *audit);
	if (!audit)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "no memory for an audit");
	audit->callback = config->callback;
	audit->context = config->context;
	result = load(audit, size, error);
	if (result != CORRAL_OK) {
		corral_audit_free(audit);
		return result;
	}
	if (config->watch_own_sandboxes) {
		pthread_mutex_lock(&registry_lock);
		audit->next = registry;
		registry = audit;
		audit->registered = true;
		__atomic_add_fetch(&registered, 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&registry_lock);
	}
	*out = audit;
	return CORRAL_OK;
}

void corral_audit_free(corral_audit *audit)
{
	if (!audit)
		return;
	if (audit->registered) {
		pthread_mutex_lock(&registry_lock);
		corral_audit **link = &registry;
		while (*link != audit)
			link = &(*link)->next;
		*link = audit->next;
		__atomic_sub_fetch(&registered, 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&registry_lock);
	}
	ring_buffer__free(audit->ring);
	audit_bpf__destroy(audit->skeleton);
	free(audit);
}

/* ---- what to watch --------------------------------------------------------- */

corral_result corral_audit_watch_pid(corral_audit *audit, int32_t pid, corral_error *error)
{
	char path[64];
	struct stat ours, theirs;
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
	if (pid <= 0 || stat(path, &theirs))
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "cannot watch the sandbox of process %d: %s: %s",
				 (int)pid, path, strerror(pid <= 0 ? ESRCH : errno));
	if (!stat("/proc/self/ns/pid", &ours) && ours.st_ino == theirs.st_ino)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "cannot watch process %d as a sandbox: it is in this process's own pid namespace",
				 (int)pid);
	/* The namespace file's inode number is the namespace's (ns.inum). */
	__u32 key = (__u32)theirs.st_ino;
	struct audit_sandbox sandbox = {.id = (__u32)pid};
	if (bpf_map__update_elem(audit->skeleton->maps.sandboxes, &key, sizeof key, &sandbox, sizeof sandbox, BPF_ANY))
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot watch the sandbox of process %d: %s%s", (int)pid,
				 strerror(errno), errno == E2BIG ? " (too many sandboxes watched at once)" : "");
	return CORRAL_OK;
}

corral_result corral_audit_watch_children(corral_audit *audit, int32_t pid, corral_error *error)
{
	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "cannot watch the children of process %d: no such process", (int)pid);
	__u32 key = (__u32)pid;
	__u8 yes = 1;
	if (bpf_map__update_elem(audit->skeleton->maps.trees, &key, sizeof key, &yes, sizeof yes, BPF_ANY))
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot watch the children of process %d: %s", (int)pid,
				 strerror(errno));
	return CORRAL_OK;
}

corral_result host_audit_watch_worker(pid_t pid, corral_error *error)
{
	if (!__atomic_load_n(&registered, __ATOMIC_ACQUIRE))
		return CORRAL_OK;
	corral_result result = CORRAL_OK;
	pthread_mutex_lock(&registry_lock);
	for (corral_audit *audit = registry; audit && result == CORRAL_OK; audit = audit->next)
		result = corral_audit_watch_pid(audit, (int32_t)pid, error);
	pthread_mutex_unlock(&registry_lock);
	return result;
}

/* ---- events -------------------------------------------------------------- */

static const corral_audit_kind kinds[] = {
	[AUDIT_SYSCALL] = CORRAL_AUDIT_SYSCALL,
	[AUDIT_SIGNAL] = CORRAL_AUDIT_SIGNAL,
	[AUDIT_EXIT] = CORRAL_AUDIT_EXIT,
};

/* The kernel's trace_signal_generate results (TRACE_SIGNAL_DELIVERED is 0). */
#define SIGNAL_DELIVERED 0

static int deliver(void *context, void *data, size_t size)
{
	corral_audit *audit = context;
	const struct audit_event *record = data;
	if (size < sizeof *record || record->kind == 0 || record->kind >= sizeof kinds / sizeof *kinds)
		return 0;
	corral_audit_event event = {
		.kind = kinds[record->kind],
		.time_ns = record->time_ns,
		.sandbox = record->sandbox,
		.pid = (int32_t)record->pid,
		.tid = (int32_t)record->tid,
		.signal = record->signal,
	};
	switch (event.kind) {
	case CORRAL_AUDIT_SYSCALL:
		event.abi = (corral_audit_abi)record->abi;
		event.number = record->number;
		event.name = corral_audit_syscall_name(event.abi, event.number, audit->unknown_name,
						       sizeof audit->unknown_name);
		memcpy(event.args, record->args, sizeof event.args);
		event.denied = record->flags & AUDIT_DENIED;
		event.unmatched = record->flags & AUDIT_UNMATCHED;
		event.returned = !(record->flags & (AUDIT_NO_RETURN | AUDIT_DENIED));
		event.result = event.returned ? record->result : 0;
		break;
	case CORRAL_AUDIT_SIGNAL:
		event.signal_code = record->code;
		event.sender = (int32_t)record->sender;
		event.delivered = record->result == SIGNAL_DELIVERED;
		break;
	case CORRAL_AUDIT_EXIT:
		event.exit_status = (int)record->result;
		break;
	}
	audit->delivered++;
	if (audit->callback)
		audit->callback(&event, audit->context);
	return 0;
}

/* The kernel side wakes us for plain calls only once a batch is waiting
 * (bpf/audit.bpf.c): a wait looks at the buffer at least this often. */
#define POLL_SLICE_MS 10

static uint64_t now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

corral_result corral_audit_poll(corral_audit *audit, int timeout_ms, size_t *count, corral_error *error)
{
	audit->delivered = 0;
	uint64_t end = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	int polled = ring_buffer__consume(audit->ring);
	while (polled >= 0 && !audit->delivered && timeout_ms != 0) {
		uint64_t now = now_ms();
		if (timeout_ms > 0 && now >= end)
			break;
		int slice = timeout_ms < 0 || end - now > POLL_SLICE_MS ? POLL_SLICE_MS : (int)(end - now);
		polled = ring_buffer__poll(audit->ring, slice);
		if (polled >= 0 && !audit->delivered)
			polled = ring_buffer__consume(audit->ring);
		if (polled == -EINTR)
			polled = 0;
	}
	if (count)
		*count = audit->delivered;
	if (polled < 0)
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot read the audit's ring buffer: %s",
				 strerror(-polled));
	return CORRAL_OK;
}

uint64_t corral_audit_dropped(const corral_audit *audit)
{
	int cpus = libbpf_num_possible_cpus();
	if (cpus <= 0)
		return 0;
	uint64_t *values = calloc((size_t)cpus, sizeof *values), total = 0;
	__u32 key = AUDIT_COUNTER_DROPPED;
	if (values && !bpf_map__lookup_elem(audit->skeleton->maps.counters, &key, sizeof key, values,
					    (size_t)cpus * sizeof *values, 0))
		for (int i = 0; i < cpus; i++)
			total += values[i];
	free(values);
	return total;
}
