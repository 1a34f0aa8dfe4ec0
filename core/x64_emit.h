/* The x86-64 instruction encoder the compiler emits through: one small
 * function per instruction form, each writing at a byte cursor and returning
 * the cursor past what it wrote:
 *
 *	at = x64_alu_rr(at, X64_ADD, X64_W64, X64_RAX, X64_RCX);    add rax, rcx
 *	at = x64_mov_rm(at, X64_W32, X64_RDX, x64_mem_base(X64_R13, 8));    mov edx, [r13 + 8]
 *
 * Nothing checks for room: the caller reserves X64_MAX_INSTRUCTION bytes per
 * instruction (x64_nop and x64_align excepted, which write what they are asked
 * for). The longest form here is 13 bytes: 0x67 or the GS prefix, REX,
 * opcode, ModRM, SIB, disp32, imm32 (mov qword [ebase + eindex + disp32],
 * imm32).
 *
 * Names say what is emitted; the suffix says where the operands are: r a
 * register, m memory, i an immediate, destination first (x64_mov_mr stores).
 * Deliberately absent, so that compiled code cannot contain them: rdtsc,
 * rdtscp, rdrand, rdseed, cpuid, syscall, sysenter, int and int3. */
#ifndef PVM_X64_EMIT_H
#define PVM_X64_EMIT_H

#include <stdbool.h>
#include <stdint.h>

/* Every emitter is inlined, always: at a call the width, the opcode and
 * often the registers are constants, which leave a few stores of each; as
 * calls they took the compiler a third of its time. Under a sanitizer
 * (the checked tests and the fuzzers, where only behaviour counts) the
 * instrumented copies would take the C compiler many minutes, so there it
 * chooses what to inline. */
#ifdef __has_feature
#define X64_SANITIZED __has_feature(address_sanitizer)
#else
#define X64_SANITIZED 0
#endif
#if defined(__SANITIZE_ADDRESS__) || X64_SANITIZED
#define X64_ALWAYS_INLINE
#else
#define X64_ALWAYS_INLINE __attribute__((always_inline))
#endif
#define X64_INLINE static inline X64_ALWAYS_INLINE

/* The architectural limit on an instruction's length. */
#define X64_MAX_INSTRUCTION 15

enum x64_reg {
	X64_RAX,
	X64_RCX,
	X64_RDX,
	X64_RBX,
	X64_RSP,
	X64_RBP,
	X64_RSI,
	X64_RDI,
	X64_R8,
	X64_R9,
	X64_R10,
	X64_R11,
	X64_R12,
	X64_R13,
	X64_R14,
	X64_R15,
};

/* The base of a RIP-relative memory operand: not a register anywhere else. */
#define X64_RIP_BASE 16
/* The base of an operand that has none: [index * scale + disp32] or
 * [disp32], which with a segment (x64_mem_gs) count from its base. */
#define X64_NO_BASE 17

/* Operand width: 16 bits is the 0x66 prefix, 64 bits REX.W, 8 bits a
 * separate opcode. A 32-bit result clears bits 63:32 of its register; an 8-
 * or 16-bit one leaves them alone. */
enum x64_width {
	X64_W8,
	X64_W16,
	X64_W32,
	X64_W64,
};

/* The arithmetic group, in its encoding order: the value is the /digit of
 * 80/81/83 and bits 5:3 of the register forms (add 01, or 09, ... cmp 39). */
enum x64_alu {
	X64_ADD,
	X64_OR,
	X64_ADC,
	X64_SBB,
	X64_AND,
	X64_SUB,
	X64_XOR,
	X64_CMP,
};

/* The /digit of the shift group C0/C1, D0/D1, D2/D3 (6 is an alias of shl). */
enum x64_shift {
	X64_ROL,
	X64_ROR,
	X64_RCL,
	X64_RCR,
	X64_SHL,
	X64_SHR,
	X64_SAR = 7,
};

/* The one-operand forms of group 3, F6/F7 /digit (0 and 1 are test r/m, imm).
 * mul, imul, div and idiv work on rdx:rax (ah:al for bytes). */
enum x64_unary {
	X64_NOT = 2,
	X64_NEG,
	X64_MUL,
	X64_IMUL,
	X64_DIV,
	X64_IDIV,
};

/* F3 0F xx: the opcode byte. lzcnt and tzcnt need ABM/BMI1, popcnt POPCNT;
 * on a processor without them F3 0F BD/BC decode as bsr/bsf. */
