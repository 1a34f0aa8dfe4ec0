#include <stdio.h>
#include <string.h>

#include "cli/audit.h"
#include "cli/bench.h"
#include "cli/cli.h"
#include "cli/pvf.h"

const struct command cli_commands[] = {
	{"run",
	 "[--backend interp|jit] [--gas-metering sync|async|off] [--sandbox linux|none|auto] [--cross-check] [--gas N] "
	 "[--gas-model naive|gp08] [--pc N] [--entry NAME] [--isa gp0.7|gp0.8] [--format auto|blob|jam|polkavm] "
	 "[--args HEX] [--trace] [--continue] [--host auto|guest|none] [--dynamic-paging] [--audit[=required|optional]] "
	 "FILE [ARGS...]",
	 "run a program: a guest built by corral cc as a process (stdout, stdin, ARGS, exit code); any other until it "
	 "stops, printing how, the registers and the gas used (--continue: show each host call and resume). "
	 "--backend jit compiles to x86-64 (default: the interpreter) and runs it in the linux sandbox where the "
	 "kernel allows it (--sandbox none: in this process); --gas-metering async or off trades exact "
	 "out-of-gas stops for speed; --cross-check runs the interpreter beside the compiled code and stops at the "
	 "first difference; --dynamic-paging starts it with no memory mapped and maps each page of its layout as it "
	 "is touched; --audit traces every system call of its sandboxes to stderr (see corral audit)",
	 cmd_run},
	{"disasm",
	 "FILE [--isa gp0.7|gp0.8] [--format auto|blob|jam|polkavm] [--native [--gas-metering sync|async|off]] "
	 "[-o OUT.s]",
	 "print every instruction with its offset, the block starts and the jump table; --native: under each, the "
	 "x86-64 code the compiler makes of it (objdump), then the trampolines",
	 cmd_disasm},
	{"asm", "FILE.s -o OUT", "assemble PVM assembly (the disassembler's output assembles back to the same bytes)",
	 cmd_asm},
	{"gas", "FILE [--model gp08|naive] [--isa gp0.7|gp0.8] [--format auto|blob|jam|polkavm]",
	 "print each basic block's pc and cost; for a test vector with block-gas-costs, compare: N blocks, M differ",
	 cmd_gas},
	{"link", "IN.elf -o OUT [--format jam|polkavm] [--isa gp0.7|gp0.8] [--stack-size BYTES] [--verbose]",
	 "translate a RISC-V RV64E guest executable (ld.lld --emit-relocs) into a PVM program", cmd_link},
	{"cc",
	 "FILE.c... -o OUT [-O2] [-I DIR] [-D NAME[=VALUE]] [--format jam|polkavm] [--isa gp0.7|gp0.8] [--stack-size "
	 "BYTES] [-v] [--keep]",
	 "compile C for the PVM: clang-19 for RV64E, ld.lld-19 with the guest SDK, then corral link", cmd_cc},
	{"vectors",
	 "[--backend interp|jit] [--cross-check] [--sandbox linux|none|auto] [--isa gp0.7|gp0.8] [--gas-model naive|gp08] "
	 "[--dynamic-paging] [--verbose] PATH...",
	 "run JSON test vectors (files or folders) and report each failure (gas metering is always sync: vectors "
	 "check exact gas); --dynamic-paging maps what each vector maps and writes only as its runs touch it",
	 cmd_vectors},
	{"check", "[--json]",
	 "probe which kernel features and sandbox layers this machine offers (each by using it) and say which "
	 "backend, sandbox, dynamic paging and audit corral will use; exits 0 whatever is missing",
	 cmd_check},
	{"audit", "[--json] [--audit=required|optional] [-o FILE] -- COMMAND [ARGS...]",
	 "run COMMAND (say, corral run --backend jit --sandbox linux prog.jam) and trace from the kernel (eBPF) each "
	 "system call, refused call, signal and exit of every sandbox it starts, then a summary per sandbox; to stderr "
	 "or FILE, --json one event per line. Needs root and BTF; --audit=optional runs COMMAND unaudited without them",
	 cmd_audit},
	{"serve",
	 "--socket PATH [--cache DIR] [--prepare-workers N] [--execute-workers N] [--precheck-timeout MS] "
	 "[--prepare-timeout MS] [--execute-timeout MS] [--memory-limit BYTES] [--prepare-memory-limit BYTES] "
	 "[--gas N] [--max-output BYTES] [--isa gp0.7|gp0.8] [--format auto|blob|jam|polkavm] [--gas-model naive|gp08]",
	 "the validation pipeline as a daemon: prepares (validates and compiles, in a sandboxed job process; "
	 "artifacts cached in DIR) and executes (each in a fresh sandbox worker) programs that corral validate sends, "
	 "with CPU-time and memory limits per job; logs each verdict, its reason and timings",
	 cmd_serve},
	{"validate", "--socket PATH PROGRAM [--input FILE] [--mode precheck|backing|approval] [--gas N]",
	 "ask a corral serve daemon to validate PROGRAM on FILE (its stdin); prints the verdict (valid, invalid, no "
	 "verdict), the reason, the output and the timings; exit status 0, 3 or 4 by verdict. precheck only "
	 "prepares; backing never retries; approval (the default) retries a possibly transient failure once",
	 cmd_validate},
	{"bench",
	 "[--runs N] [--budget SECONDS] [--json FILE] [--plot FILE.png] [--workloads NAME,...] [--targets NAME,...] "
	 "[--dir DIR]",
	 "time the workloads make bench builds (DIR, default BUILD/bench/workloads beside corral) on native code, "
	 "corral's interpreter and JIT (in process and sandboxed, each gas metering), V8 and qemu-riscv64, taking "
	 "turns run by run (fewer than N rounds once a workload's pass SECONDS, 60 by default) after checking that "
	 "all print the same checksum; a table of medians, spreads and ratios "
	 "to native on stdout, every sample as JSON, the ratios as a PNG (gnuplot)",
	 cmd_bench},
	{0},
};

const struct command *cli_command(const char *name)
{
	for (const struct command *command = cli_commands; command->name; command++)
		if (!strcmp(command->name, name))
			return command;
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out, "corral %s: a runtime for PVM programs\n\nusage:\n", CORRAL_VERSION);
	for (const struct command *command = cli_commands; command->name; command++)
		fprintf(out, "  corral %s %s\n      %s\n", command->name, command->usage, command->summary);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("corral %s\n", CORRAL_VERSION);
		return 0;
	}
	const struct command *command = cli_command(argv[1]);
	if (!command) {
		fprintf(stderr, "corral: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	return command->run(argc - 1, argv + 1);
}
