/* The audit's eBPF programs: every system call, signal and exit of the
 * watched sandboxes, as fixed-size records (bpf/audit_event.h) in a ring
 * buffer that host/audit.c reads.
 *
 * A sandbox is a pid namespace: its inode is the key of `sandboxes`. The
 * loader puts there the namespace of each sandbox worker it is told about;
 * a process tree given to the loader (`trees`, by tgid) adds the
 * namespace of every child that one of its processes clones into a new pid
 * namespace, from the fork tracepoint, before the child has run. Tasks in
 * the initial pid namespace are never a sandbox, so most of the machine's
 * system calls cost a couple of reads here and nothing more.
 *
 * A call is remembered at sys_enter (task storage: the task's own slot, gone
 * with the task) and reported at sys_exit, with its arguments as they were
 * on entry and its return value; one that never returns (exit, exit_group,
 * a task killed in it) is reported when the task exits. A call seccomp
 * refuses never reaches sys_enter (seccomp runs first) and sys_exit then
 * has no entry to match: the SIGSYS seccomp generates for it names the call
 * (si_syscall, si_arch), so it is reported from signal_generate, marked
 * denied, and the sys_exit that follows is swallowed. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/audit_event.h"

/* The tracing helpers used here (bpf_probe_read_kernel, task storage,
 * bpf_get_current_task_btf) are for GPL-compatible programs only. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* From the kernel's uapi and arch headers, which vmlinux.h does not carry. */
#define X32_SYSCALL_BIT 0x40000000
#define TS_COMPAT       0x0002 /* thread_info.status: in a 32-bit system call */
#define AUDIT_ARCH_I386 0x40000003
#define SIGSYS          31
#define SYS_SECCOMP     1
#define SI_KERNEL       0x80
#define ENOSYS          38

/* The loader sizes the ring buffer (bpf_map__set_max_entries) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* pid namespace inode */
	__type(value, struct audit_sandbox);
} sandboxes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tgid */
	__type(value, __u8);
} trees SEC(".maps");

/* The call a task is in. */
struct pending {
	__u64 time_ns;
	__u64 args[6];
	__s32 number;
	__u32 abi;
	__u32 active; /* entered and not yet reported */
	__u32 denied; /* reported already, from the SIGSYS */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AUDIT_COUNTER_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* The inode of the task's pid namespace (the one it was born in), and its
 * depth: 0 is the initial namespace. */
static __always_inline __u32 pid_namespace(struct task_struct *task, unsigned int *level)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	*level = BPF_CORE_READ(pid, level);
	struct pid_namespace *namespace = BPF_CORE_READ(pid, numbers[*level].ns);
	return BPF_CORE_READ(namespace, ns.inum);
}

/* Every system call on the machine comes through here: the first two
 * reads are plain loads through BTF pointers (no probe), and a task of the
 * initial pid namespace goes no further. */
static __always_inline struct audit_sandbox *sandbox_of(struct task_struct *task)
{
	struct pid *pid = task->thread_pid;
	unsigned int level = pid->level;
	if (level == 0)
		return NULL;
	struct pid_namespace *namespace = BPF_CORE_READ(pid, numbers[level].ns);
	__u32 inode = BPF_CORE_READ(namespace, ns.inum);
	return bpf_map_lookup_elem(&sandboxes, &inode);
}

/* A zeroed record with the task's identity, or NULL (counted) when the
 * ring buffer is full. */
static __always_inline struct audit_event *reserve(__u32 kind, __u32 sandbox, struct task_struct *task)
{
	struct audit_event *event = bpf_ringbuf_reserve(&events, sizeof *event, 0);
	if (!event) {
		__u32 key = AUDIT_COUNTER_DROPPED;
		__u64 *dropped = bpf_map_lookup_elem(&counters, &key);
		if (dropped)
			__sync_fetch_and_add(dropped, 1);
		return NULL;
	}
	__builtin_memset(event, 0, sizeof *event);
	event->time_ns = bpf_ktime_get_ns();
	event->kind = kind;
	event->sandbox = sandbox;
	event->pid = BPF_CORE_READ(task, tgid);
	event->tid = BPF_CORE_READ(task, pid);
	return event;
}

