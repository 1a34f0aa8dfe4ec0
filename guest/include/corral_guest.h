/*
 * corral_guest.h: the interface between a C program compiled for the PVM and its host.
 *
 * A guest is built for RV64E (rv64emac_zbb, lp64e) and translated by `corral link` into a
 * JAM standard program. The translator understands two custom RISC-V instructions, both in
 * the custom-0 major opcode (0x0b), I-type:
 *
 *   .insn i 0x0b, 0, x0, x0, N    host call N (0 <= N <= 2047)   -> PVM `ecalli N`
 *   .insn i 0x0b, 1, rd, rs, 0    grow the heap by rs bytes       -> PVM `sbrk rd, rs`
 *
 * GP 0.8 (`--isa gp0.8`) has no sbrk instruction: there `sbrk a0, a0` becomes host call
 * 1003 (`ecalli 1003`, or the import `corral_sbrk` in a .polkavm container), which the host
 * answers exactly as the instruction would; sbrk in other registers cannot be translated.
 *
 * A host call follows the RISC-V C calling convention: arguments in a0..a5, the result in
 * a0. So a host function with up to six integer or pointer arguments is declared with
 * CORRAL_IMPORT and called like any C function.
 *
 * Two sections describe the program to the translator; the linker script (guest/corral.ld)
 * places them outside the guest's memory:
 *
 *   .corral_imports  one record per host-call stub in the program:
 *                    4-byte aligned { u32 number; char name[] (NUL-terminated) }.
 *                    Each stub is static, so a number appears once per translation unit
 *                    that calls it. The records are SHF_LINK_ORDER sections tied to their
 *                    stub's code: --gc-sections drops the record with an unused stub.
 *   .corral_exports  one record per entry point:
 *                    8-byte aligned { u64 address (R_RISCV_64); char name[] (NUL-terminated) }.
 *                    The first record in link order is `_start` (crt0.o comes first), which
 *                    the translator puts at pc 0.
 *
 * The host calls of `corral run`:
 *
 *   1000  exit(code)               end the program with this exit status; does not return
 *   1001  write(fd, buf, len)      write to fd 1 (stdout) or 2 (stderr); bytes written or -1
 *   1002  read(fd, buf, len)       read from fd 0 (stdin); bytes read, 0 at end of input, -1
 *   1003  sbrk(increment)          GP 0.8 only, made by the translator from corral_sbrk below
 */
#ifndef CORRAL_GUEST_H
#define CORRAL_GUEST_H

#define CORRAL_STRINGIFY_(x) #x
#define CORRAL_STRINGIFY(x)  CORRAL_STRINGIFY_(x)

/*
 * CORRAL_IMPORT(number, return_type, name, params...) defines `name` as a host function.
 * Write `void` for an empty parameter list: CORRAL_IMPORT(7, long, gas_left, void).
 * The stub is static and only emitted (with its .corral_imports record) where it is used.
 * (clang-format is off: it cannot lay out string pieces glued to a macro call.)
 */
// clang-format off
#define CORRAL_IMPORT(number, return_type, name, ...) \
	__attribute__((naked, noinline, unused)) static return_type name(__VA_ARGS__) \
	{ \
		__asm__ volatile(".pushsection .corral_imports,\"ao\",@progbits," #name "\n" \
				 ".balign 4\n" \
				 ".word " CORRAL_STRINGIFY(number) "\n" \
				 ".asciz \"" #name "\"\n" \
				 ".popsection\n" \
				 ".insn i 0x0b, 0, x0, x0, " CORRAL_STRINGIFY(number) "\n" \
				 "ret\n"); \
	}
// clang-format on

/*
 * CORRAL_EXPORT(name) makes the function `name`, defined with external linkage, an entry
 * point the host can call. Use it at file scope.
 */
#define CORRAL_EXPORT(name)                                      \
	__asm__(".pushsection .corral_exports,\"a\",@progbits\n" \
		".balign 8\n"                                    \
		".quad " #name "\n"                              \
		".asciz \"" #name "\"\n"                         \
		".popsection\n")

#define CORRAL_HOST_EXIT  1000
#define CORRAL_HOST_WRITE 1001
#define CORRAL_HOST_READ  1002
#define CORRAL_HOST_SBRK  1003 /* not declared here: the translator makes it from corral_sbrk */

CORRAL_IMPORT(1000, void, corral_host_exit, int code)
CORRAL_IMPORT(1001, long, corral_write, int fd, const void *buf, unsigned long len)
CORRAL_IMPORT(1002, long, corral_read, int fd, void *buf, unsigned long len)

/* The trap only runs if a host resumed the program after exit, which it must not do. */
__attribute__((noreturn, unused)) static inline void corral_exit(int code)
{
	corral_host_exit(code);
	__builtin_trap();
}

/*
 * Returns the heap top before the call and grows the heap by `increment` bytes; 0 returns
 * the current top without growing. Returns 0 (NULL) when the heap cannot grow. Memory the
 * heap grows into reads as zero.
 */
__attribute__((naked, noinline, unused)) static void *corral_sbrk(unsigned long increment)
{
	__asm__ volatile(".insn i 0x0b, 1, a0, a0, 0\n"
			 "ret\n");
}

#endif
