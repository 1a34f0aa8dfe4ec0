/* What the audit's eBPF programs (bpf/audit.bpf.c) write into the ring
 * buffer and keep in their maps, shared with the loader (host/audit.c).
 * Fixed-size records of plain integers, so that both sides agree on the
 * layout without BTF: vmlinux.h gives the BPF side the __u64 family,
 * <linux/types.h> the host's. */
#ifndef BPF_AUDIT_EVENT_H
#define BPF_AUDIT_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum audit_kind {
	AUDIT_SYSCALL = 1, /* a system call returned, was refused, or never returned */
	AUDIT_SIGNAL = 2,  /* a signal was generated for a task of a sandbox */
	AUDIT_EXIT = 3,    /* the last task of a process of a sandbox ended */
};

/* Which system call table `number` belongs to. */
enum audit_abi {
	AUDIT_ABI_X86_64 = 0,
	AUDIT_ABI_I386 = 1, /* int 0x80 (or a 32-bit process) */
	AUDIT_ABI_X32 = 2,  /* the x32 bit was set: `number` is without it */
};

enum audit_flag {
	AUDIT_DENIED = 1u << 0,    /* seccomp refused it (SIGSYS, si_code SYS_SECCOMP) */
	AUDIT_NO_RETURN = 1u << 1, /* it never came back: exit, exit_group, refused, or the task died in it */
	AUDIT_UNMATCHED = 1u << 2, /* in progress when watching began: seen only as it returned */
};

struct audit_event {
	__u64 time_ns; /* bpf_ktime_get_ns (CLOCK_MONOTONIC): when the call was made, or the signal or exit */
	__u64 args[6];
	__s64 result; /* syscall: its return value; signal: TRACE_SIGNAL_*; exit: the wait status */
	__s32 number; /* syscall number in `abi`'s table */
	__u32 kind;   /* enum audit_kind */
	__u32 sandbox;
	__u32 pid; /* host view: tgid */
	__u32 tid;
	__u32 abi;   /* enum audit_abi */
	__u32 flags; /* enum audit_flag */
	__s32 signal;
	__s32 code;   /* signal: si_code */
	__u32 sender; /* signal: the process that sent it (host view) */
};

/* A watched sandbox, keyed by the inode of its pid namespace. */
struct audit_sandbox {
	__u32 id; /* the host pid of its first process */
};

/* The counters the programs keep, per CPU. */
enum audit_counter {
	AUDIT_COUNTER_DROPPED, /* events lost: the ring buffer was full */
	AUDIT_COUNTER_COUNT,
};

#endif