enum x64_bitcount {
	X64_POPCNT = 0xB8,
	X64_TZCNT = 0xBC,
	X64_LZCNT = 0xBD,
};

/* The condition nibble of jcc, setcc and cmovcc. Each even condition's
 * opposite is the next one, so x64_cond_invert flips the low bit. */
enum x64_cond {
	X64_O,
	X64_NO,
	X64_B, /* unsigned <, carry */
	X64_AE,
	X64_E, /* zero */
	X64_NE,
	X64_BE,
	X64_A,
	X64_S,
	X64_NS,
	X64_P,
	X64_NP,
	X64_L, /* signed < */
	X64_GE,
	X64_LE,
	X64_G,
};

X64_INLINE enum x64_cond x64_cond_invert(enum x64_cond cond)
{
	return (enum x64_cond)(cond ^ 1);
}

/* A memory operand [base + index * scale + disp], or [rip + disp] (no index)
 * where disp counts from the end of the instruction, after any immediate.
 * rsp cannot be an index: its encoding means "no index".
 *
 * gs (the 0x65 prefix) adds GS's base to the address: compiled code that
 * keeps its anchor there rather than in a register.
 *
 * addr32 (the 0x67 prefix) computes the address in 32 bits: the low halves of
 * base and index are added to disp mod 2^32 and the sum is zero-extended. Guest
 * memory is the low 4 GiB of the sandbox, so a guest address wraps exactly as
 * the PVM's does. */
struct x64_mem {
	uint8_t base;  /* enum x64_reg, X64_RIP_BASE or X64_NO_BASE */
	uint8_t index; /* enum x64_reg, when has_index */
	uint8_t scale; /* 1, 2, 4 or 8 */
	bool has_index;
	bool addr32;
	bool gs;
	int32_t disp;
};

X64_INLINE struct x64_mem x64_mem_base(enum x64_reg base, int32_t disp)
{
	return (struct x64_mem){.base = (uint8_t)base, .scale = 1, .disp = disp};
}

X64_INLINE struct x64_mem x64_mem_index(enum x64_reg base, enum x64_reg index, unsigned scale, int32_t disp)
{
	return (struct x64_mem){.base = (uint8_t)base,
				.index = (uint8_t)index,
				.scale = (uint8_t)scale,
				.has_index = true,
				.disp = disp};
}

X64_INLINE struct x64_mem x64_mem_rip(int32_t disp)
{
	return (struct x64_mem){.base = X64_RIP_BASE, .scale = 1, .disp = disp};
}

X64_INLINE struct x64_mem x64_mem_addr32(struct x64_mem mem)
{
	mem.addr32 = true;
	return mem;
}

X64_INLINE struct x64_mem x64_mem_gs(struct x64_mem mem)
{
	mem.gs = true;
	return mem;
}

/* ---- the encoding: every emitter below goes through these ------------- */

X64_INLINE bool x64_fits8(int64_t value)
{
	return value >= -128 && value <= 127;
}

X64_INLINE bool x64_fits32(int64_t value)
{
	return value >= INT32_MIN && value <= INT32_MAX;
}

X64_INLINE uint8_t *x64_imm8(uint8_t *at, uint32_t value)
{
	*at = (uint8_t)value;
	return at + 1;
}

/* The low `bytes` bytes of value, little-endian as x86 reads them: with a
 * constant count, one store on a little-endian host (byte stores do not
 * always merge into one). */
X64_INLINE uint8_t *x64_imm_bytes(uint8_t *at, uint64_t value, unsigned bytes)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	__builtin_memcpy(at, &value, bytes);
#else
	for (unsigned i = 0; i < bytes; i++)
		at[i] = (uint8_t)(value >> 8 * i);
#endif
	return at + bytes;
}

X64_INLINE uint8_t *x64_imm16(uint8_t *at, uint32_t value)
{
	return x64_imm_bytes(at, value, 2);
}

X64_INLINE uint8_t *x64_imm32(uint8_t *at, uint32_t value)
{
	return x64_imm_bytes(at, value, 4);
}

X64_INLINE uint8_t *x64_imm64(uint8_t *at, uint64_t value)
{
	return x64_imm_bytes(at, value, 8);
}

/* An immediate as wide as the operation, but at most 32 bits: a 64-bit
 * operation sign-extends it. */
