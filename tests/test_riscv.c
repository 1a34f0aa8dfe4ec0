/* The RISC-V decoder the linker reads guests with: every instruction and
 * compressed form it knows, checked against encodings LLVM produced
 * (llvm-mc-19 --triple=riscv64 -mattr=+m,+a,+zbb and -c or +c -show-encoding),
 * immediates at their limits; the reserved and foreign encodings it must
 * refuse; cut-off input; the text it prints; and every halfword plus a few
 * million random words for crashes and lengths. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "loader/riscv.h"

struct expected {
	const char *assembly;
	uint32_t word;
	unsigned length;
	enum riscv_op op;
	uint8_t rd, rs1, rs2;
	int64_t imm;
};

/* Generated once with llvm-mc; the test does not run it. */
static const struct expected known[] = {
	{"lui a0, 0xfffff", 0xfffff537, 4, RISCV_LUI, 10, 0, 0, -4096},
	{"lui a0, 0x80000", 0x80000537, 4, RISCV_LUI, 10, 0, 0, -2147483648},
	{"lui t6, 0x7ffff", 0x7fffffb7, 4, RISCV_LUI, 31, 0, 0, 2147479552},
	{"lui a0, 0x12345", 0x12345537, 4, RISCV_LUI, 10, 0, 0, 305418240},
	{"auipc a0, 0xfffff", 0xfffff517, 4, RISCV_AUIPC, 10, 0, 0, -4096},
	{"auipc a1, 0x80000", 0x80000597, 4, RISCV_AUIPC, 11, 0, 0, -2147483648},
	{"auipc ra, 1", 0x00001097, 4, RISCV_AUIPC, 1, 0, 0, 4096},
	{"jal ra, -1048576", 0x800000ef, 4, RISCV_JAL, 1, 0, 0, -1048576},
	{"jal zero, 1048574", 0x7ffff06f, 4, RISCV_JAL, 0, 0, 0, 1048574},
	{"jal t6, 2", 0x00200fef, 4, RISCV_JAL, 31, 0, 0, 2},
	{"jalr ra, -2048(a0)", 0x800500e7, 4, RISCV_JALR, 1, 10, 0, -2048},
	{"jalr zero, 2047(t6)", 0x7fff8067, 4, RISCV_JALR, 0, 31, 0, 2047},
	{"beq a0, t6, -4096", 0x81f50063, 4, RISCV_BEQ, 0, 10, 31, -4096},
	{"bne a0, t6, 4094", 0x7ff51fe3, 4, RISCV_BNE, 0, 10, 31, 4094},
	{"blt a0, t6, -2", 0xfff54fe3, 4, RISCV_BLT, 0, 10, 31, -2},
	{"bge a0, t6, 2", 0x01f55163, 4, RISCV_BGE, 0, 10, 31, 2},
	{"bltu a0, t6, 4094", 0x7ff56fe3, 4, RISCV_BLTU, 0, 10, 31, 4094},
	{"bgeu a0, t6, -4096", 0x81f57063, 4, RISCV_BGEU, 0, 10, 31, -4096},
	{"beq t6, s0, 2048", 0x008f80e3, 4, RISCV_BEQ, 0, 31, 8, 2048},
	{"lb a0, -2048(t6)", 0x800f8503, 4, RISCV_LB, 10, 31, 0, -2048},
	{"lh a0, 2047(t6)", 0x7fff9503, 4, RISCV_LH, 10, 31, 0, 2047},
	{"lw a0, -1(t6)", 0xffffa503, 4, RISCV_LW, 10, 31, 0, -1},
	{"ld a0, 2047(t6)", 0x7fffb503, 4, RISCV_LD, 10, 31, 0, 2047},
	{"lbu a0, 0(t6)", 0x000fc503, 4, RISCV_LBU, 10, 31, 0, 0},
	{"lhu a0, -2048(t6)", 0x800fd503, 4, RISCV_LHU, 10, 31, 0, -2048},
	{"lwu a0, 2047(t6)", 0x7fffe503, 4, RISCV_LWU, 10, 31, 0, 2047},
	{"sb t6, -2048(a1)", 0x81f58023, 4, RISCV_SB, 0, 11, 31, -2048},
	{"sh t6, 2047(a1)", 0x7ff59fa3, 4, RISCV_SH, 0, 11, 31, 2047},
	{"sw t6, -1(a1)", 0xfff5afa3, 4, RISCV_SW, 0, 11, 31, -1},
	{"sd t6, 2047(a1)", 0x7ff5bfa3, 4, RISCV_SD, 0, 11, 31, 2047},
	{"sd a0, -2048(sp)", 0x80a13023, 4, RISCV_SD, 0, 2, 10, -2048},
	{"addi a0, a1, -2048", 0x80058513, 4, RISCV_ADDI, 10, 11, 0, -2048},
	{"addi a0, a1, 2047", 0x7ff58513, 4, RISCV_ADDI, 10, 11, 0, 2047},
	{"addi zero, zero, 0", 0x00000013, 4, RISCV_ADDI, 0, 0, 0, 0},
	{"slti a0, a1, -2048", 0x8005a513, 4, RISCV_SLTI, 10, 11, 0, -2048},
	{"sltiu a0, a1, -1", 0xfff5b513, 4, RISCV_SLTIU, 10, 11, 0, -1},
	{"xori a0, a1, 2047", 0x7ff5c513, 4, RISCV_XORI, 10, 11, 0, 2047},
	{"ori t6, s11, -5", 0xffbdef93, 4, RISCV_ORI, 31, 27, 0, -5},
	{"andi a0, a1, 255", 0x0ff5f513, 4, RISCV_ANDI, 10, 11, 0, 255},
	{"slli a0, a1, 63", 0x03f59513, 4, RISCV_SLLI, 10, 11, 0, 63},
	{"slli a0, a1, 0", 0x00059513, 4, RISCV_SLLI, 10, 11, 0, 0},
	{"srli a0, a1, 63", 0x03f5d513, 4, RISCV_SRLI, 10, 11, 0, 63},
	{"srai t6, a1, 63", 0x43f5df93, 4, RISCV_SRAI, 31, 11, 0, 63},
	{"srai a0, a1, 1", 0x4015d513, 4, RISCV_SRAI, 10, 11, 0, 1},
	{"add a0, a1, t6", 0x01f58533, 4, RISCV_ADD, 10, 11, 31, 0},
	{"sub a0, a1, t6", 0x41f58533, 4, RISCV_SUB, 10, 11, 31, 0},
	{"sll a0, a1, t6", 0x01f59533, 4, RISCV_SLL, 10, 11, 31, 0},
	{"slt a0, a1, t6", 0x01f5a533, 4, RISCV_SLT, 10, 11, 31, 0},
	{"sltu a0, a1, t6", 0x01f5b533, 4, RISCV_SLTU, 10, 11, 31, 0},
	{"xor a0, a1, t6", 0x01f5c533, 4, RISCV_XOR, 10, 11, 31, 0},
	{"srl a0, a1, t6", 0x01f5d533, 4, RISCV_SRL, 10, 11, 31, 0},
	{"sra a0, a1, t6", 0x41f5d533, 4, RISCV_SRA, 10, 11, 31, 0},
	{"or a0, a1, t6", 0x01f5e533, 4, RISCV_OR, 10, 11, 31, 0},
	{"and a0, a1, t6", 0x01f5f533, 4, RISCV_AND, 10, 11, 31, 0},
	{"addw a0, a1, t6", 0x01f5853b, 4, RISCV_ADDW, 10, 11, 31, 0},
	{"subw a0, a1, t6", 0x41f5853b, 4, RISCV_SUBW, 10, 11, 31, 0},
	{"sllw a0, a1, t6", 0x01f5953b, 4, RISCV_SLLW, 10, 11, 31, 0},
	{"srlw a0, a1, t6", 0x01f5d53b, 4, RISCV_SRLW, 10, 11, 31, 0},
	{"sraw a0, a1, t6", 0x41f5d53b, 4, RISCV_SRAW, 10, 11, 31, 0},
	{"mul a0, a1, t6", 0x03f58533, 4, RISCV_MUL, 10, 11, 31, 0},
	{"mulh a0, a1, t6", 0x03f59533, 4, RISCV_MULH, 10, 11, 31, 0},
	{"mulhsu a0, a1, t6", 0x03f5a533, 4, RISCV_MULHSU, 10, 11, 31, 0},
	{"mulhu a0, a1, t6", 0x03f5b533, 4, RISCV_MULHU, 10, 11, 31, 0},
	{"div a0, a1, t6", 0x03f5c533, 4, RISCV_DIV, 10, 11, 31, 0},
	{"divu a0, a1, t6", 0x03f5d533, 4, RISCV_DIVU, 10, 11, 31, 0},
	{"rem a0, a1, t6", 0x03f5e533, 4, RISCV_REM, 10, 11, 31, 0},
	{"remu a0, a1, t6", 0x03f5f533, 4, RISCV_REMU, 10, 11, 31, 0},
	{"mulw a0, a1, t6", 0x03f5853b, 4, RISCV_MULW, 10, 11, 31, 0},
	{"divw a0, a1, t6", 0x03f5c53b, 4, RISCV_DIVW, 10, 11, 31, 0},
	{"divuw a0, a1, t6", 0x03f5d53b, 4, RISCV_DIVUW, 10, 11, 31, 0},
	{"remw a0, a1, t6", 0x03f5e53b, 4, RISCV_REMW, 10, 11, 31, 0},
	{"remuw a0, a1, t6", 0x03f5f53b, 4, RISCV_REMUW, 10, 11, 31, 0},
	{"andn a0, a1, t6", 0x41f5f533, 4, RISCV_ANDN, 10, 11, 31, 0},
	{"orn a0, a1, t6", 0x41f5e533, 4, RISCV_ORN, 10, 11, 31, 0},
	{"xnor a0, a1, t6", 0x41f5c533, 4, RISCV_XNOR, 10, 11, 31, 0},
	{"max a0, a1, t6", 0x0bf5e533, 4, RISCV_MAX, 10, 11, 31, 0},
	{"maxu a0, a1, t6", 0x0bf5f533, 4, RISCV_MAXU, 10, 11, 31, 0},
	{"min a0, a1, t6", 0x0bf5c533, 4, RISCV_MIN, 10, 11, 31, 0},
	{"minu a0, a1, t6", 0x0bf5d533, 4, RISCV_MINU, 10, 11, 31, 0},
	{"rol a0, a1, t6", 0x61f59533, 4, RISCV_ROL, 10, 11, 31, 0},
	{"rolw a0, a1, t6", 0x61f5953b, 4, RISCV_ROLW, 10, 11, 31, 0},
	{"ror a0, a1, t6", 0x61f5d533, 4, RISCV_ROR, 10, 11, 31, 0},
	{"rorw a0, a1, t6", 0x61f5d53b, 4, RISCV_RORW, 10, 11, 31, 0},
	{"add t6, s11, a2", 0x00cd8fb3, 4, RISCV_ADD, 31, 27, 12, 0},
	{"addiw a0, a1, -2048", 0x8005851b, 4, RISCV_ADDIW, 10, 11, 0, -2048},
	{"addiw a0, a1, 2047", 0x7ff5851b, 4, RISCV_ADDIW, 10, 11, 0, 2047},
	{"slliw a0, a1, 31", 0x01f5951b, 4, RISCV_SLLIW, 10, 11, 0, 31},
	{"srliw a0, a1, 31", 0x01f5d51b, 4, RISCV_SRLIW, 10, 11, 0, 31},
	{"sraiw t6, a1, 31", 0x41f5df9b, 4, RISCV_SRAIW, 31, 11, 0, 31},
	{"fence", 0x0ff0000f, 4, RISCV_FENCE, 0, 0, 0, 255},
	{"fence rw, rw", 0x0330000f, 4, RISCV_FENCE, 0, 0, 0, 51},
	{"fence.tso", 0x8330000f, 4, RISCV_FENCE, 0, 0, 0, 2099},
	{"fence w, 0", 0x0100000f, 4, RISCV_FENCE, 0, 0, 0, 16},
	{"fence.i", 0x0000100f, 4, RISCV_FENCE_I, 0, 0, 0, 0},
	{"ecall", 0x00000073, 4, RISCV_ECALL, 0, 0, 0, 0},
	{"ebreak", 0x00100073, 4, RISCV_EBREAK, 0, 0, 0, 0},
	{"unimp", 0xc0001073, 4, RISCV_UNIMP, 0, 0, 0, 0},
	{"csrrw a0, 0x300, a1", 0x30059573, 4, RISCV_CSRRW, 10, 11, 0, 768},
	{"csrrs a0, cycle, zero", 0xc0002573, 4, RISCV_CSRRS, 10, 0, 0, 3072},
	{"csrrc t6, 0xfff, s11", 0xfffdbff3, 4, RISCV_CSRRC, 31, 27, 0, 4095},
	{"csrrwi a0, 0x7ff, 31", 0x7fffd573, 4, RISCV_CSRRWI, 10, 31, 0, 2047},
	{"csrrsi zero, 0x001, 0", 0x00106073, 4, RISCV_CSRRSI, 0, 0, 0, 1},
	{"csrrci a0, 0x800, 1", 0x8000f573, 4, RISCV_CSRRCI, 10, 1, 0, 2048},
	{"csrrw zero, cycle, a0", 0xc0051073, 4, RISCV_CSRRW, 0, 10, 0, 3072},
	{"lr.w a0, (a1)", 0x1005a52f, 4, RISCV_LR_W, 10, 11, 0, 0},
	{"sc.w a0, t6, (a1)", 0x19f5a52f, 4, RISCV_SC_W, 10, 11, 31, 0},
	{"amoswap.w a0, t6, (a1)", 0x09f5a52f, 4, RISCV_AMOSWAP_W, 10, 11, 31, 0},
	{"amoadd.w a0, t6, (a1)", 0x01f5a52f, 4, RISCV_AMOADD_W, 10, 11, 31, 0},
	{"amoxor.w a0, t6, (a1)", 0x21f5a52f, 4, RISCV_AMOXOR_W, 10, 11, 31, 0},
	{"amoand.w a0, t6, (a1)", 0x61f5a52f, 4, RISCV_AMOAND_W, 10, 11, 31, 0},
	{"amoor.w a0, t6, (a1)", 0x41f5a52f, 4, RISCV_AMOOR_W, 10, 11, 31, 0},
	{"amomin.w a0, t6, (a1)", 0x81f5a52f, 4, RISCV_AMOMIN_W, 10, 11, 31, 0},
	{"amomax.w a0, t6, (a1)", 0xa1f5a52f, 4, RISCV_AMOMAX_W, 10, 11, 31, 0},
	{"amominu.w a0, t6, (a1)", 0xc1f5a52f, 4, RISCV_AMOMINU_W, 10, 11, 31, 0},
	{"amomaxu.w a0, t6, (a1)", 0xe1f5a52f, 4, RISCV_AMOMAXU_W, 10, 11, 31, 0},
	{"lr.d a0, (a1)", 0x1005b52f, 4, RISCV_LR_D, 10, 11, 0, 0},
	{"sc.d a0, t6, (a1)", 0x19f5b52f, 4, RISCV_SC_D, 10, 11, 31, 0},
	{"amoswap.d a0, t6, (a1)", 0x09f5b52f, 4, RISCV_AMOSWAP_D, 10, 11, 31, 0},
	{"amoadd.d a0, t6, (a1)", 0x01f5b52f, 4, RISCV_AMOADD_D, 10, 11, 31, 0},
	{"amoxor.d a0, t6, (a1)", 0x21f5b52f, 4, RISCV_AMOXOR_D, 10, 11, 31, 0},
	{"amoand.d a0, t6, (a1)", 0x61f5b52f, 4, RISCV_AMOAND_D, 10, 11, 31, 0},
	{"amoor.d a0, t6, (a1)", 0x41f5b52f, 4, RISCV_AMOOR_D, 10, 11, 31, 0},
	{"amomin.d a0, t6, (a1)", 0x81f5b52f, 4, RISCV_AMOMIN_D, 10, 11, 31, 0},
	{"amomax.d a0, t6, (a1)", 0xa1f5b52f, 4, RISCV_AMOMAX_D, 10, 11, 31, 0},
	{"amominu.d a0, t6, (a1)", 0xc1f5b52f, 4, RISCV_AMOMINU_D, 10, 11, 31, 0},
	{"amomaxu.d a0, t6, (a1)", 0xe1f5b52f, 4, RISCV_AMOMAXU_D, 10, 11, 31, 0},
	{"lr.d.aqrl t6, (s11)", 0x160dbfaf, 4, RISCV_LR_D, 31, 27, 0, 0},
	{"amoadd.w.aq a0, a2, (a1)", 0x04c5a52f, 4, RISCV_AMOADD_W, 10, 11, 12, 0},
	{"amomaxu.d.rl a0, a2, (a1)", 0xe2c5b52f, 4, RISCV_AMOMAXU_D, 10, 11, 12, 0},
	{"sc.w.aqrl a0, a2, (a1)", 0x1ec5a52f, 4, RISCV_SC_W, 10, 11, 12, 0},
	{"clz a0, t6", 0x600f9513, 4, RISCV_CLZ, 10, 31, 0, 0},
	{"clzw a0, t6", 0x600f951b, 4, RISCV_CLZW, 10, 31, 0, 0},
	{"ctz a0, t6", 0x601f9513, 4, RISCV_CTZ, 10, 31, 0, 0},
	{"ctzw a0, t6", 0x601f951b, 4, RISCV_CTZW, 10, 31, 0, 0},
	{"cpop a0, t6", 0x602f9513, 4, RISCV_CPOP, 10, 31, 0, 0},
	{"cpopw a0, t6", 0x602f951b, 4, RISCV_CPOPW, 10, 31, 0, 0},
	{"sext.b a0, t6", 0x604f9513, 4, RISCV_SEXT_B, 10, 31, 0, 0},
	{"sext.h a0, t6", 0x605f9513, 4, RISCV_SEXT_H, 10, 31, 0, 0},
	{"zext.h a0, t6", 0x080fc53b, 4, RISCV_ZEXT_H, 10, 31, 0, 0},
	{"orc.b a0, t6", 0x287fd513, 4, RISCV_ORC_B, 10, 31, 0, 0},
	{"rev8 a0, t6", 0x6b8fd513, 4, RISCV_REV8, 10, 31, 0, 0},
	{"rori a0, a1, 63", 0x63f5d513, 4, RISCV_RORI, 10, 11, 0, 63},
	{"rori a0, a1, 1", 0x6015d513, 4, RISCV_RORI, 10, 11, 0, 1},
	{"roriw a0, a1, 31", 0x61f5d51b, 4, RISCV_RORIW, 10, 11, 0, 31},
	{".insn i 0x0b, 0, x0, x0, 1000", 0x3e80000b, 4, RISCV_CORRAL_ECALLI, 0, 0, 0, 1000},
	{".insn i 0x0b, 0, x0, x0, 0", 0x0000000b, 4, RISCV_CORRAL_ECALLI, 0, 0, 0, 0},
	{".insn i 0x0b, 0, x0, x0, 2047", 0x7ff0000b, 4, RISCV_CORRAL_ECALLI, 0, 0, 0, 2047},
	{".insn i 0x0b, 0, x0, x0, -2048", 0x8000000b, 4, RISCV_CORRAL_ECALLI, 0, 0, 0, -2048},
	{".insn i 0x0b, 1, a0, a0, 0", 0x0005150b, 4, RISCV_CORRAL_SBRK, 10, 10, 0, 0},
	{".insn i 0x0b, 1, t6, s11, 0", 0x000d9f8b, 4, RISCV_CORRAL_SBRK, 31, 27, 0, 0},
	{"c.addi4spn a0, sp, 1020", 0x1fe8, 2, RISCV_ADDI, 10, 2, 0, 1020},
	{"c.addi4spn s0, sp, 4", 0x0040, 2, RISCV_ADDI, 8, 2, 0, 4},
	{"c.lw a0, 124(a1)", 0x5de8, 2, RISCV_LW, 10, 11, 0, 124},
	{"c.lw s0, 0(a5)", 0x4380, 2, RISCV_LW, 8, 15, 0, 0},
	{"c.ld a0, 248(a1)", 0x7de8, 2, RISCV_LD, 10, 11, 0, 248},
	{"c.ld a5, 8(s0)", 0x641c, 2, RISCV_LD, 15, 8, 0, 8},
	{"c.sw a0, 124(a1)", 0xdde8, 2, RISCV_SW, 0, 11, 10, 124},
	{"c.sd a5, 248(s0)", 0xfc7c, 2, RISCV_SD, 0, 8, 15, 248},
	{"c.nop", 0x0001, 2, RISCV_ADDI, 0, 0, 0, 0},
	{"c.addi a0, -32", 0x1501, 2, RISCV_ADDI, 10, 10, 0, -32},
	{"c.addi t6, 31", 0x0ffd, 2, RISCV_ADDI, 31, 31, 0, 31},
	{"c.addiw a0, -32", 0x3501, 2, RISCV_ADDIW, 10, 10, 0, -32},
	{"c.addiw t6, 31", 0x2ffd, 2, RISCV_ADDIW, 31, 31, 0, 31},
	{"c.addiw a0, 0", 0x2501, 2, RISCV_ADDIW, 10, 10, 0, 0},
	{"c.li a0, -32", 0x5501, 2, RISCV_ADDI, 10, 0, 0, -32},
	{"c.li t6, 31", 0x4ffd, 2, RISCV_ADDI, 31, 0, 0, 31},
	{"c.addi16sp sp, -512", 0x7101, 2, RISCV_ADDI, 2, 2, 0, -512},
	{"c.addi16sp sp, 496", 0x617d, 2, RISCV_ADDI, 2, 2, 0, 496},
	{"c.addi16sp sp, 16", 0x6141, 2, RISCV_ADDI, 2, 2, 0, 16},
	{"c.lui a0, 0xfffe0", 0x7501, 2, RISCV_LUI, 10, 0, 0, -131072},
	{"c.lui t6, 0xfffff", 0x7ffd, 2, RISCV_LUI, 31, 0, 0, -4096},
	{"c.lui a0, 0x1f", 0x657d, 2, RISCV_LUI, 10, 0, 0, 126976},
	{"c.lui ra, 1", 0x6085, 2, RISCV_LUI, 1, 0, 0, 4096},
	{"c.srli a0, 63", 0x917d, 2, RISCV_SRLI, 10, 10, 0, 63},
	{"c.srli s0, 1", 0x8005, 2, RISCV_SRLI, 8, 8, 0, 1},
	{"c.srai a5, 63", 0x97fd, 2, RISCV_SRAI, 15, 15, 0, 63},
	{"c.srai s1, 32", 0x9481, 2, RISCV_SRAI, 9, 9, 0, 32},
	{"c.andi s0, -32", 0x9801, 2, RISCV_ANDI, 8, 8, 0, -32},
	{"c.andi a5, 31", 0x8bfd, 2, RISCV_ANDI, 15, 15, 0, 31},
	{"c.sub s0, a5", 0x8c1d, 2, RISCV_SUB, 8, 8, 15, 0},
	{"c.xor s0, a5", 0x8c3d, 2, RISCV_XOR, 8, 8, 15, 0},
	{"c.or s0, a5", 0x8c5d, 2, RISCV_OR, 8, 8, 15, 0},
	{"c.and s0, a5", 0x8c7d, 2, RISCV_AND, 8, 8, 15, 0},
	{"c.subw s0, a5", 0x9c1d, 2, RISCV_SUBW, 8, 8, 15, 0},
	{"c.addw s0, a5", 0x9c3d, 2, RISCV_ADDW, 8, 8, 15, 0},
	{"c.j -2048", 0xb001, 2, RISCV_JAL, 0, 0, 0, -2048},
	{"c.j 2046", 0xaffd, 2, RISCV_JAL, 0, 0, 0, 2046},
	{"c.j -2046", 0xb009, 2, RISCV_JAL, 0, 0, 0, -2046},
	{"c.beqz a0, -256", 0xd101, 2, RISCV_BEQ, 0, 10, 0, -256},
	{"c.beqz s0, 254", 0xcc7d, 2, RISCV_BEQ, 0, 8, 0, 254},
	{"c.bnez a5, -256", 0xf381, 2, RISCV_BNE, 0, 15, 0, -256},
	{"c.bnez s1, 254", 0xecfd, 2, RISCV_BNE, 0, 9, 0, 254},
	{"c.slli a0, 63", 0x157e, 2, RISCV_SLLI, 10, 10, 0, 63},
	{"c.slli t6, 1", 0x0f86, 2, RISCV_SLLI, 31, 31, 0, 1},
	{"c.lwsp a0, 252(sp)", 0x557e, 2, RISCV_LW, 10, 2, 0, 252},
	{"c.lwsp t6, 0(sp)", 0x4f82, 2, RISCV_LW, 31, 2, 0, 0},
	{"c.ldsp a0, 504(sp)", 0x757e, 2, RISCV_LD, 10, 2, 0, 504},
	{"c.ldsp ra, 8(sp)", 0x60a2, 2, RISCV_LD, 1, 2, 0, 8},
	{"c.jr a0", 0x8502, 2, RISCV_JALR, 0, 10, 0, 0},
	{"c.jr ra", 0x8082, 2, RISCV_JALR, 0, 1, 0, 0},
	{"c.mv a0, t6", 0x857e, 2, RISCV_ADD, 10, 0, 31, 0},
	{"c.ebreak", 0x9002, 2, RISCV_EBREAK, 0, 0, 0, 0},
	{"c.jalr t6", 0x9f82, 2, RISCV_JALR, 1, 31, 0, 0},
	{"c.add a0, t6", 0x957e, 2, RISCV_ADD, 10, 10, 31, 0},
	{"c.swsp a0, 252(sp)", 0xdfaa, 2, RISCV_SW, 0, 2, 10, 252},
	{"c.swsp t6, 4(sp)", 0xc27e, 2, RISCV_SW, 0, 2, 31, 4},
	{"c.sdsp t6, 504(sp)", 0xfffe, 2, RISCV_SD, 0, 2, 31, 504},
	{"c.sdsp ra, 8(sp)", 0xe406, 2, RISCV_SD, 0, 2, 1, 8},
	{"c.unimp", 0x0000, 2, RISCV_UNIMP, 0, 0, 0, 0},
};

