/* corral check: what this kernel and CPU offer (host/features.c probes
 * each by using it), and what corral will use because of it: the backend,
 * the sandbox and its layers, the dynamic paging mechanism, the audit. A
 * report, so a missing feature is not a failure: it exits 0. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/cli.h"
#include "host/features.h"

/* One decision of the "will use" section: what was picked, and why (the
 * layers in use, or the missing feature that ruled the better choice out). */
struct choice {
	const char *name;
	const char *pick;
	char detail[1024];
};

enum { CHOICE_BACKEND, CHOICE_SANDBOX, CHOICE_PAGING, CHOICE_AUDIT, CHOICE_COUNT };

/* What the Linux sandbox cannot start without; Landlock and cgroups are
 * extra walls it adds when they are there. */
static const enum host_feature sandbox_needs[] = {
	HOST_FEATURE_USER_NAMESPACES,
	HOST_FEATURE_NAMESPACES,
	HOST_FEATURE_MEMFD_EXEC,
	HOST_FEATURE_SECCOMP,
};

static void add(struct choice *choice, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void add(struct choice *choice, const char *format, ...)
{
	size_t used = strlen(choice->detail);
	va_list args;
	va_start(args, format);
	vsnprintf(choice->detail + used, sizeof choice->detail - used, format, args);
	va_end(args);
}

static void choose_sandbox(const struct host_feature_report *reports, struct choice *choice)
{
	for (size_t i = 0; i < sizeof sandbox_needs / sizeof sandbox_needs[0]; i++) {
		const struct host_feature_report *need = &reports[sandbox_needs[i]];
		if (!need->available) {
			choice->pick = "none";
			add(choice, "the Linux sandbox needs %s: %s", host_feature_name(sandbox_needs[i]),
			    need->detail);
			return;
		}
	}
	const struct host_feature_report *landlock = &reports[HOST_FEATURE_LANDLOCK];
	const struct host_feature_report *cgroup = &reports[HOST_FEATURE_CGROUP];
	choice->pick = "linux";
	add(choice, "a zygote run from a sealed memfd in new user mnt pid net ipc uts cgroup namespaces, under a "
		    "kill-by-default seccomp filter; ");
	if (landlock->available)
		add(choice, "Landlock as one more wall; ");
	else
		add(choice, "no Landlock (%s); ", landlock->detail);
	if (cgroup->available)
		add(choice, "memory and pids limits by cgroup");
	else
		add(choice, "no cgroup limits (%s)", cgroup->detail);
}

static void choose(const struct host_feature_report *reports, struct choice choices[CHOICE_COUNT])
{
	const struct host_feature_report *cpu = &reports[HOST_FEATURE_JIT_CPU];
	const struct host_feature_report *uffd = &reports[HOST_FEATURE_USERFAULTFD];
	const struct host_feature_report *bpf = &reports[HOST_FEATURE_BPF];
	struct choice *backend = &choices[CHOICE_BACKEND], *sandbox = &choices[CHOICE_SANDBOX];
	struct choice *paging = &choices[CHOICE_PAGING], *audit = &choices[CHOICE_AUDIT];

	*backend = (struct choice){.name = "backend", .pick = cpu->available ? "jit" : "interp"};
	add(backend, "%s",
	    cpu->available ? "this CPU runs the x86-64 compiler's code (--backend jit); the interpreter works anywhere"
			   : cpu->detail);

	*sandbox = (struct choice){.name = "sandbox"};
	choose_sandbox(reports, sandbox);

	/* As host/instance.c and host/sandbox.c choose: the interpreter needs
	 * no mechanism; compiled code pages with a userfaultfd where one works. */
	*paging = (struct choice){.name = "dynamic-paging", .pick = uffd->available ? "userfaultfd" : "mprotect"};
	if (!uffd->available)
		add(paging,
		    "compiled code's pages by page protections and fault signals, one mapping per run of equal pages "
		    "(so vm.max_map_count bounds how scattered they may be), since userfaultfd is not usable: %s; ",
		    uffd->detail);
	else if (!strcmp(sandbox->pick, "linux"))
		add(paging, "in the sandbox, a userfaultfd each zygote makes (UFFD_USER_MODE_ONLY, in its user "
			    "namespace, before its seccomp filter) and hands to the host, which registers its guest "
			    "memfd mapping for missing and write-protect faults (delivered as SIGBUS) and maps, fills "
			    "and protects pages with the ioctls; compiled code in this process (--sandbox none) pages "
			    "with a userfaultfd of this process; ");
	else
		add(paging, "compiled code's guest memory is a memfd mapping watched by a userfaultfd of this process "
			    "(UFFD_USER_MODE_ONLY; missing and write-protect faults delivered as SIGBUS); ");
	add(paging, "the interpreter tests its page table itself");

	*audit = (struct choice){.name = "audit", .pick = bpf->available ? "ebpf" : "none"};
	add(audit, "%s",
	    bpf->available
		    ? "when asked (corral audit): CO-RE programs on the syscall and signal tracepoints, a BPF ring buffer"
		    : bpf->detail);
}

static void print_text(const struct utsname *system, const struct host_feature_report *reports,
		       const struct choice *choices)
{
	printf("corral %s on Linux %s (%s), uid %u\n\n", CORRAL_VERSION, system->release, system->machine,
	       (unsigned)geteuid());
	for (int i = 0; i < HOST_FEATURE_COUNT; i++)
		printf("%-16s %-3s  %s\n", host_feature_name(i), reports[i].available ? "yes" : "no",
		       reports[i].detail);
	printf("\nwill use:\n");
	for (int i = 0; i < CHOICE_COUNT; i++)
		printf("%-16s %-12s %s\n", choices[i].name, choices[i].pick, choices[i].detail);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void print_json_string(const char *text)
{
	putchar('"');
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if (*c < 0x20)
			printf("\\u%04x", *c);
		else
			putchar(*c);
	}
	putchar('"');
}

static void print_json(const struct utsname *system, const struct host_feature_report *reports,
		       const struct choice *choices)
{
	printf("{\"version\":");
	print_json_string(CORRAL_VERSION);
	printf(",\"kernel\":");
	print_json_string(system->release);
	printf(",\"machine\":");
	print_json_string(system->machine);
	printf(",\"uid\":%u,\"features\":{", (unsigned)geteuid());
	for (int i = 0; i < HOST_FEATURE_COUNT; i++) {
		printf("%s", i ? "," : "");
		print_json_string(host_feature_name(i));
		printf(":{\"available\":%s,\"detail\":", reports[i].available ? "true" : "false");
		print_json_string(reports[i].detail);
		printf("}");
	}
	printf("},\"will-use\":{");
	for (int i = 0; i < CHOICE_COUNT; i++) {
		printf("%s", i ? "," : "");
		print_json_string(choices[i].name);
		printf(":{\"pick\":");
		print_json_string(choices[i].pick);
		printf(",\"detail\":");
		print_json_string(choices[i].detail);
		printf("}");
	}
	printf("}}\n");
}

int cmd_check(int argc, char **argv)
{
	const struct command *self = cli_command("check");
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (argv[i][0] == '-')
			return cli_usage_error(self, "unknown option %s", argv[i]);
		else
			return cli_usage_error(self, "takes no file or other argument (got %s)", argv[i]);
	}
	struct host_feature_report reports[HOST_FEATURE_COUNT];
	struct choice choices[CHOICE_COUNT];
	struct utsname system;
	if (uname(&system))
		memset(&system, 0, sizeof system);
	host_features_probe(reports);
	choose(reports, choices);
	(json ? print_json : print_text)(&system, reports, choices);
	return 0;
}