X64_INLINE uint8_t *x64_imm(uint8_t *at, enum x64_width width, int32_t value)
{
	if (width == X64_W8)
		return x64_imm8(at, (uint32_t)value);
	if (width == X64_W16)
		return x64_imm16(at, (uint32_t)value);
	return x64_imm32(at, (uint32_t)value);
}

/* Most one-byte opcodes come in pairs whose low bit picks byte operands (0)
 * or full-size ones (1): the emitters name the full-size one. */
X64_INLINE uint32_t x64_wbit(uint32_t opcode, enum x64_width width)
{
	return width == X64_W8 ? opcode & ~1u : opcode;
}

/* Marks a register operand as a byte register when the width is 8 bits:
 * without a REX prefix, numbers 4-7 name ah, ch, dh and bh; with any REX
 * prefix they name spl, bpl, sil and dil. */
#define X64_BYTE_REG 0x20u

X64_INLINE unsigned x64_sized(enum x64_width width, unsigned reg)
{
	return width == X64_W8 ? reg | X64_BYTE_REG : reg;
}

X64_INLINE bool x64_needs_rex_as_byte(unsigned reg)
{
	return (reg & X64_BYTE_REG) && (reg & 0xF) >= X64_RSP && (reg & 0xF) <= X64_RDI;
}

/* REX is 0100WRXB: W for 64-bit operands, then bit 3 of the ModRM reg field,
 * of the SIB index and of ModRM rm (or SIB base, or the opcode's register).
 * Any register from r8 on needs it, and a byte register from spl to dil.
 * Returns 0 when no prefix is needed. */
X64_INLINE unsigned x64_rex(enum x64_width width, unsigned reg, unsigned index, unsigned rm)
{
	unsigned rex = (width == X64_W64 ? 8u : 0u) | (reg & 8) >> 1 | (index & 8) >> 2 | (rm & 8) >> 3;
	if (rex || x64_needs_rex_as_byte(reg) || x64_needs_rex_as_byte(rm))
		return 0x40 | rex;
	return 0;
}

/* ModRM is mod:2 reg:3 rm:3; a SIB byte, scale:2 index:3 base:3, has the
 * same shape. */
X64_INLINE uint8_t x64_modrm(unsigned mod, unsigned reg, unsigned rm)
{
	return (uint8_t)(mod << 6 | (reg & 7) << 3 | (rm & 7));
}

/* Prefixes, REX and opcode. Legacy prefixes decode in any order (these are
 * LLVM's), but REX must come last, right before the opcode, or the processor
 * ignores it: so a mandatory prefix goes before it. `opcode` is one byte,
 * 0x0Fxx for the two-byte map, or 0xF30Fxx with the mandatory prefix F3. */
X64_INLINE uint8_t *x64_opcode(uint8_t *at, uint32_t opcode, enum x64_width width, bool addr32, unsigned rex)
{
	if (addr32)
		*at++ = 0x67;
	if (width == X64_W16)
		*at++ = 0x66;
	if (opcode > 0xFFFF)
		*at++ = (uint8_t)(opcode >> 16);
	if (rex)
		*at++ = (uint8_t)rex;
	if (opcode > 0xFF)
		*at++ = (uint8_t)(opcode >> 8);
	*at++ = (uint8_t)opcode;
	return at;
}

/* An instruction whose ModRM names a register: `reg` is a register or an
 * opcode extension (/digit). */
X64_INLINE uint8_t *x64_operand_reg(uint8_t *at, uint32_t opcode, enum x64_width width, unsigned reg, unsigned rm)
{
	at = x64_opcode(at, opcode, width, false, x64_rex(width, reg, 0, rm));
	*at++ = x64_modrm(3, reg, rm);
	return at;
}

/* An instruction whose register is the low three bits of its opcode. */
X64_INLINE uint8_t *x64_operand_in_opcode(uint8_t *at, uint32_t opcode, enum x64_width width, unsigned reg)
{
	return x64_opcode(at, opcode + (reg & 7), width, false, x64_rex(width, 0, 0, reg));
}

/* An instruction whose ModRM names memory. Two rm values are escapes, and
 * the processor decodes them before it looks at REX.B, so they catch r12 and
 * r13 as well as rsp and rbp: rm 100 means "a SIB byte follows", so rsp and
 * r12 as a base need a SIB byte; mod 00 with rm (or SIB base) 101 means
 * "rip + disp32" (no base + disp32 in SIB), so rbp and r13 as a base need a
 * displacement, if only a disp8 of 0. An index has no such escape but one:
 * 100 without REX.X is "none", so rsp cannot be an index but r12 can. */