static unsigned decode_word(uint32_t word, size_t available, struct riscv_inst *inst)
{
	uint8_t bytes[4] = {(uint8_t)word, (uint8_t)(word >> 8), (uint8_t)(word >> 16), (uint8_t)(word >> 24)};
	return riscv_decode(bytes, available, inst);
}

/* Exactly `length` bytes at the end of a heap block, so that reading one
 * more trips the address sanitizer. */
static unsigned decode_exact(const uint8_t *bytes, size_t length, struct riscv_inst *inst)
{
	uint8_t *copy = malloc(length ? length : 1);
	cr_assert_not_null(copy);
	memcpy(copy, bytes, length);
	unsigned result = riscv_decode(copy, length, inst);
	free(copy);
	return result;
}

Test(riscv, decodes_every_known_encoding)
{
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		const struct expected *e = &known[i];
		uint8_t bytes[4] = {(uint8_t)e->word, (uint8_t)(e->word >> 8), (uint8_t)(e->word >> 16),
				    (uint8_t)(e->word >> 24)};
		struct riscv_inst inst;
		cr_assert_eq(decode_exact(bytes, e->length, &inst), e->length, "%s: length", e->assembly);
		cr_assert_eq(inst.length, e->length, "%s", e->assembly);
		cr_assert_eq(inst.raw, e->word, "%s: raw 0x%x", e->assembly, inst.raw);
		cr_assert_eq(inst.op, e->op, "%s: op %s, expected %s", e->assembly, riscv_op_name(inst.op),
			     riscv_op_name(e->op));
		cr_assert_eq(inst.rd, e->rd, "%s: rd %u", e->assembly, inst.rd);
		cr_assert_eq(inst.rs1, e->rs1, "%s: rs1 %u", e->assembly, inst.rs1);
		cr_assert_eq(inst.rs2, e->rs2, "%s: rs2 %u", e->assembly, inst.rs2);
		cr_assert_eq(inst.imm, e->imm, "%s: imm %lld, expected %lld", e->assembly, (long long)inst.imm,
			     (long long)e->imm);
	}
}