/* Waking the reader costs the task that writes more than the record
 * itself, and most records are plain calls nobody waits for: those wake it
 * only once WAKE_BYTES are waiting (host/audit.c also looks every few
 * milliseconds); a refusal, a signal or an exit wakes it at once. */
#define WAKE_BYTES (64 << 10)

static __always_inline void submit(struct audit_event *event, bool urgent)
{
	bool wake = urgent || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKE_BYTES;
	bpf_ringbuf_submit(event, wake ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline void report_call(__u32 sandbox, struct task_struct *task, const struct pending *call,
					__s64 result, __u32 flags)
{
	struct audit_event *event = reserve(AUDIT_SYSCALL, sandbox, task);
	if (!event)
		return;
	event->time_ns = call->time_ns;
	for (int i = 0; i < 6; i++)
		event->args[i] = call->args[i];
	event->number = call->number;
	event->abi = call->abi;
	event->result = result;
	event->flags = flags;
	if (flags & AUDIT_DENIED)
		event->signal = SIGSYS;
	submit(event, flags & AUDIT_DENIED);
}

/* The call in `regs` (its number as the entry code left it in orig_ax),
 * read in the convention of its ABI. */
static __always_inline void read_call(struct pending *call, struct task_struct *task, struct pt_regs *regs, long number)
{
	call->time_ns = bpf_ktime_get_ns();
	if (BPF_CORE_READ(task, thread_info.status) & TS_COMPAT) {
		call->abi = AUDIT_ABI_I386;
		call->args[0] = BPF_CORE_READ(regs, bx);
		call->args[1] = BPF_CORE_READ(regs, cx);
		call->args[2] = BPF_CORE_READ(regs, dx);
		call->args[3] = BPF_CORE_READ(regs, si);
		call->args[4] = BPF_CORE_READ(regs, di);
		call->args[5] = BPF_CORE_READ(regs, bp);
	} else {
		call->abi = number >= 0 && (number & X32_SYSCALL_BIT) ? AUDIT_ABI_X32 : AUDIT_ABI_X86_64;
		call->args[0] = BPF_CORE_READ(regs, di);
		call->args[1] = BPF_CORE_READ(regs, si);
		call->args[2] = BPF_CORE_READ(regs, dx);
		call->args[3] = BPF_CORE_READ(regs, r10);
		call->args[4] = BPF_CORE_READ(regs, r8);
		call->args[5] = BPF_CORE_READ(regs, r9);
	}
	call->number = (__s32)(call->abi == AUDIT_ABI_X32 ? number & ~X32_SYSCALL_BIT : number);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(audit_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	if (!sandbox_of(task))
		return 0;
	struct pending *call = bpf_task_storage_get(&pending, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!call)
		return 0;
	read_call(call, task, regs, id);
	call->active = 1;
	call->denied = 0;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(audit_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct audit_sandbox *sandbox = sandbox_of(task);
	if (!sandbox)
		return 0;
	__u32 id = sandbox->id;
	struct pending *call = bpf_task_storage_get(&pending, task, 0, 0);
	if (call && call->active) {
		call->active = 0;
		if (!call->denied)
			report_call(id, task, call, ret, 0);
		return 0;
	}
	/* Entered before its namespace was watched (the worker's wait for
	 * its go byte): the registers still hold the call. */
	struct pending unmatched = {};
	read_call(&unmatched, task, regs, BPF_CORE_READ(regs, orig_ax));
	report_call(id, task, &unmatched, ret, AUDIT_UNMATCHED);
	return 0;
}

/* seccomp refused the call the task is making: report it now, from the
 * SIGSYS's own account of it and the registers. */
static __always_inline void report_refused(__u32 sandbox, struct task_struct *task, struct kernel_siginfo *info)
{
	struct pending *call = bpf_task_storage_get(&pending, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!call)
		return;
	int number = BPF_CORE_READ(info, _sifields._sigsys._syscall);
	unsigned int arch = BPF_CORE_READ(info, _sifields._sigsys._arch);
	read_call(call, task, (struct pt_regs *)bpf_task_pt_regs(task), number);
	if (arch == AUDIT_ARCH_I386)
		call->abi = AUDIT_ABI_I386;
	call->active = 1;
	call->denied = 1;
	report_call(sandbox, task, call, -ENOSYS, AUDIT_DENIED);
}

SEC("tp_btf/signal_generate")
int BPF_PROG(audit_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task, int group,
	     int result)
{
	struct audit_sandbox *sandbox = sandbox_of(task);
	if (!sandbox)
		return 0;
	__u32 id = sandbox->id;
	/* info may be one of the kernel's markers: SEND_SIG_NOINFO (0, from
	 * a process: SI_USER) or SEND_SIG_PRIV (1, from the kernel). */
	unsigned long marker = (unsigned long)info;
	int code = marker == 0 ? 0 : marker == 1 ? SI_KERNEL : BPF_CORE_READ(info, si_code);
	struct task_struct *current = bpf_get_current_task_btf();
	if (sig == SIGSYS && code == SYS_SECCOMP && marker > 1 && task == current)
		report_refused(id, task, info);
	struct audit_event *event = reserve(AUDIT_SIGNAL, id, task);
	if (!event)
		return 0;
	event->signal = sig;
	event->code = code;
	event->result = result;
	event->sender = BPF_CORE_READ(current, tgid);
	submit(event, true);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(audit_process_exit, struct task_struct *task)
{
	bool group_dead = BPF_CORE_READ(task, signal, live.counter) == 0;
	if (group_dead) {
		__u32 tgid = BPF_CORE_READ(task, tgid);
		bpf_map_delete_elem(&trees, &tgid);
	}
	unsigned int level;
	__u32 inode = pid_namespace(task, &level);
	struct audit_sandbox *sandbox = level ? bpf_map_lookup_elem(&sandboxes, &inode) : NULL;
	if (!sandbox)
		return 0;
	__u32 id = sandbox->id;
	struct pending *call = bpf_task_storage_get(&pending, task, 0, 0);
	if (call && call->active) {
		call->active = 0;
		if (!call->denied)
			report_call(id, task, call, 0, AUDIT_NO_RETURN);
	}
	if (!group_dead)
		return 0;
	struct audit_event *event = reserve(AUDIT_EXIT, id, task);
	if (event) {
		int status = BPF_CORE_READ(task, exit_code);
		event->result = status;
		event->signal = status & 0x7f;
		submit(event, true);
	}
	/* The namespace's first process is gone, and the namespace with it:
	 * its inode number may be handed to another one next. */
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	if (BPF_CORE_READ(pid, numbers[level].nr) == 1)
		bpf_map_delete_elem(&sandboxes, &inode);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(audit_process_fork, struct task_struct *parent, struct task_struct *child)
{
	unsigned int parent_level, child_level;
	__u32 parent_ns = pid_namespace(parent, &parent_level);
	__u32 child_ns = pid_namespace(child, &child_level);
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);
	if (child_ns == parent_ns) {
		__u32 child_tgid = BPF_CORE_READ(child, tgid);
		__u8 yes = 1;
		if (child_tgid != parent_tgid && bpf_map_lookup_elem(&trees, &parent_tgid))
			bpf_map_update_elem(&trees, &child_tgid, &yes, BPF_ANY);
		return 0;
	}
	/* A new pid namespace: part of the same sandbox when a watched
	 * sandbox made it, a sandbox of its own when a watched tree did. */
	struct audit_sandbox sandbox;
	struct audit_sandbox *outer = parent_level ? bpf_map_lookup_elem(&sandboxes, &parent_ns) : NULL;
	if (outer)
		sandbox.id = outer->id;
	else if (bpf_map_lookup_elem(&trees, &parent_tgid))
		sandbox.id = BPF_CORE_READ(child, pid);
	else
		return 0;
	bpf_map_update_elem(&sandboxes, &child_ns, &sandbox, BPF_ANY);
	return 0;
}