X64_INLINE uint8_t *x64_operand_mem(uint8_t *at, uint32_t opcode, enum x64_width width, unsigned reg,
				    struct x64_mem mem)
{
	bool rip = mem.base == X64_RIP_BASE, no_base = mem.base == X64_NO_BASE;
	unsigned index = mem.has_index ? mem.index : 0;
	if (mem.gs)
		*at++ = 0x65;
	at = x64_opcode(at, opcode, width, mem.addr32, x64_rex(width, reg, index, rip || no_base ? 0 : mem.base));
	if (rip) {
		*at++ = x64_modrm(0, reg, 5);
		return x64_imm32(at, (uint32_t)mem.disp);
	}
	if (no_base) { /* SIB with base rbp and mod 0: no base, disp32 */
		*at++ = x64_modrm(0, reg, 4);
		*at++ = x64_modrm(mem.has_index ? (unsigned)__builtin_ctz(mem.scale) : 0,
				  mem.has_index ? mem.index : X64_RSP, X64_RBP);
		return x64_imm32(at, (uint32_t)mem.disp);
	}
	unsigned mod = mem.disp == 0 && (mem.base & 7) != X64_RBP ? 0 : x64_fits8(mem.disp) ? 1 : 2;
	if (mem.has_index || (mem.base & 7) == X64_RSP) {
		*at++ = x64_modrm(mod, reg, 4);
		*at++ = x64_modrm(mem.has_index ? (unsigned)__builtin_ctz(mem.scale) : 0,
				  mem.has_index ? mem.index : X64_RSP, mem.base);
	} else {
		*at++ = x64_modrm(mod, reg, mem.base);
	}
	if (mod == 1)
		return x64_imm8(at, (uint32_t)mem.disp);
	if (mod == 2)
		return x64_imm32(at, (uint32_t)mem.disp);
	return at;
}

/* ---- moves -------------------------------------------------------------- */

X64_INLINE uint8_t *x64_mov_rr(uint8_t *at, enum x64_width width, enum x64_reg dst, enum x64_reg src)
{
	return x64_operand_reg(at, x64_wbit(0x89, width), width, x64_sized(width, src), x64_sized(width, dst));
}

X64_INLINE uint8_t *x64_mov_rm(uint8_t *at, enum x64_width width, enum x64_reg dst, struct x64_mem mem)
{
	return x64_operand_mem(at, x64_wbit(0x8B, width), width, x64_sized(width, dst), mem);
}

X64_INLINE uint8_t *x64_mov_mr(uint8_t *at, enum x64_width width, struct x64_mem mem, enum x64_reg src)
{
	return x64_operand_mem(at, x64_wbit(0x89, width), width, x64_sized(width, src), mem);
}

/* mov [m], imm: C6/C7 /0; a 64-bit store sign-extends its 32-bit immediate. */
X64_INLINE uint8_t *x64_mov_mi(uint8_t *at, enum x64_width width, struct x64_mem mem, int32_t imm)
{
	return x64_imm(x64_operand_mem(at, x64_wbit(0xC7, width), width, 0, mem), width, imm);
}

/* mov r32, imm32 (B8+r): zero-extends, so it loads any value below 2^32
 * into the whole 64-bit register. */
X64_INLINE uint8_t *x64_mov_ri32(uint8_t *at, enum x64_reg dst, uint32_t imm)
{
	return x64_imm32(x64_operand_in_opcode(at, 0xB8, X64_W32, dst), imm);
}

/* mov r64, simm32 (REX.W C7 /0): sign-extends. */
X64_INLINE uint8_t *x64_mov_ri32_sx(uint8_t *at, enum x64_reg dst, int32_t imm)
{
	return x64_imm32(x64_operand_reg(at, 0xC7, X64_W64, 0, dst), (uint32_t)imm);
}

/* movabs r64, imm64 (REX.W B8+r): the only way to 64 arbitrary bits. */
X64_INLINE uint8_t *x64_movabs_ri(uint8_t *at, enum x64_reg dst, uint64_t imm)
{
	return x64_imm64(x64_operand_in_opcode(at, 0xB8, X64_W64, dst), imm);
}

/* The shortest of the three: 5 or 6, 7 and 10 bytes. Zero is a mov too, not
 * xor r32, r32: a move must leave the flags alone. */