/* The table above is the proof for every op, so it must hold them all. */
Test(riscv, known_encodings_cover_every_op)
{
	for (unsigned op = RISCV_INVALID + 1; op < RISCV_OP_COUNT; op++) {
		bool found = false;
		for (size_t i = 0; i < sizeof known / sizeof known[0] && !found; i++)
			found = known[i].op == op && known[i].length == 4;
		cr_assert(found, "no 32-bit encoding of %s in the table", riscv_op_name(op));
	}
}

/* Hand-assembled from the spec's tables, as a check on the LLVM data. */
Test(riscv, hand_assembled_encodings)
{
	struct riscv_inst inst;
	/* addi a0, a1, -2048: imm 0x800 | rs1 11 | funct3 0 | rd 10 | OP-IMM */
	cr_assert_eq(decode_word(0x800u << 20 | 11 << 15 | 10 << 7 | 0x13, 4, &inst), 4);
	cr_assert(inst.op == RISCV_ADDI && inst.rd == 10 && inst.rs1 == 11 && inst.imm == -2048);
	/* c.j -2048: only imm[11], which sits in bit 12 */
	cr_assert_eq(decode_word(0x5u << 13 | 1 << 12 | 0x1, 2, &inst), 2);
	cr_assert(inst.op == RISCV_JAL && inst.rd == 0 && inst.imm == -2048);
	/* c.lwsp a0, 252(sp): uimm[5] in bit 12, uimm[4:2] in 6:4, uimm[7:6] in 3:2 */
	cr_assert_eq(decode_word(0x2u << 13 | 1 << 12 | 10 << 7 | 0x7 << 4 | 0x3 << 2 | 0x2, 2, &inst), 2);
	cr_assert(inst.op == RISCV_LW && inst.rd == 10 && inst.rs1 == 2 && inst.imm == 252);
	/* beq x0, x0, -2: every offset bit set but bit 0, which is not encoded */
	cr_assert_eq(decode_word(0xfe000fe3, 4, &inst), 4);
	cr_assert(inst.op == RISCV_BEQ && inst.imm == -2);
}

struct refused {
	const char *what;
	uint32_t word;
	unsigned length;
};

static const struct refused refused[] = {
	/* reserved compressed forms */
	{"c.addi4spn with a zero immediate", 0x0004, 2},
	{"c.addi4spn with a zero immediate and rd x15", 0x001c, 2},
	{"c.addiw with rd x0", 0x2001, 2},
	{"c.addiw with rd x0 and an immediate", 0x2005, 2},
	{"c.addi16sp with a zero immediate", 0x6101, 2},
	{"c.lui with a zero immediate", 0x6501, 2},
	{"c.lui x0 with a zero immediate", 0x6001, 2},
	{"c.lwsp with rd x0", 0x4002, 2},
	{"c.lwsp with rd x0 and an offset", 0x5006, 2},
	{"c.ldsp with rd x0", 0x6002, 2},
	{"c.jr with rs1 x0", 0x8002, 2},
	{"quadrant 1 misc-alu reserved, funct 10", 0x9c41, 2},
	{"quadrant 1 misc-alu reserved, funct 11", 0x9c61, 2},
	{"quadrant 0 funct3 100 (Zcb's c.lbu)", 0x81c8, 2},
	{"Zcb's c.mul", 0x9c5d, 2},
	{"Zcb's c.zext.b", 0x9c61, 2},
	/* compressed floating point */
	{"c.fld fa0, 8(a1)", 0x2588, 2},
	{"c.fsd fa0, 8(a1)", 0xa588, 2},
	{"c.fldsp fa0, 8(sp)", 0x2522, 2},
	{"c.fsdsp fa0, 8(sp)", 0xa42a, 2},
	/* floating point, vector, privileged, hypervisor */
	{"fadd.d fa0, fa1, fa2", 0x02c5f553, 4},
	{"flw fa0, 0(a0)", 0x00052507, 4},
	{"fsd fa0, 8(sp)", 0x00a13427, 4},
	{"vadd.vv v1, v2, v3", 0x022180d7, 4},
	{"mret", 0x30200073, 4},
	{"wfi", 0x10500073, 4},
	{"sfence.vma", 0x12000073, 4},
	{"hlv.b a0, (a1)", 0x6005c573, 4},
	{"ecall with rd set", 0x00000573, 4},
	/* holes in the base encodings */
	{"load funct3 7", 0x0005f503, 4},
	{"store funct3 4", 0x00a5c023, 4},
	{"branch funct3 2", 0x00b52063, 4},
	{"jalr funct3 1", 0x000510e7, 4},
	{"OP funct7 0x10", 0x20b50533, 4},
	{"slliw by 32 (shamt[5] set)", 0x0205951b, 4},
	{"srai with funct6 0x11", 0x4405d513, 4},
	{"lr.w with rs2 x1", 0x1015a52f, 4},
	{"AMO funct3 4", 0x0005c52f, 4},
	{"AMO funct5 0x02 is lr, funct5 0x05 is nothing", 0x28b5a52f, 4},
	/* other bit-manipulation extensions' encodings */
	{"Zbkb pack a0, a1, a2", 0x08c5c533, 4},
	{"RV32's zext.h (pack rd, rs1, x0 on OP)", 0x0805c533, 4},
	{"RV32's rev8", 0x6985d513, 4},
	{"Zbs bset a0, a1, a2", 0x28c59533, 4},
	/* corral's custom-0 instructions, misused */
	{"custom ecalli with rd a0", 0x3e80050b, 4},
	{"custom ecalli with rs1 a0", 0x3e85000b, 4},
	{"custom sbrk with an immediate", 0x0015150b, 4},
	{"custom-0 funct3 2", 0x0000200b, 4},
	{"custom-1 (0x2b)", 0x0000002b, 4},
};