X64_INLINE uint8_t *x64_mov_ri64(uint8_t *at, enum x64_reg dst, uint64_t value)
{
	if (value <= UINT32_MAX)
		return x64_mov_ri32(at, dst, (uint32_t)value);
	if (x64_fits32((int64_t)value))
		return x64_mov_ri32_sx(at, dst, (int32_t)value);
	return x64_movabs_ri(at, dst, value);
}

/* Widening: dst, `to` bits wide, from the low `from` bits of src. Zero from
 * 8 and 16 bits is movzx (0F B6/B7), sign from 8 and 16 movsx (0F BE/BF);
 * from 32 bits, zero is mov r32, r/m32 (8B) and sign movsxd r64, r/m32
 * (REX.W 63), whatever `to` says. */
X64_INLINE uint32_t x64_extend_opcode(bool sign, enum x64_width from)
{
	static const uint16_t opcodes[2][3] = {{0x0FB6, 0x0FB7, 0x8B}, {0x0FBE, 0x0FBF, 0x63}};
	return opcodes[sign][from];
}

X64_INLINE enum x64_width x64_extend_width(bool sign, enum x64_width to, enum x64_width from)
{
	return from != X64_W32 ? to : sign ? X64_W64 : X64_W32;
}

X64_INLINE uint8_t *x64_extend_rr(uint8_t *at, bool sign, enum x64_width to, enum x64_reg dst, enum x64_width from,
				  enum x64_reg src)
{
	return x64_operand_reg(at, x64_extend_opcode(sign, from), x64_extend_width(sign, to, from), dst,
			       x64_sized(from, src));
}

X64_INLINE uint8_t *x64_extend_rm(uint8_t *at, bool sign, enum x64_width to, enum x64_reg dst, enum x64_width from,
				  struct x64_mem mem)
{
	return x64_operand_mem(at, x64_extend_opcode(sign, from), x64_extend_width(sign, to, from), dst, mem);
}

X64_INLINE uint8_t *x64_movzx_rr(uint8_t *at, enum x64_width to, enum x64_reg dst, enum x64_width from,
				 enum x64_reg src)
{
	return x64_extend_rr(at, false, to, dst, from, src);
}

X64_INLINE uint8_t *x64_movzx_rm(uint8_t *at, enum x64_width to, enum x64_reg dst, enum x64_width from,
				 struct x64_mem mem)
{
	return x64_extend_rm(at, false, to, dst, from, mem);
}

X64_INLINE uint8_t *x64_movsx_rr(uint8_t *at, enum x64_width to, enum x64_reg dst, enum x64_width from,
				 enum x64_reg src)
{
	return x64_extend_rr(at, true, to, dst, from, src);
}

X64_INLINE uint8_t *x64_movsx_rm(uint8_t *at, enum x64_width to, enum x64_reg dst, enum x64_width from,
				 struct x64_mem mem)
{
	return x64_extend_rm(at, true, to, dst, from, mem);
}

X64_INLINE uint8_t *x64_lea(uint8_t *at, enum x64_width width, enum x64_reg dst, struct x64_mem mem)
{
	return x64_operand_mem(at, 0x8D, width, dst, mem);
}

/* xchg r/m, r (87 /r), never the one-byte 90+r: 90 is xchg eax, eax, which
 * is nop and does not clear the upper half of rax. */
X64_INLINE uint8_t *x64_xchg_rr(uint8_t *at, enum x64_width width, enum x64_reg a, enum x64_reg b)
{
	return x64_operand_reg(at, x64_wbit(0x87, width), width, x64_sized(width, a), x64_sized(width, b));
}

/* ---- arithmetic ----------------------------------------------------------- */

X64_INLINE uint8_t *x64_alu_rr(uint8_t *at, enum x64_alu op, enum x64_width width, enum x64_reg dst, enum x64_reg src)
{
	return x64_operand_reg(at, x64_wbit((op & 7) * 8 + 1, width), width, x64_sized(width, src),
			       x64_sized(width, dst));
}

X64_INLINE uint8_t *x64_alu_rm(uint8_t *at, enum x64_alu op, enum x64_width width, enum x64_reg dst, struct x64_mem mem)
{
	return x64_operand_mem(at, x64_wbit((op & 7) * 8 + 3, width), width, x64_sized(width, dst), mem);
}

X64_INLINE uint8_t *x64_alu_mr(uint8_t *at, enum x64_alu op, enum x64_width width, struct x64_mem mem, enum x64_reg src)
{
	return x64_operand_mem(at, x64_wbit((op & 7) * 8 + 1, width), width, x64_sized(width, src), mem);
}