Test(riscv, reserved_and_foreign_encodings_are_invalid)
{
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		const struct refused *r = &refused[i];
		struct riscv_inst inst;
		cr_assert_eq(decode_word(r->word, r->length, &inst), r->length, "%s: length", r->what);
		cr_assert_eq(inst.op, RISCV_INVALID, "%s decoded as %s", r->what, riscv_op_name(inst.op));
		cr_assert_eq(inst.length, r->length, "%s", r->what);
		cr_assert_eq(inst.raw, r->word, "%s", r->what);
	}
}

/* The base ISA's length scheme beyond 32 bits: nothing uses it, but the
 * decoder must not mistake the first four bytes for an instruction. */
Test(riscv, longer_encodings_report_their_length)
{
	static const struct {
		uint8_t first, second;
		unsigned length;
	} prefixes[] = {
		{0x1f, 0x00, 6},  {0x5f, 0xff, 6},  {0x3f, 0x00, 8}, {0x7f, 0x00, 10},
		{0x7f, 0x60, 22}, {0x7f, 0x8f, 10}, {0x7f, 0x70, 2}, {0xff, 0xff, 2},
	};
	uint8_t bytes[24];
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		memset(bytes, 0, sizeof bytes);
		bytes[0] = prefixes[i].first;
		bytes[1] = prefixes[i].second;
		unsigned length = prefixes[i].length;
		struct riscv_inst inst;
		cr_assert_eq(decode_exact(bytes, length, &inst), length, "prefix %02x %02x", bytes[0], bytes[1]);
		cr_assert_eq(inst.op, RISCV_INVALID);
		cr_assert_eq(inst.length, length);
		cr_assert_eq(decode_exact(bytes, length - 1, &inst), 0, "prefix %02x %02x, one byte short", bytes[0],
			     bytes[1]);
	}
}

Test(riscv, truncated_input_decodes_nothing)
{
	static const uint8_t addi[4] = {0x13, 0x85, 0xb5, 0xff};
	static const uint8_t c_addi[2] = {0x01, 0x15};
	struct riscv_inst inst;
	for (size_t available = 0; available < 4; available++) {
		cr_assert_eq(decode_exact(addi, available, &inst), 0, "addi with %zu bytes", available);
		cr_assert_eq(inst.op, RISCV_INVALID);
	}
	cr_assert_eq(decode_exact(c_addi, 0, &inst), 0);
	cr_assert_eq(decode_exact(c_addi, 1, &inst), 0);
	cr_assert_eq(decode_exact(c_addi, 2, &inst), 2);
	cr_assert_eq(inst.op, RISCV_ADDI);
	/* More bytes than needed change nothing. */
	cr_assert_eq(decode_exact(addi, 4, &inst), 4);
	cr_assert_eq(riscv_decode((const uint8_t[]){0x01, 0x15, 0x13, 0x85}, 4, &inst), 2);
	cr_assert_eq(inst.imm, -32);
}

static const struct {
	uint32_t word;
	const char *text;
} formatted[] = {
	{0xffb58513, "addi a0, a1, -5"},
	{0x00813503, "ld a0, 8(sp)"},
	{0x00b50663, "beq a0, a1, pc+12"},
	{0x80b51063, "bne a0, a1, pc-4096"},
	{0x12345537, "lui a0, 0x12345"},
	{0xfffff517, "auipc a0, 0xfffff"},
	{0x800000ef, "jal ra, pc-1048576"},
	{0xff8500e7, "jalr ra, -8(a0)"},
	{0x7ff5bfa3, "sd t6, 2047(a1)"},
	{0x04c5a52f, "amoadd.w a0, a2, (a1)"},
	{0x1005b52f, "lr.d a0, (a1)"},
	{0xc0002573, "csrrs a0, 0xc00, zero"},
	{0x7fffd573, "csrrwi a0, 0x7ff, 31"},
	{0x0330000f, "fence rw, rw"},
	{0x0ff0000f, "fence iorw, iorw"},
	{0x0100000f, "fence w, 0"},
	{0x8330000f, "fence 0x833"},
	{0x0000100f, "fence.i"},
	{0x00000073, "ecall"},
	{0xc0001073, "unimp"},
	{0x600f9513, "clz a0, t6"},
	{0x03f59513, "slli a0, a1, 63"},
	{0x41f5df9b, "sraiw t6, a1, 31"},
	{0x3e80000b, "custom ecalli 1000"},
	{0x0005150b, "custom sbrk a0, a0"},
	{0x857e, "add a0, zero, t6"},
	{0xaffd, "jal zero, pc+2046"},
	{0x8082, "jalr zero, 0(ra)"},
	{0x7101, "addi sp, sp, -512"},
	{0x7ffd, "lui t6, 0xfffff"},
	{0xfffe, "sd t6, 504(sp)"},
	{0x0000, "unimp"},
	{0x02c5f553, ".insn 0x02c5f553"},
	{0x6001, ".insn 0x6001"},
};