/* 83 /op takes a byte sign-extended to the operand width; 81 /op (80 for
 * bytes) one as wide as the operation, at most 32 bits. */
X64_INLINE bool x64_alu_imm_is_byte(enum x64_width width, int32_t imm)
{
	return width != X64_W8 && x64_fits8(imm);
}

X64_INLINE uint8_t *x64_alu_ri(uint8_t *at, enum x64_alu op, enum x64_width width, enum x64_reg dst, int32_t imm)
{
	if (x64_alu_imm_is_byte(width, imm))
		return x64_imm8(x64_operand_reg(at, 0x83, width, op, dst), (uint32_t)imm);
	/* al/ax/eax/rax have their own opcodes (04/05 + 8 * op), a byte shorter */
	if (dst == X64_RAX)
		return x64_imm(x64_opcode(at, x64_wbit((op & 7) * 8 + 5, width), width, false, x64_rex(width, 0, 0, 0)),
			       width, imm);
	return x64_imm(x64_operand_reg(at, x64_wbit(0x81, width), width, op, x64_sized(width, dst)), width, imm);
}

X64_INLINE uint8_t *x64_alu_mi(uint8_t *at, enum x64_alu op, enum x64_width width, struct x64_mem mem, int32_t imm)
{
	if (x64_alu_imm_is_byte(width, imm))
		return x64_imm8(x64_operand_mem(at, 0x83, width, op, mem), (uint32_t)imm);
	return x64_imm(x64_operand_mem(at, x64_wbit(0x81, width), width, op, mem), width, imm);
}

X64_INLINE uint8_t *x64_test_rr(uint8_t *at, enum x64_width width, enum x64_reg a, enum x64_reg b)
{
	return x64_operand_reg(at, x64_wbit(0x85, width), width, x64_sized(width, b), x64_sized(width, a));
}

/* test has no sign-extended byte form; the accumulator's own (A8/A9) is a
 * byte shorter. */
X64_INLINE uint8_t *x64_test_ri(uint8_t *at, enum x64_width width, enum x64_reg reg, int32_t imm)
{
	if (reg == X64_RAX)
		return x64_imm(x64_opcode(at, x64_wbit(0xA9, width), width, false, x64_rex(width, 0, 0, 0)), width,
			       imm);
	return x64_imm(x64_operand_reg(at, x64_wbit(0xF7, width), width, 0, x64_sized(width, reg)), width, imm);
}

/* not, neg, and mul, imul, div, idiv of rdx:rax by reg */
X64_INLINE uint8_t *x64_unary_r(uint8_t *at, enum x64_unary op, enum x64_width width, enum x64_reg reg)
{
	return x64_operand_reg(at, x64_wbit(0xF7, width), width, op, x64_sized(width, reg));
}

X64_INLINE uint8_t *x64_imul_rr(uint8_t *at, enum x64_width width, enum x64_reg dst, enum x64_reg src)
{
	return x64_operand_reg(at, 0x0FAF, width, dst, src);
}

/* dst = src * imm: 6B /r ib when the factor fits a byte, else 69 /r. */
X64_INLINE uint8_t *x64_imul_rri(uint8_t *at, enum x64_width width, enum x64_reg dst, enum x64_reg src, int32_t imm)
{
	if (x64_fits8(imm))
		return x64_imm8(x64_operand_reg(at, 0x6B, width, dst, src), (uint32_t)imm);
	return x64_imm(x64_operand_reg(at, 0x69, width, dst, src), width, imm);
}

/* edx = the sign of eax, and rdx of rax: the set-up for idiv. */
X64_INLINE uint8_t *x64_cdq(uint8_t *at)
{
	return x64_opcode(at, 0x99, X64_W32, false, 0);
}

X64_INLINE uint8_t *x64_cqo(uint8_t *at)
{
	return x64_opcode(at, 0x99, X64_W64, false, x64_rex(X64_W64, 0, 0, 0));
}

/* By a constant: D1 /op for 1 (shorter, same flags), else C1 /op ib. The
 * processor masks the count to 5 bits (6 for 64-bit operands). */
X64_INLINE uint8_t *x64_shift_ri(uint8_t *at, enum x64_shift op, enum x64_width width, enum x64_reg reg, uint8_t count)
{
	if (count == 1)
		return x64_operand_reg(at, x64_wbit(0xD1, width), width, op, x64_sized(width, reg));
	return x64_imm8(x64_operand_reg(at, x64_wbit(0xC1, width), width, op, x64_sized(width, reg)), count);
}