Test(riscv, format_prints_assembly)
{
	for (size_t i = 0; i < sizeof formatted / sizeof formatted[0]; i++) {
		uint32_t word = formatted[i].word;
		struct riscv_inst inst;
		cr_assert_neq(decode_word(word, (word & 3) == 3 ? 4 : 2, &inst), 0);
		char text[64];
		riscv_format(&inst, text, sizeof text);
		cr_assert_str_eq(text, formatted[i].text, "0x%x", word);
	}
	uint8_t bytes[6] = {0x1f, 0x00, 0x12, 0x34};
	struct riscv_inst inst;
	cr_assert_eq(riscv_decode(bytes, sizeof bytes, &inst), 6);
	char text[64];
	riscv_format(&inst, text, sizeof text);
	cr_assert_str_eq(text, ".insn 0x3412001f... (a 48-bit instruction)");
}

Test(riscv, format_truncates_and_terminates)
{
	struct riscv_inst inst;
	decode_word(0xe1f5b52f, 4, &inst); /* amomaxu.d a0, t6, (a1) */
	cr_assert_eq(inst.op, RISCV_AMOMAXU_D);
	char full[64];
	riscv_format(&inst, full, sizeof full);
	cr_assert_str_eq(full, "amomaxu.d a0, t6, (a1)");
	for (size_t size = 1; size <= strlen(full) + 1; size++) {
		char text[64];
		memset(text, 'x', sizeof text);
		riscv_format(&inst, text, size);
		cr_assert_eq(strlen(text), size - 1, "size %zu", size);
		cr_assert_eq(strncmp(text, full, size - 1), 0);
		cr_assert_eq(text[size], 'x', "wrote past %zu bytes", size);
	}
	char untouched = 'x';
	riscv_format(&inst, &untouched, 0);
	cr_assert_eq(untouched, 'x');
}