/* By cl (D3 /op). */
X64_INLINE uint8_t *x64_shift_cl(uint8_t *at, enum x64_shift op, enum x64_width width, enum x64_reg reg)
{
	return x64_operand_reg(at, x64_wbit(0xD3, width), width, op, x64_sized(width, reg));
}

X64_INLINE uint8_t *x64_bitcount_rr(uint8_t *at, enum x64_bitcount op, enum x64_width width, enum x64_reg dst,
				    enum x64_reg src)
{
	return x64_operand_reg(at, 0xF30F00u | op, width, dst, src);
}

/* dst = ~inverted & src (BMI1 andn, VEX.LZ.0F38 F2 /r): three operands,
 * none of them changed but dst, in one instruction. 32 or 64 bits. */
X64_INLINE uint8_t *x64_andn(uint8_t *at, enum x64_width width, enum x64_reg dst, enum x64_reg inverted,
			     enum x64_reg src)
{
	*at++ = 0xC4;
	/* R and B inverted, X unused (set), the 0F38 map. */
	*at++ = (uint8_t)((dst & 8 ? 0 : 0x80) | 0x40 | (src & 8 ? 0 : 0x20) | 0x02);
	/* W, vvvv inverted, L = 0, no implied prefix. */
	*at++ = (uint8_t)((width == X64_W64 ? 0x80 : 0) | ((~inverted & 15) << 3));
	*at++ = 0xF2;
	*at++ = (uint8_t)(0xC0 | (dst & 7) << 3 | (src & 7));
	return at;
}

X64_INLINE uint8_t *x64_bswap(uint8_t *at, enum x64_width width, enum x64_reg reg)
{
	return x64_operand_in_opcode(at, 0x0FC8, width, reg);
}

/* setcc writes only the low byte: follow it with movzx r32, r8 (or clear the
 * register with xor before the compare) for a whole 0 or 1. */
X64_INLINE uint8_t *x64_setcc(uint8_t *at, enum x64_cond cond, enum x64_reg reg)
{
	return x64_operand_reg(at, 0x0F90u + (cond & 15), X64_W8, 0, x64_sized(X64_W8, reg));
}

/* A 32-bit cmov clears dst's upper half even when the condition is false. */
X64_INLINE uint8_t *x64_cmovcc_rr(uint8_t *at, enum x64_cond cond, enum x64_width width, enum x64_reg dst,
				  enum x64_reg src)
{
	return x64_operand_reg(at, 0x0F40u + (cond & 15), width, dst, src);
}

/* ---- control flow ------------------------------------------------------------
 *
 * A relative displacement counts from the end of the instruction, and the
 * rel8 or rel32 field is always an instruction's last bytes: to patch a jump
 * emitted ahead of its target, keep `end - 4` and call x64_patch_rel32. The
 * same goes for a RIP-relative operand of an instruction without an
 * immediate. The _to forms are for known targets (backward jumps), and take
 * the short form when it reaches. */

X64_INLINE int64_t x64_distance(const uint8_t *from, const void *to)
{
	return (int64_t)((uintptr_t)to - (uintptr_t)from);
}

X64_INLINE void x64_patch_rel32(uint8_t *field, const void *target)
{
	x64_imm32(field, (uint32_t)x64_distance(field + 4, target));
}

/* The caller knows the target is within -128..127 of the field's end. */
X64_INLINE void x64_patch_rel8(uint8_t *field, const void *target)
{
	x64_imm8(field, (uint32_t)x64_distance(field + 1, target));
}

X64_INLINE uint8_t *x64_jmp_rel8(uint8_t *at, int8_t rel)
{
	return x64_imm8(x64_opcode(at, 0xEB, X64_W32, false, 0), (uint32_t)rel);
}

X64_INLINE uint8_t *x64_jmp_rel32(uint8_t *at, int32_t rel)
{
	return x64_imm32(x64_opcode(at, 0xE9, X64_W32, false, 0), (uint32_t)rel);
}

X64_INLINE uint8_t *x64_jcc_rel8(uint8_t *at, enum x64_cond cond, int8_t rel)
{
	return x64_imm8(x64_opcode(at, 0x70u + (cond & 15), X64_W32, false, 0), (uint32_t)rel);
}