Test(riscv, names)
{
	cr_assert_str_eq(riscv_op_name(RISCV_ADDI), "addi");
	cr_assert_str_eq(riscv_op_name(RISCV_AMOADD_W), "amoadd.w");
	cr_assert_str_eq(riscv_op_name(RISCV_FENCE_I), "fence.i");
	cr_assert_str_eq(riscv_op_name(RISCV_ORC_B), "orc.b");
	cr_assert_str_eq(riscv_op_name(RISCV_CORRAL_ECALLI), "custom ecalli");
	cr_assert_str_eq(riscv_op_name(RISCV_INVALID), "invalid");
	cr_assert_str_eq(riscv_op_name(RISCV_OP_COUNT), "invalid");
	for (unsigned a = 0; a < RISCV_OP_COUNT; a++)
		for (unsigned b = a + 1; b < RISCV_OP_COUNT; b++)
			cr_assert_str_neq(riscv_op_name(a), riscv_op_name(b));

	static const char *const abi[32] = {"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
					    "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
					    "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
	for (unsigned reg = 0; reg < 32; reg++)
		cr_assert_str_eq(riscv_reg_name(reg), abi[reg]);
	cr_assert_str_eq(riscv_reg_name(32), "?");
}

/* The 32-bit encodings of the base ops the compressed forms expand to,
 * written from the spec independently of the decoder's table. */
static const struct {
	enum riscv_op op;
	char type;
	uint32_t base;
} base_forms[] = {
	{RISCV_ADDI, 'I', 0x00000013}, {RISCV_ADDIW, 'I', 0x0000001b},  {RISCV_ANDI, 'I', 0x00007013},
	{RISCV_LW, 'I', 0x00002003},   {RISCV_LD, 'I', 0x00003003},     {RISCV_JALR, 'I', 0x00000067},
	{RISCV_SLLI, 'I', 0x00001013}, {RISCV_SRLI, 'I', 0x00005013},   {RISCV_SRAI, 'I', 0x40005013},
	{RISCV_SW, 'S', 0x00002023},   {RISCV_SD, 'S', 0x00003023},     {RISCV_BEQ, 'B', 0x00000063},
	{RISCV_BNE, 'B', 0x00001063},  {RISCV_JAL, 'J', 0x0000006f},    {RISCV_LUI, 'U', 0x00000037},
	{RISCV_ADD, 'R', 0x00000033},  {RISCV_SUB, 'R', 0x40000033},    {RISCV_XOR, 'R', 0x00004033},
	{RISCV_OR, 'R', 0x00006033},   {RISCV_AND, 'R', 0x00007033},    {RISCV_SUBW, 'R', 0x4000003b},
	{RISCV_ADDW, 'R', 0x0000003b}, {RISCV_EBREAK, '-', 0x00100073}, {RISCV_UNIMP, '-', 0xc0001073},
};

static uint32_t encode_base(const struct riscv_inst *inst)
{
	for (size_t i = 0; i < sizeof base_forms / sizeof base_forms[0]; i++) {
		if (base_forms[i].op != inst->op)
			continue;
		uint32_t imm = (uint32_t)inst->imm;
		uint32_t regs = (uint32_t)inst->rd << 7 | (uint32_t)inst->rs1 << 15 | (uint32_t)inst->rs2 << 20;
		switch (base_forms[i].type) {
		case 'I':
			return base_forms[i].base | regs | (imm & 0xfff) << 20;
		case 'S':
			return base_forms[i].base | regs | (imm >> 5 & 0x7f) << 25 | (imm & 0x1f) << 7;
		case 'B':
			return base_forms[i].base | regs | (imm >> 12 & 1) << 31 | (imm >> 5 & 0x3f) << 25 |
			       (imm >> 1 & 0xf) << 8 | (imm >> 11 & 1) << 7;
		case 'J':
			return base_forms[i].base | regs | (imm >> 20 & 1) << 31 | (imm >> 1 & 0x3ff) << 21 |
			       (imm >> 11 & 1) << 20 | (imm >> 12 & 0xff) << 12;
		case 'U':
			return base_forms[i].base | regs | (imm & 0xfffff000);
		case 'R':
		case '-':
			return base_forms[i].base | regs;
		}
	}
	cr_assert_fail("no base encoding of %s", riscv_op_name(inst->op));
	return 0;
}

static bool is_prime(uint8_t reg)
{
	return reg >= 8 && reg <= 15;
}

/* Every halfword: a 16-bit encoding decodes to length 2, valid or not; one
 * that starts a longer instruction needs more than the two bytes; and each
 * valid compressed form means exactly what its 32-bit expansion means. */
Test(riscv, every_halfword)
{
	unsigned valid = 0;
	for (uint32_t half = 0; half < 0x10000; half++) {
		uint8_t bytes[4] = {(uint8_t)half, (uint8_t)(half >> 8), 0, 0};
		struct riscv_inst inst;
		unsigned length = riscv_decode(bytes, 2, &inst);
		char text[64];
		riscv_format(&inst, text, sizeof text);
		if ((half & 3) == 3) {
			/* only the reserved 192-bit-and-longer prefix is reported as one parcel */
			bool reserved = (half & 0x7f) == 0x7f && (half >> 12 & 7) == 7;
			cr_assert_eq(length, reserved ? 2u : 0u, "0x%04x", half);
			cr_assert_eq(inst.op, RISCV_INVALID);
			continue;
		}
		cr_assert_eq(length, 2, "0x%04x", half);
		cr_assert_eq(inst.length, 2);
		cr_assert_eq(inst.raw, half);
		if (inst.op == RISCV_INVALID) {
			cr_assert_eq(strncmp(text, ".insn 0x", 8), 0, "%s", text);
			continue;
		}
		valid++;
		cr_assert(inst.rd < 32 && inst.rs1 < 32 && inst.rs2 < 32);
		if ((half & 3) == 0 && half)
			cr_assert((is_prime(inst.rs1) || inst.rs1 == 2) && (is_prime(inst.rd) || is_prime(inst.rs2)),
				  "0x%04x: quadrant 0 names x8..x15 (and sp for c.addi4spn)", half);

		struct riscv_inst expanded;
		uint32_t word = encode_base(&inst);
		cr_assert_eq(decode_word(word, 4, &expanded), 4);
		cr_assert(expanded.op == inst.op && expanded.rd == inst.rd && expanded.rs1 == inst.rs1 &&
				  expanded.rs2 == inst.rs2 && expanded.imm == inst.imm,
			  "0x%04x (%s) is not what its expansion 0x%08x decodes to", half, text, word);
	}
	/* 49152 halfwords are 16-bit encodings; about four in five of them are valid RV64C. */
	cr_assert_gt(valid, 38000);
}

static uint64_t xorshift(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

Test(riscv, random_words)
{
	uint64_t state = 0x9e3779b97f4a7c15ull;
	unsigned valid = 0;
	for (unsigned i = 0; i < 3000000; i++) {
		uint32_t word = (uint32_t)xorshift(&state) | 3;
		struct riscv_inst inst;
		unsigned length = decode_word(word, 4, &inst);
		if ((word & 0x1c) != 0x1c) {
			cr_assert_eq(length, 4, "0x%08x", word);
			cr_assert_eq(inst.length, 4);
			cr_assert_eq(inst.raw, word);
		} else {
			cr_assert(length == 0 || length == 2, "0x%08x: a longer prefix", word);
		}
		if (inst.op != RISCV_INVALID) {
			valid++;
			cr_assert(inst.rd < 32 && inst.rs1 < 32 && inst.rs2 < 32);
			cr_assert(inst.imm >= INT32_MIN && inst.imm <= INT32_MAX);
		}
		if (i % 16 == 0) {
			char text[80];
			riscv_format(&inst, text, sizeof text);
			cr_assert(strlen(text) > 0);
		}
	}
	cr_assert_gt(valid, 0);
}