X64_INLINE uint8_t *x64_jcc_rel32(uint8_t *at, enum x64_cond cond, int32_t rel)
{
	return x64_imm32(x64_opcode(at, 0x0F80u + (cond & 15), X64_W32, false, 0), (uint32_t)rel);
}

X64_INLINE uint8_t *x64_call_rel32(uint8_t *at, int32_t rel)
{
	return x64_imm32(x64_opcode(at, 0xE8, X64_W32, false, 0), (uint32_t)rel);
}

X64_INLINE uint8_t *x64_jmp_to(uint8_t *at, const void *target)
{
	int64_t short_rel = x64_distance(at + 2, target);
	if (x64_fits8(short_rel))
		return x64_jmp_rel8(at, (int8_t)short_rel);
	return x64_jmp_rel32(at, (int32_t)x64_distance(at + 5, target));
}

X64_INLINE uint8_t *x64_jcc_to(uint8_t *at, enum x64_cond cond, const void *target)
{
	int64_t short_rel = x64_distance(at + 2, target);
	if (x64_fits8(short_rel))
		return x64_jcc_rel8(at, cond, (int8_t)short_rel);
	return x64_jcc_rel32(at, cond, (int32_t)x64_distance(at + 6, target));
}

/* The target must be within 2 GiB, as everything in one code mapping is. */
X64_INLINE uint8_t *x64_call_to(uint8_t *at, const void *target)
{
	return x64_call_rel32(at, (int32_t)x64_distance(at + 5, target));
}

/* jmp and call through a register or memory (FF /4, FF /2): 64-bit operands
 * without REX.W, which they do not need. */
X64_INLINE uint8_t *x64_jmp_r(uint8_t *at, enum x64_reg reg)
{
	return x64_operand_reg(at, 0xFF, X64_W32, 4, reg);
}

X64_INLINE uint8_t *x64_jmp_m(uint8_t *at, struct x64_mem mem)
{
	return x64_operand_mem(at, 0xFF, X64_W32, 4, mem);
}

X64_INLINE uint8_t *x64_call_r(uint8_t *at, enum x64_reg reg)
{
	return x64_operand_reg(at, 0xFF, X64_W32, 2, reg);
}

X64_INLINE uint8_t *x64_call_m(uint8_t *at, struct x64_mem mem)
{
	return x64_operand_mem(at, 0xFF, X64_W32, 2, mem);
}

X64_INLINE uint8_t *x64_ret(uint8_t *at)
{
	return x64_opcode(at, 0xC3, X64_W32, false, 0);
}

/* push and pop are 64-bit without REX.W. */
X64_INLINE uint8_t *x64_push(uint8_t *at, enum x64_reg reg)
{
	return x64_operand_in_opcode(at, 0x50, X64_W32, reg);
}

X64_INLINE uint8_t *x64_pop(uint8_t *at, enum x64_reg reg)
{
	return x64_operand_in_opcode(at, 0x58, X64_W32, reg);
}

/* The undefined instruction: a trap that is not a breakpoint. */
X64_INLINE uint8_t *x64_ud2(uint8_t *at)
{
	return x64_opcode(at, 0x0F0B, X64_W32, false, 0);
}

/* n bytes of no-ops, in the forms the Intel SDM recommends (NOP, table 4-12):
 * 90, 66 90, then nop dword [rax + rax*1 + disp] with ModRM, SIB, disp8 or
 * disp32 as needed and an optional 66. Longer runs chain 9-byte ones. */
X64_INLINE uint8_t *x64_nop(uint8_t *at, unsigned n)
{
	static const uint8_t nops[9][9] = {
		{0x90},
		{0x66, 0x90},
		{0x0F, 0x1F, 0x00},
		{0x0F, 0x1F, 0x40, 0x00},
		{0x0F, 0x1F, 0x44, 0x00, 0x00},
		{0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00},
		{0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00},
		{0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
		{0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	};
	while (n > 0) {
		unsigned length = n < 9 ? n : 9;
		for (unsigned i = 0; i < length; i++)
			*at++ = nops[length - 1][i];
		n -= length;
	}
	return at;
}

/* Pads with nops until at - base is a multiple of alignment (a power of two). */
X64_INLINE uint8_t *x64_align(uint8_t *at, const uint8_t *base, unsigned alignment)
{
	unsigned misalignment = (unsigned)x64_distance(base, at) & (alignment - 1);
	return misalignment ? x64_nop(at, alignment - misalignment) : at;
}

#endif
