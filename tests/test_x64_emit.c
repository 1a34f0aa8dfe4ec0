/* The x86-64 encoder (core/x64_emit.h): every emitter, every width and the
 * operand corners (byte registers that need REX, rsp/r12 and rbp/r13 as a
 * base, displacements and immediates at the edges of their short forms,
 * RIP-relative and 32-bit addresses), checked against the bytes LLVM encodes
 * the same instruction to (llvm-mc-19 --triple=x86_64 -x86-asm-syntax=intel
 * -show-encoding). Rows marked "ours" are encodings LLVM would not choose
 * (xchg with rax as 87 /r, mov r32, r32 as 8B, relative jumps with a given
 * displacement): their bytes are ours, and LLVM's disassembly of them reads
 * as the row's text. Generated once; the test does not run LLVM. Then the
 * relative jumps and their patching, nops and alignment. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/x64_emit.h"

/* Emitters write at the start of scratch; FILL marks what they must not touch. */
#define FILL 0xA5
static uint8_t scratch[64];

static uint8_t *fresh(void)
{
	memset(scratch, FILL, sizeof scratch);
	return scratch;
}

static size_t parse_hex(const char *hex, uint8_t *bytes)
{
	size_t length = 0;
	for (const char *p = hex; *p;) {
		unsigned value;
		int used;
		cr_assert_eq(sscanf(p, " %2x%n", &value, &used), 1, "bad hex \"%s\"", hex);
		cr_assert_lt(length, X64_MAX_INSTRUCTION, "\"%s\" is longer than an instruction", hex);
		bytes[length++] = (uint8_t)value;
		p += used;
	}
	return length;
}

static const char *hex_of(const uint8_t *bytes, size_t length)
{
	static char text[3 * sizeof scratch + 1];
	text[0] = 0;
	for (size_t i = 0; i < length && i < sizeof scratch; i++)
		sprintf(text + 3 * i, i ? " %02x" : "%02x", bytes[i]);
	return text;
}

/* What an emitter wrote at scratch, up to the end it returned, must be `hex`,
 * and nothing after it may have changed. */
static void expect(const char *assembly, const char *hex, const uint8_t *end)
{
	uint8_t want[X64_MAX_INSTRUCTION];
	size_t length = parse_hex(hex, want);
	cr_assert(end >= scratch && end <= scratch + sizeof scratch, "%s: returned a wild end", assembly);
	size_t got = (size_t)(end - scratch);
	cr_assert(got == length && memcmp(scratch, want, length) == 0, "%s: emitted %s, expected %s", assembly,
		  hex_of(scratch, got), hex);
	for (size_t i = got; i < sizeof scratch; i++)
		cr_assert_eq(scratch[i], FILL, "%s: wrote past the end it returned", assembly);
}

#define EXPECT(assembly, hex, call)          \
	do {                                 \
		uint8_t *at = fresh();       \
		expect(assembly, hex, call); \
	} while (0)

struct row {
	const char *assembly;
	const char *hex;
};

static const char *const reg64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
				      "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
static const char *const reg32[16] = {"eax", "ecx", "edx",  "ebx",  "esp",  "ebp",  "esi",  "edi",
				      "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
static const char *const reg8[16] = {"al",  "cl",  "dl",   "bl",   "spl",  "bpl",  "sil",  "dil",
				     "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"};

Test(x64_emit, moves)
{
	EXPECT("mov sil, dil", "40 88 fe", x64_mov_rr(at, X64_W8, X64_RSI, X64_RDI));
	EXPECT("mov spl, al", "40 88 c4", x64_mov_rr(at, X64_W8, X64_RSP, X64_RAX));
	EXPECT("mov al, r15b", "44 88 f8", x64_mov_rr(at, X64_W8, X64_RAX, X64_R15));
	EXPECT("mov bpl, r12b", "44 88 e5", x64_mov_rr(at, X64_W8, X64_RBP, X64_R12));
	EXPECT("mov ax, r9w", "66 44 89 c8", x64_mov_rr(at, X64_W16, X64_RAX, X64_R9));
	EXPECT("mov r13w, sp", "66 41 89 e5", x64_mov_rr(at, X64_W16, X64_R13, X64_RSP));
	EXPECT("mov eax, ecx", "89 c8", x64_mov_rr(at, X64_W32, X64_RAX, X64_RCX));
	EXPECT("mov r12d, ebp", "41 89 ec", x64_mov_rr(at, X64_W32, X64_R12, X64_RBP));
	EXPECT("mov rsp, rbp", "48 89 ec", x64_mov_rr(at, X64_W64, X64_RSP, X64_RBP));
	EXPECT("mov r13, r12", "4d 89 e5", x64_mov_rr(at, X64_W64, X64_R13, X64_R12));
	EXPECT("mov dil, byte ptr [rax]", "40 8a 38", x64_mov_rm(at, X64_W8, X64_RDI, x64_mem_base(X64_RAX, 0)));
	EXPECT("mov r8b, byte ptr [rsp]", "44 8a 04 24", x64_mov_rm(at, X64_W8, X64_R8, x64_mem_base(X64_RSP, 0)));
	EXPECT("mov spl, byte ptr [r13]", "41 8a 65 00", x64_mov_rm(at, X64_W8, X64_RSP, x64_mem_base(X64_R13, 0)));
	EXPECT("mov bx, word ptr [r12 + 2]", "66 41 8b 5c 24 02",
	       x64_mov_rm(at, X64_W16, X64_RBX, x64_mem_base(X64_R12, 2)));
	EXPECT("mov r15d, dword ptr [rbp - 4]", "44 8b 7d fc",
	       x64_mov_rm(at, X64_W32, X64_R15, x64_mem_base(X64_RBP, -4)));
	EXPECT("mov rax, qword ptr [r13]", "49 8b 45 00", x64_mov_rm(at, X64_W64, X64_RAX, x64_mem_base(X64_R13, 0)));
	EXPECT("mov rsp, qword ptr [rsp + 8]", "48 8b 64 24 08",
	       x64_mov_rm(at, X64_W64, X64_RSP, x64_mem_base(X64_RSP, 8)));
	EXPECT("mov byte ptr [rax], sil", "40 88 30", x64_mov_mr(at, X64_W8, x64_mem_base(X64_RAX, 0), X64_RSI));
	EXPECT("mov byte ptr [rdx + 1], dil", "40 88 7a 01", x64_mov_mr(at, X64_W8, x64_mem_base(X64_RDX, 1), X64_RDI));
	EXPECT("mov byte ptr [r15], spl", "41 88 27", x64_mov_mr(at, X64_W8, x64_mem_base(X64_R15, 0), X64_RSP));
	EXPECT("mov byte ptr [r12], bpl", "41 88 2c 24", x64_mov_mr(at, X64_W8, x64_mem_base(X64_R12, 0), X64_RBP));
	EXPECT("mov byte ptr [rbp], al", "88 45 00", x64_mov_mr(at, X64_W8, x64_mem_base(X64_RBP, 0), X64_RAX));
	EXPECT("mov byte ptr [r13 + rcx], r15b", "45 88 7c 0d 00",
	       x64_mov_mr(at, X64_W8, x64_mem_index(X64_R13, X64_RCX, 1, 0), X64_R15));
	EXPECT("mov word ptr [rax], si", "66 89 30", x64_mov_mr(at, X64_W16, x64_mem_base(X64_RAX, 0), X64_RSI));
	EXPECT("mov dword ptr [rsp], r9d", "44 89 0c 24", x64_mov_mr(at, X64_W32, x64_mem_base(X64_RSP, 0), X64_R9));
	EXPECT("mov qword ptr [r12 - 8], rbp", "49 89 6c 24 f8",
	       x64_mov_mr(at, X64_W64, x64_mem_base(X64_R12, -8), X64_RBP));
	EXPECT("mov qword ptr [rbx + 8*r12], rax", "4a 89 04 e3",
	       x64_mov_mr(at, X64_W64, x64_mem_index(X64_RBX, X64_R12, 8, 0), X64_RAX));
	EXPECT("mov byte ptr [rax], -128", "c6 00 80", x64_mov_mi(at, X64_W8, x64_mem_base(X64_RAX, 0), -128));
	EXPECT("mov byte ptr [r13], 127", "41 c6 45 00 7f", x64_mov_mi(at, X64_W8, x64_mem_base(X64_R13, 0), 127));
	EXPECT("mov byte ptr [rsp + 1], -1", "c6 44 24 01 ff", x64_mov_mi(at, X64_W8, x64_mem_base(X64_RSP, 1), -1));
	EXPECT("mov word ptr [rax], 32767", "66 c7 00 ff 7f",
	       x64_mov_mi(at, X64_W16, x64_mem_base(X64_RAX, 0), 0x7fff));
	EXPECT("mov word ptr [r12], -32768", "66 41 c7 04 24 00 80",
	       x64_mov_mi(at, X64_W16, x64_mem_base(X64_R12, 0), -32768));
	EXPECT("mov word ptr [rcx], -1", "66 c7 01 ff ff", x64_mov_mi(at, X64_W16, x64_mem_base(X64_RCX, 0), -1));
	EXPECT("mov dword ptr [r15 + 16], -2147483648", "41 c7 47 10 00 00 00 80",
	       x64_mov_mi(at, X64_W32, x64_mem_base(X64_R15, 16), INT32_MIN));
	EXPECT("mov dword ptr [rbp], 2147483647", "c7 45 00 ff ff ff 7f",
	       x64_mov_mi(at, X64_W32, x64_mem_base(X64_RBP, 0), INT32_MAX));
	EXPECT("mov qword ptr [rax], -1", "48 c7 00 ff ff ff ff",
	       x64_mov_mi(at, X64_W64, x64_mem_base(X64_RAX, 0), -1));
	EXPECT("mov qword ptr [esp + 4*r13d], 2147483647", "67 4a c7 04 ac ff ff ff 7f",
	       x64_mov_mi(at, X64_W64, x64_mem_addr32(x64_mem_index(X64_RSP, X64_R13, 4, 0)), INT32_MAX));
	EXPECT("mov qword ptr [r12 + 8*r15 - 2147483648], -2147483648", "4b c7 84 fc 00 00 00 80 00 00 00 80",
	       x64_mov_mi(at, X64_W64, x64_mem_index(X64_R12, X64_R15, 8, INT32_MIN), INT32_MIN));
	EXPECT("mov qword ptr [r12d + 8*r13d - 129], 2147483647", "67 4b c7 84 ec 7f ff ff ff ff ff ff 7f",
	       x64_mov_mi(at, X64_W64, x64_mem_addr32(x64_mem_index(X64_R12, X64_R13, 8, -129)), INT32_MAX));
	EXPECT("mov eax, 0", "b8 00 00 00 00", x64_mov_ri32(at, X64_RAX, 0));
	EXPECT("mov ecx, 1", "b9 01 00 00 00", x64_mov_ri32(at, X64_RCX, 1));
	EXPECT("mov r8d, 4294967295", "41 b8 ff ff ff ff", x64_mov_ri32(at, X64_R8, 0xffffffff));
	EXPECT("mov r15d, 2147483648", "41 bf 00 00 00 80", x64_mov_ri32(at, X64_R15, 0x80000000));
	EXPECT("mov esp, 2147483647", "bc ff ff ff 7f", x64_mov_ri32(at, X64_RSP, INT32_MAX));
	EXPECT("mov rax, -1", "48 c7 c0 ff ff ff ff", x64_mov_ri32_sx(at, X64_RAX, -1));
	EXPECT("mov r12, -2147483648", "49 c7 c4 00 00 00 80", x64_mov_ri32_sx(at, X64_R12, INT32_MIN));
	EXPECT("mov rdx, 2147483647", "48 c7 c2 ff ff ff 7f", x64_mov_ri32_sx(at, X64_RDX, INT32_MAX));
	EXPECT("mov r15, 0", "49 c7 c7 00 00 00 00", x64_mov_ri32_sx(at, X64_R15, 0));
	EXPECT("movabs rax, -9223372036854775808", "48 b8 00 00 00 00 00 00 00 80",
	       x64_movabs_ri(at, X64_RAX, 0x8000000000000000ull));
	EXPECT("movabs r15, 1311768467463790320", "49 bf f0 de bc 9a 78 56 34 12",
	       x64_movabs_ri(at, X64_R15, 0x123456789abcdef0ull));
	EXPECT("movabs rsp, 0", "48 bc 00 00 00 00 00 00 00 00", x64_movabs_ri(at, X64_RSP, 0x0ull));
	EXPECT("movabs r8, -1", "49 b8 ff ff ff ff ff ff ff ff", x64_movabs_ri(at, X64_R8, 0xffffffffffffffffull));
	EXPECT("mov eax, 0", "b8 00 00 00 00", x64_mov_ri64(at, X64_RAX, 0x0ull));
	EXPECT("mov r9d, 0", "41 b9 00 00 00 00", x64_mov_ri64(at, X64_R9, 0x0ull));
	EXPECT("mov eax, 4294967295", "b8 ff ff ff ff", x64_mov_ri64(at, X64_RAX, 0xffffffffull));
	EXPECT("mov eax, 2147483648", "b8 00 00 00 80", x64_mov_ri64(at, X64_RAX, 0x80000000ull));
	EXPECT("mov r13d, 2147483648", "41 bd 00 00 00 80", x64_mov_ri64(at, X64_R13, 0x80000000ull));
	EXPECT("mov rax, -1", "48 c7 c0 ff ff ff ff", x64_mov_ri64(at, X64_RAX, 0xffffffffffffffffull));
	EXPECT("mov r14, -1", "49 c7 c6 ff ff ff ff", x64_mov_ri64(at, X64_R14, 0xffffffffffffffffull));
	EXPECT("mov rax, -2147483648", "48 c7 c0 00 00 00 80", x64_mov_ri64(at, X64_RAX, 0xffffffff80000000ull));
	EXPECT("mov eax, 2147483647", "b8 ff ff ff 7f", x64_mov_ri64(at, X64_RAX, 0x7fffffffull));
	EXPECT("movabs rax, -2147483649", "48 b8 ff ff ff 7f ff ff ff ff",
	       x64_mov_ri64(at, X64_RAX, 0xffffffff7fffffffull));
	EXPECT("movabs rax, -9223372036854775808", "48 b8 00 00 00 00 00 00 00 80",
	       x64_mov_ri64(at, X64_RAX, 0x8000000000000000ull));
	EXPECT("movabs rax, 4294967296", "48 b8 00 00 00 00 01 00 00 00", x64_mov_ri64(at, X64_RAX, 0x100000000ull));
	EXPECT("movabs r10, 81985529216486895", "49 ba ef cd ab 89 67 45 23 01",
	       x64_mov_ri64(at, X64_R10, 0x123456789abcdefull));
	EXPECT("lea rax, [rcx + 4*rdx + 8]", "48 8d 44 91 08",
	       x64_lea(at, X64_W64, X64_RAX, x64_mem_index(X64_RCX, X64_RDX, 4, 8)));
	EXPECT("lea r12, [r13]", "4d 8d 65 00", x64_lea(at, X64_W64, X64_R12, x64_mem_base(X64_R13, 0)));
	EXPECT("lea eax, [rcx + rdx]", "8d 04 11",
	       x64_lea(at, X64_W32, X64_RAX, x64_mem_index(X64_RCX, X64_RDX, 1, 0)));
	EXPECT("lea r9d, [rsp - 1]", "44 8d 4c 24 ff", x64_lea(at, X64_W32, X64_R9, x64_mem_base(X64_RSP, -1)));
	EXPECT("lea rax, [rip + 16]", "48 8d 05 10 00 00 00", x64_lea(at, X64_W64, X64_RAX, x64_mem_rip(16)));
	EXPECT("lea rsp, [rbp + 2*r12 - 129]", "4a 8d a4 65 7f ff ff ff",
	       x64_lea(at, X64_W64, X64_RSP, x64_mem_index(X64_RBP, X64_R12, 2, -129)));
	EXPECT("xchg rcx, rdx", "48 87 ca", x64_xchg_rr(at, X64_W64, X64_RCX, X64_RDX));
	EXPECT("xchg r8d, r15d", "45 87 c7", x64_xchg_rr(at, X64_W32, X64_R8, X64_R15));
	EXPECT("xchg sp, bp", "66 87 e5", x64_xchg_rr(at, X64_W16, X64_RSP, X64_RBP));
	EXPECT("xchg sil, dil", "40 86 f7", x64_xchg_rr(at, X64_W8, X64_RSI, X64_RDI));
	EXPECT("xchg al, cl", "86 c1", x64_xchg_rr(at, X64_W8, X64_RAX, X64_RCX));
	/* ours */ EXPECT("xchg rax, rcx", "48 87 c1", x64_xchg_rr(at, X64_W64, X64_RAX, X64_RCX));
	/* ours */ EXPECT("xchg eax, eax", "87 c0", x64_xchg_rr(at, X64_W32, X64_RAX, X64_RAX));
	/* ours */ EXPECT("xchg edx, eax", "87 d0", x64_xchg_rr(at, X64_W32, X64_RDX, X64_RAX));
	/* ours */ EXPECT("xchg r8, rax", "4c 87 c0", x64_xchg_rr(at, X64_W64, X64_R8, X64_RAX));
}

Test(x64_emit, widening)
{
	EXPECT("movzx eax, cl", "0f b6 c1", x64_movzx_rr(at, X64_W32, X64_RAX, X64_W8, X64_RCX));
	EXPECT("movzx eax, sil", "40 0f b6 c6", x64_movzx_rr(at, X64_W32, X64_RAX, X64_W8, X64_RSI));
	EXPECT("movzx eax, dil", "40 0f b6 c7", x64_movzx_rr(at, X64_W32, X64_RAX, X64_W8, X64_RDI));
	EXPECT("movzx r9, spl", "4c 0f b6 cc", x64_movzx_rr(at, X64_W64, X64_R9, X64_W8, X64_RSP));
	EXPECT("movzx ebp, bpl", "40 0f b6 ed", x64_movzx_rr(at, X64_W32, X64_RBP, X64_W8, X64_RBP));
	EXPECT("movzx ax, dil", "66 40 0f b6 c7", x64_movzx_rr(at, X64_W16, X64_RAX, X64_W8, X64_RDI));
	EXPECT("movzx edx, r13w", "41 0f b7 d5", x64_movzx_rr(at, X64_W32, X64_RDX, X64_W16, X64_R13));
	EXPECT("movzx rax, cx", "48 0f b7 c1", x64_movzx_rr(at, X64_W64, X64_RAX, X64_W16, X64_RCX));
	EXPECT("movzx r15d, r8b", "45 0f b6 f8", x64_movzx_rr(at, X64_W32, X64_R15, X64_W8, X64_R8));
	/* ours */ EXPECT("mov ecx, eax", "8b c8", x64_movzx_rr(at, X64_W64, X64_RCX, X64_W32, X64_RAX));
	/* ours */ EXPECT("mov r9d, r12d", "45 8b cc", x64_movzx_rr(at, X64_W64, X64_R9, X64_W32, X64_R12));
	/* ours */ EXPECT("mov esp, ebp", "8b e5", x64_movzx_rr(at, X64_W32, X64_RSP, X64_W32, X64_RBP));
	EXPECT("movzx eax, byte ptr [rcx]", "0f b6 01",
	       x64_movzx_rm(at, X64_W32, X64_RAX, X64_W8, x64_mem_base(X64_RCX, 0)));
	EXPECT("movzx r11, byte ptr [r12 + 1]", "4d 0f b6 5c 24 01",
	       x64_movzx_rm(at, X64_W64, X64_R11, X64_W8, x64_mem_base(X64_R12, 1)));
	EXPECT("movzx esi, word ptr [rbp + 2*rax]", "0f b7 74 45 00",
	       x64_movzx_rm(at, X64_W32, X64_RSI, X64_W16, x64_mem_index(X64_RBP, X64_RAX, 2, 0)));
	EXPECT("movzx rax, word ptr [r13d + 2*r14d]", "67 4b 0f b7 44 75 00",
	       x64_movzx_rm(at, X64_W64, X64_RAX, X64_W16, x64_mem_addr32(x64_mem_index(X64_R13, X64_R14, 2, 0))));
	EXPECT("movzx di, byte ptr [rsp]", "66 0f b6 3c 24",
	       x64_movzx_rm(at, X64_W16, X64_RDI, X64_W8, x64_mem_base(X64_RSP, 0)));
	EXPECT("mov eax, dword ptr [rcx]", "8b 01",
	       x64_movzx_rm(at, X64_W64, X64_RAX, X64_W32, x64_mem_base(X64_RCX, 0)));
	EXPECT("mov r8d, dword ptr [eax + edx]", "67 44 8b 04 10",
	       x64_movzx_rm(at, X64_W64, X64_R8, X64_W32, x64_mem_addr32(x64_mem_index(X64_RAX, X64_RDX, 1, 0))));
	EXPECT("movsx eax, cl", "0f be c1", x64_movsx_rr(at, X64_W32, X64_RAX, X64_W8, X64_RCX));
	EXPECT("movsx rax, sil", "48 0f be c6", x64_movsx_rr(at, X64_W64, X64_RAX, X64_W8, X64_RSI));
	EXPECT("movsx r12, bpl", "4c 0f be e5", x64_movsx_rr(at, X64_W64, X64_R12, X64_W8, X64_RBP));
	EXPECT("movsx edx, r13w", "41 0f bf d5", x64_movsx_rr(at, X64_W32, X64_RDX, X64_W16, X64_R13));
	EXPECT("movsx rax, cx", "48 0f bf c1", x64_movsx_rr(at, X64_W64, X64_RAX, X64_W16, X64_RCX));
	EXPECT("movsx cx, spl", "66 40 0f be cc", x64_movsx_rr(at, X64_W16, X64_RCX, X64_W8, X64_RSP));
	EXPECT("movsxd rax, ecx", "48 63 c1", x64_movsx_rr(at, X64_W64, X64_RAX, X64_W32, X64_RCX));
	EXPECT("movsxd r15, r8d", "4d 63 f8", x64_movsx_rr(at, X64_W64, X64_R15, X64_W32, X64_R8));
	EXPECT("movsxd rsp, r13d", "49 63 e5", x64_movsx_rr(at, X64_W64, X64_RSP, X64_W32, X64_R13));
	EXPECT("movsx rax, byte ptr [rcx]", "48 0f be 01",
	       x64_movsx_rm(at, X64_W64, X64_RAX, X64_W8, x64_mem_base(X64_RCX, 0)));
	EXPECT("movsx r9d, word ptr [rsp + 4]", "44 0f bf 4c 24 04",
	       x64_movsx_rm(at, X64_W32, X64_R9, X64_W16, x64_mem_base(X64_RSP, 4)));
	EXPECT("movsxd rax, dword ptr [r13]", "49 63 45 00",
	       x64_movsx_rm(at, X64_W64, X64_RAX, X64_W32, x64_mem_base(X64_R13, 0)));
	EXPECT("movsxd r10, dword ptr [eax + ecx - 5]", "67 4c 63 54 08 fb",
	       x64_movsx_rm(at, X64_W64, X64_R10, X64_W32, x64_mem_addr32(x64_mem_index(X64_RAX, X64_RCX, 1, -5))));
	EXPECT("movsx rdx, word ptr [rip - 7]", "48 0f bf 15 f9 ff ff ff",
	       x64_movsx_rm(at, X64_W64, X64_RDX, X64_W16, x64_mem_rip(-7)));
}

Test(x64_emit, arithmetic)
{
	EXPECT("add rax, rcx", "48 01 c8", x64_alu_rr(at, X64_ADD, X64_W64, X64_RAX, X64_RCX));
	EXPECT("or rax, rcx", "48 09 c8", x64_alu_rr(at, X64_OR, X64_W64, X64_RAX, X64_RCX));
	EXPECT("adc rax, rcx", "48 11 c8", x64_alu_rr(at, X64_ADC, X64_W64, X64_RAX, X64_RCX));
	EXPECT("sbb rax, rcx", "48 19 c8", x64_alu_rr(at, X64_SBB, X64_W64, X64_RAX, X64_RCX));
	EXPECT("and rax, rcx", "48 21 c8", x64_alu_rr(at, X64_AND, X64_W64, X64_RAX, X64_RCX));
	EXPECT("sub rax, rcx", "48 29 c8", x64_alu_rr(at, X64_SUB, X64_W64, X64_RAX, X64_RCX));
	EXPECT("xor rax, rcx", "48 31 c8", x64_alu_rr(at, X64_XOR, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmp rax, rcx", "48 39 c8", x64_alu_rr(at, X64_CMP, X64_W64, X64_RAX, X64_RCX));
	EXPECT("add spl, sil", "40 00 f4", x64_alu_rr(at, X64_ADD, X64_W8, X64_RSP, X64_RSI));
	EXPECT("xor al, dil", "40 30 f8", x64_alu_rr(at, X64_XOR, X64_W8, X64_RAX, X64_RDI));
	EXPECT("and r8b, bpl", "41 20 e8", x64_alu_rr(at, X64_AND, X64_W8, X64_R8, X64_RBP));
	EXPECT("sub r12w, ax", "66 41 29 c4", x64_alu_rr(at, X64_SUB, X64_W16, X64_R12, X64_RAX));
	EXPECT("cmp r13d, r8d", "45 39 c5", x64_alu_rr(at, X64_CMP, X64_W32, X64_R13, X64_R8));
	EXPECT("or r15, rsp", "49 09 e7", x64_alu_rr(at, X64_OR, X64_W64, X64_R15, X64_RSP));
	EXPECT("adc ebx, edx", "11 d3", x64_alu_rr(at, X64_ADC, X64_W32, X64_RBX, X64_RDX));
	EXPECT("sbb rbp, r11", "4c 19 dd", x64_alu_rr(at, X64_SBB, X64_W64, X64_RBP, X64_R11));
	EXPECT("add rax, qword ptr [rbp + 8]", "48 03 45 08",
	       x64_alu_rm(at, X64_ADD, X64_W64, X64_RAX, x64_mem_base(X64_RBP, 8)));
	EXPECT("cmp r12d, dword ptr [r13]", "45 3b 65 00",
	       x64_alu_rm(at, X64_CMP, X64_W32, X64_R12, x64_mem_base(X64_R13, 0)));
	EXPECT("sub sil, byte ptr [rax]", "40 2a 30",
	       x64_alu_rm(at, X64_SUB, X64_W8, X64_RSI, x64_mem_base(X64_RAX, 0)));
	EXPECT("and cx, word ptr [rsp - 1]", "66 23 4c 24 ff",
	       x64_alu_rm(at, X64_AND, X64_W16, X64_RCX, x64_mem_base(X64_RSP, -1)));
	EXPECT("xor r9, qword ptr [r12d + 8*eax]", "67 4d 33 0c c4",
	       x64_alu_rm(at, X64_XOR, X64_W64, X64_R9, x64_mem_addr32(x64_mem_index(X64_R12, X64_RAX, 8, 0))));
	EXPECT("or eax, dword ptr [rip]", "0b 05 00 00 00 00",
	       x64_alu_rm(at, X64_OR, X64_W32, X64_RAX, x64_mem_rip(0)));
	EXPECT("add qword ptr [rbp + 8], rax", "48 01 45 08",
	       x64_alu_mr(at, X64_ADD, X64_W64, x64_mem_base(X64_RBP, 8), X64_RAX));
	EXPECT("cmp dword ptr [r13], r12d", "45 39 65 00",
	       x64_alu_mr(at, X64_CMP, X64_W32, x64_mem_base(X64_R13, 0), X64_R12));
	EXPECT("sub byte ptr [rax], dil", "40 28 38",
	       x64_alu_mr(at, X64_SUB, X64_W8, x64_mem_base(X64_RAX, 0), X64_RDI));
	EXPECT("and word ptr [rsp - 1], cx", "66 21 4c 24 ff",
	       x64_alu_mr(at, X64_AND, X64_W16, x64_mem_base(X64_RSP, -1), X64_RCX));
	EXPECT("xor qword ptr [r15 + 2*rsi + 127], r9", "4d 31 4c 77 7f",
	       x64_alu_mr(at, X64_XOR, X64_W64, x64_mem_index(X64_R15, X64_RSI, 2, 127), X64_R9));
	EXPECT("add rcx, 127", "48 83 c1 7f", x64_alu_ri(at, X64_ADD, X64_W64, X64_RCX, 127));
	EXPECT("add rcx, -128", "48 83 c1 80", x64_alu_ri(at, X64_ADD, X64_W64, X64_RCX, -128));
	EXPECT("add rcx, 128", "48 81 c1 80 00 00 00", x64_alu_ri(at, X64_ADD, X64_W64, X64_RCX, 128));
	EXPECT("add rcx, -129", "48 81 c1 7f ff ff ff", x64_alu_ri(at, X64_ADD, X64_W64, X64_RCX, -129));
	EXPECT("sub rcx, -2147483648", "48 81 e9 00 00 00 80", x64_alu_ri(at, X64_SUB, X64_W64, X64_RCX, INT32_MIN));
	EXPECT("sub rcx, 2147483647", "48 81 e9 ff ff ff 7f", x64_alu_ri(at, X64_SUB, X64_W64, X64_RCX, INT32_MAX));
	EXPECT("add rax, 1", "48 83 c0 01", x64_alu_ri(at, X64_ADD, X64_W64, X64_RAX, 1));
	EXPECT("add rax, 128", "48 05 80 00 00 00", x64_alu_ri(at, X64_ADD, X64_W64, X64_RAX, 128));
	EXPECT("cmp rax, -129", "48 3d 7f ff ff ff", x64_alu_ri(at, X64_CMP, X64_W64, X64_RAX, -129));
	EXPECT("and eax, 255", "25 ff 00 00 00", x64_alu_ri(at, X64_AND, X64_W32, X64_RAX, 255));
	EXPECT("and ecx, 255", "81 e1 ff 00 00 00", x64_alu_ri(at, X64_AND, X64_W32, X64_RCX, 255));
	EXPECT("and ecx, -1", "83 e1 ff", x64_alu_ri(at, X64_AND, X64_W32, X64_RCX, -1));
	EXPECT("xor r12d, -2147483648", "41 81 f4 00 00 00 80", x64_alu_ri(at, X64_XOR, X64_W32, X64_R12, INT32_MIN));
	EXPECT("or r13d, 0", "41 83 cd 00", x64_alu_ri(at, X64_OR, X64_W32, X64_R13, 0));
	EXPECT("cmp rsp, 1", "48 83 fc 01", x64_alu_ri(at, X64_CMP, X64_W64, X64_RSP, 1));
	EXPECT("sbb r15, 1000", "49 81 df e8 03 00 00", x64_alu_ri(at, X64_SBB, X64_W64, X64_R15, 0x3e8));
	EXPECT("adc ebp, -1", "83 d5 ff", x64_alu_ri(at, X64_ADC, X64_W32, X64_RBP, -1));
	EXPECT("add ax, 1", "66 83 c0 01", x64_alu_ri(at, X64_ADD, X64_W16, X64_RAX, 1));
	EXPECT("add ax, 300", "66 05 2c 01", x64_alu_ri(at, X64_ADD, X64_W16, X64_RAX, 0x12c));
	EXPECT("add cx, -129", "66 81 c1 7f ff", x64_alu_ri(at, X64_ADD, X64_W16, X64_RCX, -129));
	EXPECT("sub r9w, 127", "66 41 83 e9 7f", x64_alu_ri(at, X64_SUB, X64_W16, X64_R9, 127));
	EXPECT("add al, 1", "04 01", x64_alu_ri(at, X64_ADD, X64_W8, X64_RAX, 1));
	EXPECT("add al, -128", "04 80", x64_alu_ri(at, X64_ADD, X64_W8, X64_RAX, -128));
	EXPECT("cmp cl, 127", "80 f9 7f", x64_alu_ri(at, X64_CMP, X64_W8, X64_RCX, 127));
	EXPECT("cmp sil, 1", "40 80 fe 01", x64_alu_ri(at, X64_CMP, X64_W8, X64_RSI, 1));
	EXPECT("and dil, -1", "40 80 e7 ff", x64_alu_ri(at, X64_AND, X64_W8, X64_RDI, -1));
	EXPECT("xor r8b, 0", "41 80 f0 00", x64_alu_ri(at, X64_XOR, X64_W8, X64_R8, 0));
	EXPECT("or spl, 3", "40 80 cc 03", x64_alu_ri(at, X64_OR, X64_W8, X64_RSP, 3));
	EXPECT("sub qword ptr [r15 + 8], 1", "49 83 6f 08 01",
	       x64_alu_mi(at, X64_SUB, X64_W64, x64_mem_base(X64_R15, 8), 1));
	EXPECT("sub qword ptr [rbx + 8], 1000", "48 81 6b 08 e8 03 00 00",
	       x64_alu_mi(at, X64_SUB, X64_W64, x64_mem_base(X64_RBX, 8), 0x3e8));
	EXPECT("cmp qword ptr [rsp], -128", "48 83 3c 24 80",
	       x64_alu_mi(at, X64_CMP, X64_W64, x64_mem_base(X64_RSP, 0), -128));
	EXPECT("cmp qword ptr [rsp], 128", "48 81 3c 24 80 00 00 00",
	       x64_alu_mi(at, X64_CMP, X64_W64, x64_mem_base(X64_RSP, 0), 128));
	EXPECT("add dword ptr [rbp], -129", "81 45 00 7f ff ff ff",
	       x64_alu_mi(at, X64_ADD, X64_W32, x64_mem_base(X64_RBP, 0), -129));
	EXPECT("add dword ptr [rip + 16], 2147483647", "81 05 10 00 00 00 ff ff ff 7f",
	       x64_alu_mi(at, X64_ADD, X64_W32, x64_mem_rip(16), INT32_MAX));
	EXPECT("and word ptr [rax], 300", "66 81 20 2c 01",
	       x64_alu_mi(at, X64_AND, X64_W16, x64_mem_base(X64_RAX, 0), 0x12c));
	EXPECT("and word ptr [rax], -1", "66 83 20 ff", x64_alu_mi(at, X64_AND, X64_W16, x64_mem_base(X64_RAX, 0), -1));
	EXPECT("cmp byte ptr [r13 + r12], 255", "43 80 7c 25 00 ff",
	       x64_alu_mi(at, X64_CMP, X64_W8, x64_mem_index(X64_R13, X64_R12, 1, 0), 255));
	EXPECT("or byte ptr [rax], -128", "80 08 80", x64_alu_mi(at, X64_OR, X64_W8, x64_mem_base(X64_RAX, 0), -128));
	EXPECT("add qword ptr [eax + 8*ecx], -2147483648", "67 48 81 04 c8 00 00 00 80",
	       x64_alu_mi(at, X64_ADD, X64_W64, x64_mem_addr32(x64_mem_index(X64_RAX, X64_RCX, 8, 0)), INT32_MIN));
	EXPECT("sub qword ptr [ebp + 2*ebp + 2147483647], 128", "67 48 81 ac 6d ff ff ff 7f 80 00 00 00",
	       x64_alu_mi(at, X64_SUB, X64_W64, x64_mem_addr32(x64_mem_index(X64_RBP, X64_RBP, 2, INT32_MAX)), 128));
	EXPECT("test rax, rcx", "48 85 c8", x64_test_rr(at, X64_W64, X64_RAX, X64_RCX));
	EXPECT("test r12, r13", "4d 85 ec", x64_test_rr(at, X64_W64, X64_R12, X64_R13));
	EXPECT("test esp, ebp", "85 ec", x64_test_rr(at, X64_W32, X64_RSP, X64_RBP));
	EXPECT("test dx, r9w", "66 44 85 ca", x64_test_rr(at, X64_W16, X64_RDX, X64_R9));
	EXPECT("test sil, dil", "40 84 fe", x64_test_rr(at, X64_W8, X64_RSI, X64_RDI));
	EXPECT("test al, bl", "84 d8", x64_test_rr(at, X64_W8, X64_RAX, X64_RBX));
	EXPECT("test al, r15b", "44 84 f8", x64_test_rr(at, X64_W8, X64_RAX, X64_R15));
	EXPECT("test rax, 1", "48 a9 01 00 00 00", x64_test_ri(at, X64_W64, X64_RAX, 1));
	EXPECT("test rax, -1", "48 a9 ff ff ff ff", x64_test_ri(at, X64_W64, X64_RAX, -1));
	EXPECT("test eax, 2147483647", "a9 ff ff ff 7f", x64_test_ri(at, X64_W32, X64_RAX, INT32_MAX));
	EXPECT("test ax, 255", "66 a9 ff 00", x64_test_ri(at, X64_W16, X64_RAX, 255));
	EXPECT("test al, 1", "a8 01", x64_test_ri(at, X64_W8, X64_RAX, 1));
	EXPECT("test cl, -128", "f6 c1 80", x64_test_ri(at, X64_W8, X64_RCX, -128));
	EXPECT("test sil, 1", "40 f6 c6 01", x64_test_ri(at, X64_W8, X64_RSI, 1));
	EXPECT("test r9b, 127", "41 f6 c1 7f", x64_test_ri(at, X64_W8, X64_R9, 127));
	EXPECT("test r9, 1", "49 f7 c1 01 00 00 00", x64_test_ri(at, X64_W64, X64_R9, 1));
	EXPECT("test rcx, -2147483648", "48 f7 c1 00 00 00 80", x64_test_ri(at, X64_W64, X64_RCX, INT32_MIN));
	EXPECT("test esp, 255", "f7 c4 ff 00 00 00", x64_test_ri(at, X64_W32, X64_RSP, 255));
	EXPECT("test bp, 4660", "66 f7 c5 34 12", x64_test_ri(at, X64_W16, X64_RBP, 0x1234));
	EXPECT("not rcx", "48 f7 d1", x64_unary_r(at, X64_NOT, X64_W64, X64_RCX));
	EXPECT("neg rcx", "48 f7 d9", x64_unary_r(at, X64_NEG, X64_W64, X64_RCX));
	EXPECT("mul rcx", "48 f7 e1", x64_unary_r(at, X64_MUL, X64_W64, X64_RCX));
	EXPECT("imul rcx", "48 f7 e9", x64_unary_r(at, X64_IMUL, X64_W64, X64_RCX));
	EXPECT("div rcx", "48 f7 f1", x64_unary_r(at, X64_DIV, X64_W64, X64_RCX));
	EXPECT("idiv rcx", "48 f7 f9", x64_unary_r(at, X64_IDIV, X64_W64, X64_RCX));
	EXPECT("not r13d", "41 f7 d5", x64_unary_r(at, X64_NOT, X64_W32, X64_R13));
	EXPECT("neg sil", "40 f6 de", x64_unary_r(at, X64_NEG, X64_W8, X64_RSI));
	EXPECT("neg cl", "f6 d9", x64_unary_r(at, X64_NEG, X64_W8, X64_RCX));
	EXPECT("mul rsp", "48 f7 e4", x64_unary_r(at, X64_MUL, X64_W64, X64_RSP));
	EXPECT("imul r8d", "41 f7 e8", x64_unary_r(at, X64_IMUL, X64_W32, X64_R8));
	EXPECT("div bp", "66 f7 f5", x64_unary_r(at, X64_DIV, X64_W16, X64_RBP));
	EXPECT("idiv r15", "49 f7 ff", x64_unary_r(at, X64_IDIV, X64_W64, X64_R15));
	EXPECT("div dil", "40 f6 f7", x64_unary_r(at, X64_DIV, X64_W8, X64_RDI));
	EXPECT("imul rax, rcx", "48 0f af c1", x64_imul_rr(at, X64_W64, X64_RAX, X64_RCX));
	EXPECT("imul r12d, r13d", "45 0f af e5", x64_imul_rr(at, X64_W32, X64_R12, X64_R13));
	EXPECT("imul sp, r8w", "66 41 0f af e0", x64_imul_rr(at, X64_W16, X64_RSP, X64_R8));
	EXPECT("imul r15, rbp", "4c 0f af fd", x64_imul_rr(at, X64_W64, X64_R15, X64_RBP));
	EXPECT("imul rax, rcx, 127", "48 6b c1 7f", x64_imul_rri(at, X64_W64, X64_RAX, X64_RCX, 127));
	EXPECT("imul rax, rcx, -128", "48 6b c1 80", x64_imul_rri(at, X64_W64, X64_RAX, X64_RCX, -128));
	EXPECT("imul rax, rcx, 128", "48 69 c1 80 00 00 00", x64_imul_rri(at, X64_W64, X64_RAX, X64_RCX, 128));
	EXPECT("imul r9d, esp, -129", "44 69 cc 7f ff ff ff", x64_imul_rri(at, X64_W32, X64_R9, X64_RSP, -129));
	EXPECT("imul eax, eax, -2147483648", "69 c0 00 00 00 80",
	       x64_imul_rri(at, X64_W32, X64_RAX, X64_RAX, INT32_MIN));
	EXPECT("imul r13, r12, 2147483647", "4d 69 ec ff ff ff 7f",
	       x64_imul_rri(at, X64_W64, X64_R13, X64_R12, INT32_MAX));
	EXPECT("imul cx, dx, 1000", "66 69 ca e8 03", x64_imul_rri(at, X64_W16, X64_RCX, X64_RDX, 0x3e8));
	EXPECT("imul cx, dx, -3", "66 6b ca fd", x64_imul_rri(at, X64_W16, X64_RCX, X64_RDX, -3));
	EXPECT("cdq", "99", x64_cdq(at));
	EXPECT("cqo", "48 99", x64_cqo(at));
}

Test(x64_emit, shifts_and_bit_operations)
{
	EXPECT("rol rdx, 1", "48 d1 c2", x64_shift_ri(at, X64_ROL, X64_W64, X64_RDX, 1));
	EXPECT("rol rdx, 63", "48 c1 c2 3f", x64_shift_ri(at, X64_ROL, X64_W64, X64_RDX, 63));
	EXPECT("rol rdx, cl", "48 d3 c2", x64_shift_cl(at, X64_ROL, X64_W64, X64_RDX));
	EXPECT("ror rdx, 1", "48 d1 ca", x64_shift_ri(at, X64_ROR, X64_W64, X64_RDX, 1));
	EXPECT("ror rdx, 63", "48 c1 ca 3f", x64_shift_ri(at, X64_ROR, X64_W64, X64_RDX, 63));
	EXPECT("ror rdx, cl", "48 d3 ca", x64_shift_cl(at, X64_ROR, X64_W64, X64_RDX));
	EXPECT("rcl rdx, 1", "48 d1 d2", x64_shift_ri(at, X64_RCL, X64_W64, X64_RDX, 1));
	EXPECT("rcl rdx, 63", "48 c1 d2 3f", x64_shift_ri(at, X64_RCL, X64_W64, X64_RDX, 63));
	EXPECT("rcl rdx, cl", "48 d3 d2", x64_shift_cl(at, X64_RCL, X64_W64, X64_RDX));
	EXPECT("rcr rdx, 1", "48 d1 da", x64_shift_ri(at, X64_RCR, X64_W64, X64_RDX, 1));
	EXPECT("rcr rdx, 63", "48 c1 da 3f", x64_shift_ri(at, X64_RCR, X64_W64, X64_RDX, 63));
	EXPECT("rcr rdx, cl", "48 d3 da", x64_shift_cl(at, X64_RCR, X64_W64, X64_RDX));
	EXPECT("shl rdx, 1", "48 d1 e2", x64_shift_ri(at, X64_SHL, X64_W64, X64_RDX, 1));
	EXPECT("shl rdx, 63", "48 c1 e2 3f", x64_shift_ri(at, X64_SHL, X64_W64, X64_RDX, 63));
	EXPECT("shl rdx, cl", "48 d3 e2", x64_shift_cl(at, X64_SHL, X64_W64, X64_RDX));
	EXPECT("shr rdx, 1", "48 d1 ea", x64_shift_ri(at, X64_SHR, X64_W64, X64_RDX, 1));
	EXPECT("shr rdx, 63", "48 c1 ea 3f", x64_shift_ri(at, X64_SHR, X64_W64, X64_RDX, 63));
	EXPECT("shr rdx, cl", "48 d3 ea", x64_shift_cl(at, X64_SHR, X64_W64, X64_RDX));
	EXPECT("sar rdx, 1", "48 d1 fa", x64_shift_ri(at, X64_SAR, X64_W64, X64_RDX, 1));
	EXPECT("sar rdx, 63", "48 c1 fa 3f", x64_shift_ri(at, X64_SAR, X64_W64, X64_RDX, 63));
	EXPECT("sar rdx, cl", "48 d3 fa", x64_shift_cl(at, X64_SAR, X64_W64, X64_RDX));
	EXPECT("shl r12d, 31", "41 c1 e4 1f", x64_shift_ri(at, X64_SHL, X64_W32, X64_R12, 31));
	EXPECT("shr eax, 0", "c1 e8 00", x64_shift_ri(at, X64_SHR, X64_W32, X64_RAX, 0));
	EXPECT("sar r13w, 15", "66 41 c1 fd 0f", x64_shift_ri(at, X64_SAR, X64_W16, X64_R13, 15));
	EXPECT("rol sil, 7", "40 c0 c6 07", x64_shift_ri(at, X64_ROL, X64_W8, X64_RSI, 7));
	EXPECT("ror al, 1", "d0 c8", x64_shift_ri(at, X64_ROR, X64_W8, X64_RAX, 1));
	EXPECT("shl dil, 2", "40 c0 e7 02", x64_shift_ri(at, X64_SHL, X64_W8, X64_RDI, 2));
	EXPECT("sar rsp, 255", "48 c1 fc ff", x64_shift_ri(at, X64_SAR, X64_W64, X64_RSP, 255));
	EXPECT("ror r15d, 1", "41 d1 cf", x64_shift_ri(at, X64_ROR, X64_W32, X64_R15, 1));
	EXPECT("shl r9d, cl", "41 d3 e1", x64_shift_cl(at, X64_SHL, X64_W32, X64_R9));
	EXPECT("shr dil, cl", "40 d2 ef", x64_shift_cl(at, X64_SHR, X64_W8, X64_RDI));
	EXPECT("sar cl, cl", "d2 f9", x64_shift_cl(at, X64_SAR, X64_W8, X64_RCX));
	EXPECT("rol bp, cl", "66 d3 c5", x64_shift_cl(at, X64_ROL, X64_W16, X64_RBP));
	EXPECT("ror r12d, cl", "41 d3 cc", x64_shift_cl(at, X64_ROR, X64_W32, X64_R12));
	EXPECT("popcnt ax, cx", "66 f3 0f b8 c1", x64_bitcount_rr(at, X64_POPCNT, X64_W16, X64_RAX, X64_RCX));
	EXPECT("popcnt r12d, ebp", "f3 44 0f b8 e5", x64_bitcount_rr(at, X64_POPCNT, X64_W32, X64_R12, X64_RBP));
	EXPECT("popcnt rax, r15", "f3 49 0f b8 c7", x64_bitcount_rr(at, X64_POPCNT, X64_W64, X64_RAX, X64_R15));
	EXPECT("popcnt rsp, r13", "f3 49 0f b8 e5", x64_bitcount_rr(at, X64_POPCNT, X64_W64, X64_RSP, X64_R13));
	EXPECT("tzcnt ax, cx", "66 f3 0f bc c1", x64_bitcount_rr(at, X64_TZCNT, X64_W16, X64_RAX, X64_RCX));
	EXPECT("tzcnt r12d, ebp", "f3 44 0f bc e5", x64_bitcount_rr(at, X64_TZCNT, X64_W32, X64_R12, X64_RBP));
	EXPECT("tzcnt rax, r15", "f3 49 0f bc c7", x64_bitcount_rr(at, X64_TZCNT, X64_W64, X64_RAX, X64_R15));
	EXPECT("tzcnt rsp, r13", "f3 49 0f bc e5", x64_bitcount_rr(at, X64_TZCNT, X64_W64, X64_RSP, X64_R13));
	EXPECT("lzcnt ax, cx", "66 f3 0f bd c1", x64_bitcount_rr(at, X64_LZCNT, X64_W16, X64_RAX, X64_RCX));
	EXPECT("lzcnt r12d, ebp", "f3 44 0f bd e5", x64_bitcount_rr(at, X64_LZCNT, X64_W32, X64_R12, X64_RBP));
	EXPECT("lzcnt rax, r15", "f3 49 0f bd c7", x64_bitcount_rr(at, X64_LZCNT, X64_W64, X64_RAX, X64_R15));
	EXPECT("lzcnt rsp, r13", "f3 49 0f bd e5", x64_bitcount_rr(at, X64_LZCNT, X64_W64, X64_RSP, X64_R13));
	EXPECT("andn rax, rcx, rdx", "c4 e2 f0 f2 c2", x64_andn(at, X64_W64, X64_RAX, X64_RCX, X64_RDX));
	EXPECT("andn r13, rdi, rbp", "c4 62 c0 f2 ed", x64_andn(at, X64_W64, X64_R13, X64_RDI, X64_RBP));
	EXPECT("andn r8, r15, r9", "c4 42 80 f2 c1", x64_andn(at, X64_W64, X64_R8, X64_R15, X64_R9));
	EXPECT("andn rsp, rbx, r12", "c4 c2 e0 f2 e4", x64_andn(at, X64_W64, X64_RSP, X64_RBX, X64_R12));
	EXPECT("andn eax, ecx, edx", "c4 e2 70 f2 c2", x64_andn(at, X64_W32, X64_RAX, X64_RCX, X64_RDX));
	EXPECT("andn r10d, r11d, r14d", "c4 42 20 f2 d6", x64_andn(at, X64_W32, X64_R10, X64_R11, X64_R14));
	EXPECT("bswap eax", "0f c8", x64_bswap(at, X64_W32, X64_RAX));
	EXPECT("bswap esp", "0f cc", x64_bswap(at, X64_W32, X64_RSP));
	EXPECT("bswap r12d", "41 0f cc", x64_bswap(at, X64_W32, X64_R12));
	EXPECT("bswap rax", "48 0f c8", x64_bswap(at, X64_W64, X64_RAX));
	EXPECT("bswap rdi", "48 0f cf", x64_bswap(at, X64_W64, X64_RDI));
	EXPECT("bswap r15", "49 0f cf", x64_bswap(at, X64_W64, X64_R15));
}

Test(x64_emit, conditions)
{
	EXPECT("seto al", "0f 90 c0", x64_setcc(at, X64_O, X64_RAX));
	EXPECT("setno al", "0f 91 c0", x64_setcc(at, X64_NO, X64_RAX));
	EXPECT("setb al", "0f 92 c0", x64_setcc(at, X64_B, X64_RAX));
	EXPECT("setae al", "0f 93 c0", x64_setcc(at, X64_AE, X64_RAX));
	EXPECT("sete al", "0f 94 c0", x64_setcc(at, X64_E, X64_RAX));
	EXPECT("setne al", "0f 95 c0", x64_setcc(at, X64_NE, X64_RAX));
	EXPECT("setbe al", "0f 96 c0", x64_setcc(at, X64_BE, X64_RAX));
	EXPECT("seta al", "0f 97 c0", x64_setcc(at, X64_A, X64_RAX));
	EXPECT("sets al", "0f 98 c0", x64_setcc(at, X64_S, X64_RAX));
	EXPECT("setns al", "0f 99 c0", x64_setcc(at, X64_NS, X64_RAX));
	EXPECT("setp al", "0f 9a c0", x64_setcc(at, X64_P, X64_RAX));
	EXPECT("setnp al", "0f 9b c0", x64_setcc(at, X64_NP, X64_RAX));
	EXPECT("setl al", "0f 9c c0", x64_setcc(at, X64_L, X64_RAX));
	EXPECT("setge al", "0f 9d c0", x64_setcc(at, X64_GE, X64_RAX));
	EXPECT("setle al", "0f 9e c0", x64_setcc(at, X64_LE, X64_RAX));
	EXPECT("setg al", "0f 9f c0", x64_setcc(at, X64_G, X64_RAX));
	EXPECT("sete bl", "0f 94 c3", x64_setcc(at, X64_E, X64_RBX));
	EXPECT("sete spl", "40 0f 94 c4", x64_setcc(at, X64_E, X64_RSP));
	EXPECT("sete bpl", "40 0f 94 c5", x64_setcc(at, X64_E, X64_RBP));
	EXPECT("sete sil", "40 0f 94 c6", x64_setcc(at, X64_E, X64_RSI));
	EXPECT("sete dil", "40 0f 94 c7", x64_setcc(at, X64_E, X64_RDI));
	EXPECT("sete r8b", "41 0f 94 c0", x64_setcc(at, X64_E, X64_R8));
	EXPECT("sete r12b", "41 0f 94 c4", x64_setcc(at, X64_E, X64_R12));
	EXPECT("sete r15b", "41 0f 94 c7", x64_setcc(at, X64_E, X64_R15));
	EXPECT("cmovo rax, rcx", "48 0f 40 c1", x64_cmovcc_rr(at, X64_O, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovno rax, rcx", "48 0f 41 c1", x64_cmovcc_rr(at, X64_NO, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovb rax, rcx", "48 0f 42 c1", x64_cmovcc_rr(at, X64_B, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovae rax, rcx", "48 0f 43 c1", x64_cmovcc_rr(at, X64_AE, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmove rax, rcx", "48 0f 44 c1", x64_cmovcc_rr(at, X64_E, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovne rax, rcx", "48 0f 45 c1", x64_cmovcc_rr(at, X64_NE, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovbe rax, rcx", "48 0f 46 c1", x64_cmovcc_rr(at, X64_BE, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmova rax, rcx", "48 0f 47 c1", x64_cmovcc_rr(at, X64_A, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovs rax, rcx", "48 0f 48 c1", x64_cmovcc_rr(at, X64_S, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovns rax, rcx", "48 0f 49 c1", x64_cmovcc_rr(at, X64_NS, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovp rax, rcx", "48 0f 4a c1", x64_cmovcc_rr(at, X64_P, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovnp rax, rcx", "48 0f 4b c1", x64_cmovcc_rr(at, X64_NP, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovl rax, rcx", "48 0f 4c c1", x64_cmovcc_rr(at, X64_L, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovge rax, rcx", "48 0f 4d c1", x64_cmovcc_rr(at, X64_GE, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovle rax, rcx", "48 0f 4e c1", x64_cmovcc_rr(at, X64_LE, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovg rax, rcx", "48 0f 4f c1", x64_cmovcc_rr(at, X64_G, X64_W64, X64_RAX, X64_RCX));
	EXPECT("cmovb r8d, r13d", "45 0f 42 c5", x64_cmovcc_rr(at, X64_B, X64_W32, X64_R8, X64_R13));
	EXPECT("cmovl sp, bp", "66 0f 4c e5", x64_cmovcc_rr(at, X64_L, X64_W16, X64_RSP, X64_RBP));
	EXPECT("cmovg r12, rsi", "4c 0f 4f e6", x64_cmovcc_rr(at, X64_G, X64_W64, X64_R12, X64_RSI));
	EXPECT("cmove edi, r15d", "41 0f 44 ff", x64_cmovcc_rr(at, X64_E, X64_W32, X64_RDI, X64_R15));
}

Test(x64_emit, control_flow)
{
	/* ours */ EXPECT("jmp 0", "eb 00", x64_jmp_rel8(at, 0));
	/* ours */ EXPECT("jmp -128", "eb 80", x64_jmp_rel8(at, -128));
	/* ours */ EXPECT("jmp 127", "eb 7f", x64_jmp_rel8(at, 127));
	/* ours */ EXPECT("jmp -2", "eb fe", x64_jmp_rel8(at, -2));
	/* ours */ EXPECT("jmp 0", "e9 00 00 00 00", x64_jmp_rel32(at, 0));
	/* ours */ EXPECT("jmp -2147483648", "e9 00 00 00 80", x64_jmp_rel32(at, INT32_MIN));
	/* ours */ EXPECT("jmp 2147483647", "e9 ff ff ff 7f", x64_jmp_rel32(at, INT32_MAX));
	/* ours */ EXPECT("jmp 305419896", "e9 78 56 34 12", x64_jmp_rel32(at, 0x12345678));
	/* ours */ EXPECT("jo -128", "70 80", x64_jcc_rel8(at, X64_O, -128));
	/* ours */ EXPECT("jo 2147483647", "0f 80 ff ff ff 7f", x64_jcc_rel32(at, X64_O, INT32_MAX));
	/* ours */ EXPECT("jno -127", "71 81", x64_jcc_rel8(at, X64_NO, -127));
	/* ours */ EXPECT("jno 2147483646", "0f 81 fe ff ff 7f", x64_jcc_rel32(at, X64_NO, 0x7ffffffe));
	/* ours */ EXPECT("jb -126", "72 82", x64_jcc_rel8(at, X64_B, -126));
	/* ours */ EXPECT("jb 2147483645", "0f 82 fd ff ff 7f", x64_jcc_rel32(at, X64_B, 0x7ffffffd));
	/* ours */ EXPECT("jae -125", "73 83", x64_jcc_rel8(at, X64_AE, -125));
	/* ours */ EXPECT("jae 2147483644", "0f 83 fc ff ff 7f", x64_jcc_rel32(at, X64_AE, 0x7ffffffc));
	/* ours */ EXPECT("je -124", "74 84", x64_jcc_rel8(at, X64_E, -124));
	/* ours */ EXPECT("je 2147483643", "0f 84 fb ff ff 7f", x64_jcc_rel32(at, X64_E, 0x7ffffffb));
	/* ours */ EXPECT("jne -123", "75 85", x64_jcc_rel8(at, X64_NE, -123));
	/* ours */ EXPECT("jne 2147483642", "0f 85 fa ff ff 7f", x64_jcc_rel32(at, X64_NE, 0x7ffffffa));
	/* ours */ EXPECT("jbe -122", "76 86", x64_jcc_rel8(at, X64_BE, -122));
	/* ours */ EXPECT("jbe 2147483641", "0f 86 f9 ff ff 7f", x64_jcc_rel32(at, X64_BE, 0x7ffffff9));
	/* ours */ EXPECT("ja -121", "77 87", x64_jcc_rel8(at, X64_A, -121));
	/* ours */ EXPECT("ja 2147483640", "0f 87 f8 ff ff 7f", x64_jcc_rel32(at, X64_A, 0x7ffffff8));
	/* ours */ EXPECT("js -120", "78 88", x64_jcc_rel8(at, X64_S, -120));
	/* ours */ EXPECT("js 2147483639", "0f 88 f7 ff ff 7f", x64_jcc_rel32(at, X64_S, 0x7ffffff7));
	/* ours */ EXPECT("jns -119", "79 89", x64_jcc_rel8(at, X64_NS, -119));
	/* ours */ EXPECT("jns 2147483638", "0f 89 f6 ff ff 7f", x64_jcc_rel32(at, X64_NS, 0x7ffffff6));
	/* ours */ EXPECT("jp -118", "7a 8a", x64_jcc_rel8(at, X64_P, -118));
	/* ours */ EXPECT("jp 2147483637", "0f 8a f5 ff ff 7f", x64_jcc_rel32(at, X64_P, 0x7ffffff5));
	/* ours */ EXPECT("jnp -117", "7b 8b", x64_jcc_rel8(at, X64_NP, -117));
	/* ours */ EXPECT("jnp 2147483636", "0f 8b f4 ff ff 7f", x64_jcc_rel32(at, X64_NP, 0x7ffffff4));
	/* ours */ EXPECT("jl -116", "7c 8c", x64_jcc_rel8(at, X64_L, -116));
	/* ours */ EXPECT("jl 2147483635", "0f 8c f3 ff ff 7f", x64_jcc_rel32(at, X64_L, 0x7ffffff3));
	/* ours */ EXPECT("jge -115", "7d 8d", x64_jcc_rel8(at, X64_GE, -115));
	/* ours */ EXPECT("jge 2147483634", "0f 8d f2 ff ff 7f", x64_jcc_rel32(at, X64_GE, 0x7ffffff2));
	/* ours */ EXPECT("jle -114", "7e 8e", x64_jcc_rel8(at, X64_LE, -114));
	/* ours */ EXPECT("jle 2147483633", "0f 8e f1 ff ff 7f", x64_jcc_rel32(at, X64_LE, 0x7ffffff1));
	/* ours */ EXPECT("jg -113", "7f 8f", x64_jcc_rel8(at, X64_G, -113));
	/* ours */ EXPECT("jg 2147483632", "0f 8f f0 ff ff 7f", x64_jcc_rel32(at, X64_G, 0x7ffffff0));
	/* ours */ EXPECT("call 0", "e8 00 00 00 00", x64_call_rel32(at, 0));
	/* ours */ EXPECT("call -5", "e8 fb ff ff ff", x64_call_rel32(at, -5));
	/* ours */ EXPECT("call -2147483648", "e8 00 00 00 80", x64_call_rel32(at, INT32_MIN));
	/* ours */ EXPECT("call 2147483647", "e8 ff ff ff 7f", x64_call_rel32(at, INT32_MAX));
	EXPECT("jmp rax", "ff e0", x64_jmp_r(at, X64_RAX));
	EXPECT("call rax", "ff d0", x64_call_r(at, X64_RAX));
	EXPECT("jmp rsp", "ff e4", x64_jmp_r(at, X64_RSP));
	EXPECT("call rsp", "ff d4", x64_call_r(at, X64_RSP));
	EXPECT("jmp rbp", "ff e5", x64_jmp_r(at, X64_RBP));
	EXPECT("call rbp", "ff d5", x64_call_r(at, X64_RBP));
	EXPECT("jmp r8", "41 ff e0", x64_jmp_r(at, X64_R8));
	EXPECT("call r8", "41 ff d0", x64_call_r(at, X64_R8));
	EXPECT("jmp r12", "41 ff e4", x64_jmp_r(at, X64_R12));
	EXPECT("call r12", "41 ff d4", x64_call_r(at, X64_R12));
	EXPECT("jmp r13", "41 ff e5", x64_jmp_r(at, X64_R13));
	EXPECT("call r13", "41 ff d5", x64_call_r(at, X64_R13));
	EXPECT("jmp r15", "41 ff e7", x64_jmp_r(at, X64_R15));
	EXPECT("call r15", "41 ff d7", x64_call_r(at, X64_R15));
	EXPECT("jmp qword ptr [rax + 8*rcx]", "ff 24 c8", x64_jmp_m(at, x64_mem_index(X64_RAX, X64_RCX, 8, 0)));
	EXPECT("call qword ptr [rax + 8*rcx]", "ff 14 c8", x64_call_m(at, x64_mem_index(X64_RAX, X64_RCX, 8, 0)));
	EXPECT("jmp qword ptr [r13 + 8*r12]", "43 ff 64 e5 00", x64_jmp_m(at, x64_mem_index(X64_R13, X64_R12, 8, 0)));
	EXPECT("call qword ptr [r13 + 8*r12]", "43 ff 54 e5 00", x64_call_m(at, x64_mem_index(X64_R13, X64_R12, 8, 0)));
	EXPECT("jmp qword ptr [rsp]", "ff 24 24", x64_jmp_m(at, x64_mem_base(X64_RSP, 0)));
	EXPECT("call qword ptr [rsp]", "ff 14 24", x64_call_m(at, x64_mem_base(X64_RSP, 0)));
	EXPECT("jmp qword ptr [r12 + 8]", "41 ff 64 24 08", x64_jmp_m(at, x64_mem_base(X64_R12, 8)));
	EXPECT("call qword ptr [r12 + 8]", "41 ff 54 24 08", x64_call_m(at, x64_mem_base(X64_R12, 8)));
	EXPECT("jmp qword ptr [rip]", "ff 25 00 00 00 00", x64_jmp_m(at, x64_mem_rip(0)));
	EXPECT("call qword ptr [rip]", "ff 15 00 00 00 00", x64_call_m(at, x64_mem_rip(0)));
	EXPECT("jmp qword ptr [rip - 100]", "ff 25 9c ff ff ff", x64_jmp_m(at, x64_mem_rip(-100)));
	EXPECT("call qword ptr [rip - 100]", "ff 15 9c ff ff ff", x64_call_m(at, x64_mem_rip(-100)));
	EXPECT("jmp qword ptr [ebp + 8*eax]", "67 ff 64 c5 00",
	       x64_jmp_m(at, x64_mem_addr32(x64_mem_index(X64_RBP, X64_RAX, 8, 0))));
	EXPECT("call qword ptr [ebp + 8*eax]", "67 ff 54 c5 00",
	       x64_call_m(at, x64_mem_addr32(x64_mem_index(X64_RBP, X64_RAX, 8, 0))));
	EXPECT("jmp qword ptr [r15 + 8*r9 + 2147483647]", "43 ff a4 cf ff ff ff 7f",
	       x64_jmp_m(at, x64_mem_index(X64_R15, X64_R9, 8, INT32_MAX)));
	EXPECT("call qword ptr [r15 + 8*r9 + 2147483647]", "43 ff 94 cf ff ff ff 7f",
	       x64_call_m(at, x64_mem_index(X64_R15, X64_R9, 8, INT32_MAX)));
	EXPECT("push rax", "50", x64_push(at, X64_RAX));
	EXPECT("pop rax", "58", x64_pop(at, X64_RAX));
	EXPECT("push rcx", "51", x64_push(at, X64_RCX));
	EXPECT("pop rcx", "59", x64_pop(at, X64_RCX));
	EXPECT("push rdx", "52", x64_push(at, X64_RDX));
	EXPECT("pop rdx", "5a", x64_pop(at, X64_RDX));
	EXPECT("push rbx", "53", x64_push(at, X64_RBX));
	EXPECT("pop rbx", "5b", x64_pop(at, X64_RBX));
	EXPECT("push rsp", "54", x64_push(at, X64_RSP));
	EXPECT("pop rsp", "5c", x64_pop(at, X64_RSP));
	EXPECT("push rbp", "55", x64_push(at, X64_RBP));
	EXPECT("pop rbp", "5d", x64_pop(at, X64_RBP));
	EXPECT("push rsi", "56", x64_push(at, X64_RSI));
	EXPECT("pop rsi", "5e", x64_pop(at, X64_RSI));
	EXPECT("push rdi", "57", x64_push(at, X64_RDI));
	EXPECT("pop rdi", "5f", x64_pop(at, X64_RDI));
	EXPECT("push r8", "41 50", x64_push(at, X64_R8));
	EXPECT("pop r8", "41 58", x64_pop(at, X64_R8));
	EXPECT("push r9", "41 51", x64_push(at, X64_R9));
	EXPECT("pop r9", "41 59", x64_pop(at, X64_R9));
	EXPECT("push r10", "41 52", x64_push(at, X64_R10));
	EXPECT("pop r10", "41 5a", x64_pop(at, X64_R10));
	EXPECT("push r11", "41 53", x64_push(at, X64_R11));
	EXPECT("pop r11", "41 5b", x64_pop(at, X64_R11));
	EXPECT("push r12", "41 54", x64_push(at, X64_R12));
	EXPECT("pop r12", "41 5c", x64_pop(at, X64_R12));
	EXPECT("push r13", "41 55", x64_push(at, X64_R13));
	EXPECT("pop r13", "41 5d", x64_pop(at, X64_R13));
	EXPECT("push r14", "41 56", x64_push(at, X64_R14));
	EXPECT("pop r14", "41 5e", x64_pop(at, X64_R14));
	EXPECT("push r15", "41 57", x64_push(at, X64_R15));
	EXPECT("pop r15", "41 5f", x64_pop(at, X64_R15));
	EXPECT("ret", "c3", x64_ret(at));
	EXPECT("ud2", "0f 0b", x64_ud2(at));
}

/* mov r64, r64 for every pair (89 /r: the source is ModRM reg), by destination. */
static const char *const mov_r64_r64[16][16] = {
	{"48 89 c0", "48 89 c8", "48 89 d0", "48 89 d8", "48 89 e0", "48 89 e8", "48 89 f0", "48 89 f8", "4c 89 c0",
	 "4c 89 c8", "4c 89 d0", "4c 89 d8", "4c 89 e0", "4c 89 e8", "4c 89 f0", "4c 89 f8"},
	{"48 89 c1", "48 89 c9", "48 89 d1", "48 89 d9", "48 89 e1", "48 89 e9", "48 89 f1", "48 89 f9", "4c 89 c1",
	 "4c 89 c9", "4c 89 d1", "4c 89 d9", "4c 89 e1", "4c 89 e9", "4c 89 f1", "4c 89 f9"},
	{"48 89 c2", "48 89 ca", "48 89 d2", "48 89 da", "48 89 e2", "48 89 ea", "48 89 f2", "48 89 fa", "4c 89 c2",
	 "4c 89 ca", "4c 89 d2", "4c 89 da", "4c 89 e2", "4c 89 ea", "4c 89 f2", "4c 89 fa"},
	{"48 89 c3", "48 89 cb", "48 89 d3", "48 89 db", "48 89 e3", "48 89 eb", "48 89 f3", "48 89 fb", "4c 89 c3",
	 "4c 89 cb", "4c 89 d3", "4c 89 db", "4c 89 e3", "4c 89 eb", "4c 89 f3", "4c 89 fb"},
	{"48 89 c4", "48 89 cc", "48 89 d4", "48 89 dc", "48 89 e4", "48 89 ec", "48 89 f4", "48 89 fc", "4c 89 c4",
	 "4c 89 cc", "4c 89 d4", "4c 89 dc", "4c 89 e4", "4c 89 ec", "4c 89 f4", "4c 89 fc"},
	{"48 89 c5", "48 89 cd", "48 89 d5", "48 89 dd", "48 89 e5", "48 89 ed", "48 89 f5", "48 89 fd", "4c 89 c5",
	 "4c 89 cd", "4c 89 d5", "4c 89 dd", "4c 89 e5", "4c 89 ed", "4c 89 f5", "4c 89 fd"},
	{"48 89 c6", "48 89 ce", "48 89 d6", "48 89 de", "48 89 e6", "48 89 ee", "48 89 f6", "48 89 fe", "4c 89 c6",
	 "4c 89 ce", "4c 89 d6", "4c 89 de", "4c 89 e6", "4c 89 ee", "4c 89 f6", "4c 89 fe"},
	{"48 89 c7", "48 89 cf", "48 89 d7", "48 89 df", "48 89 e7", "48 89 ef", "48 89 f7", "48 89 ff", "4c 89 c7",
	 "4c 89 cf", "4c 89 d7", "4c 89 df", "4c 89 e7", "4c 89 ef", "4c 89 f7", "4c 89 ff"},
	{"49 89 c0", "49 89 c8", "49 89 d0", "49 89 d8", "49 89 e0", "49 89 e8", "49 89 f0", "49 89 f8", "4d 89 c0",
	 "4d 89 c8", "4d 89 d0", "4d 89 d8", "4d 89 e0", "4d 89 e8", "4d 89 f0", "4d 89 f8"},
	{"49 89 c1", "49 89 c9", "49 89 d1", "49 89 d9", "49 89 e1", "49 89 e9", "49 89 f1", "49 89 f9", "4d 89 c1",
	 "4d 89 c9", "4d 89 d1", "4d 89 d9", "4d 89 e1", "4d 89 e9", "4d 89 f1", "4d 89 f9"},
	{"49 89 c2", "49 89 ca", "49 89 d2", "49 89 da", "49 89 e2", "49 89 ea", "49 89 f2", "49 89 fa", "4d 89 c2",
	 "4d 89 ca", "4d 89 d2", "4d 89 da", "4d 89 e2", "4d 89 ea", "4d 89 f2", "4d 89 fa"},
	{"49 89 c3", "49 89 cb", "49 89 d3", "49 89 db", "49 89 e3", "49 89 eb", "49 89 f3", "49 89 fb", "4d 89 c3",
	 "4d 89 cb", "4d 89 d3", "4d 89 db", "4d 89 e3", "4d 89 eb", "4d 89 f3", "4d 89 fb"},
	{"49 89 c4", "49 89 cc", "49 89 d4", "49 89 dc", "49 89 e4", "49 89 ec", "49 89 f4", "49 89 fc", "4d 89 c4",
	 "4d 89 cc", "4d 89 d4", "4d 89 dc", "4d 89 e4", "4d 89 ec", "4d 89 f4", "4d 89 fc"},
	{"49 89 c5", "49 89 cd", "49 89 d5", "49 89 dd", "49 89 e5", "49 89 ed", "49 89 f5", "49 89 fd", "4d 89 c5",
	 "4d 89 cd", "4d 89 d5", "4d 89 dd", "4d 89 e5", "4d 89 ed", "4d 89 f5", "4d 89 fd"},
	{"49 89 c6", "49 89 ce", "49 89 d6", "49 89 de", "49 89 e6", "49 89 ee", "49 89 f6", "49 89 fe", "4d 89 c6",
	 "4d 89 ce", "4d 89 d6", "4d 89 de", "4d 89 e6", "4d 89 ee", "4d 89 f6", "4d 89 fe"},
	{"49 89 c7", "49 89 cf", "49 89 d7", "49 89 df", "49 89 e7", "49 89 ef", "49 89 f7", "49 89 ff", "4d 89 c7",
	 "4d 89 cf", "4d 89 d7", "4d 89 df", "4d 89 e7", "4d 89 ef", "4d 89 f7", "4d 89 ff"},
};

Test(x64_emit, mov_every_register_pair)
{
	for (unsigned d = 0; d < 16; d++) {
		for (unsigned s = 0; s < 16; s++) {
			char assembly[32];
			snprintf(assembly, sizeof assembly, "mov %s, %s", reg64[d], reg64[s]);
			uint8_t *at = fresh();
			expect(assembly, mov_r64_r64[d][s], x64_mov_rr(at, X64_W64, d, s));
		}
	}
}

/* add r32, r32 for every pair: REX only for r8-r15. */
static const char *const add_r32_r32[16][16] = {
	{"01 c0", "01 c8", "01 d0", "01 d8", "01 e0", "01 e8", "01 f0", "01 f8", "44 01 c0", "44 01 c8", "44 01 d0",
	 "44 01 d8", "44 01 e0", "44 01 e8", "44 01 f0", "44 01 f8"},
	{"01 c1", "01 c9", "01 d1", "01 d9", "01 e1", "01 e9", "01 f1", "01 f9", "44 01 c1", "44 01 c9", "44 01 d1",
	 "44 01 d9", "44 01 e1", "44 01 e9", "44 01 f1", "44 01 f9"},
	{"01 c2", "01 ca", "01 d2", "01 da", "01 e2", "01 ea", "01 f2", "01 fa", "44 01 c2", "44 01 ca", "44 01 d2",
	 "44 01 da", "44 01 e2", "44 01 ea", "44 01 f2", "44 01 fa"},
	{"01 c3", "01 cb", "01 d3", "01 db", "01 e3", "01 eb", "01 f3", "01 fb", "44 01 c3", "44 01 cb", "44 01 d3",
	 "44 01 db", "44 01 e3", "44 01 eb", "44 01 f3", "44 01 fb"},
	{"01 c4", "01 cc", "01 d4", "01 dc", "01 e4", "01 ec", "01 f4", "01 fc", "44 01 c4", "44 01 cc", "44 01 d4",
	 "44 01 dc", "44 01 e4", "44 01 ec", "44 01 f4", "44 01 fc"},
	{"01 c5", "01 cd", "01 d5", "01 dd", "01 e5", "01 ed", "01 f5", "01 fd", "44 01 c5", "44 01 cd", "44 01 d5",
	 "44 01 dd", "44 01 e5", "44 01 ed", "44 01 f5", "44 01 fd"},
	{"01 c6", "01 ce", "01 d6", "01 de", "01 e6", "01 ee", "01 f6", "01 fe", "44 01 c6", "44 01 ce", "44 01 d6",
	 "44 01 de", "44 01 e6", "44 01 ee", "44 01 f6", "44 01 fe"},
	{"01 c7", "01 cf", "01 d7", "01 df", "01 e7", "01 ef", "01 f7", "01 ff", "44 01 c7", "44 01 cf", "44 01 d7",
	 "44 01 df", "44 01 e7", "44 01 ef", "44 01 f7", "44 01 ff"},
	{"41 01 c0", "41 01 c8", "41 01 d0", "41 01 d8", "41 01 e0", "41 01 e8", "41 01 f0", "41 01 f8", "45 01 c0",
	 "45 01 c8", "45 01 d0", "45 01 d8", "45 01 e0", "45 01 e8", "45 01 f0", "45 01 f8"},
	{"41 01 c1", "41 01 c9", "41 01 d1", "41 01 d9", "41 01 e1", "41 01 e9", "41 01 f1", "41 01 f9", "45 01 c1",
	 "45 01 c9", "45 01 d1", "45 01 d9", "45 01 e1", "45 01 e9", "45 01 f1", "45 01 f9"},
	{"41 01 c2", "41 01 ca", "41 01 d2", "41 01 da", "41 01 e2", "41 01 ea", "41 01 f2", "41 01 fa", "45 01 c2",
	 "45 01 ca", "45 01 d2", "45 01 da", "45 01 e2", "45 01 ea", "45 01 f2", "45 01 fa"},
	{"41 01 c3", "41 01 cb", "41 01 d3", "41 01 db", "41 01 e3", "41 01 eb", "41 01 f3", "41 01 fb", "45 01 c3",
	 "45 01 cb", "45 01 d3", "45 01 db", "45 01 e3", "45 01 eb", "45 01 f3", "45 01 fb"},
	{"41 01 c4", "41 01 cc", "41 01 d4", "41 01 dc", "41 01 e4", "41 01 ec", "41 01 f4", "41 01 fc", "45 01 c4",
	 "45 01 cc", "45 01 d4", "45 01 dc", "45 01 e4", "45 01 ec", "45 01 f4", "45 01 fc"},
	{"41 01 c5", "41 01 cd", "41 01 d5", "41 01 dd", "41 01 e5", "41 01 ed", "41 01 f5", "41 01 fd", "45 01 c5",
	 "45 01 cd", "45 01 d5", "45 01 dd", "45 01 e5", "45 01 ed", "45 01 f5", "45 01 fd"},
	{"41 01 c6", "41 01 ce", "41 01 d6", "41 01 de", "41 01 e6", "41 01 ee", "41 01 f6", "41 01 fe", "45 01 c6",
	 "45 01 ce", "45 01 d6", "45 01 de", "45 01 e6", "45 01 ee", "45 01 f6", "45 01 fe"},
	{"41 01 c7", "41 01 cf", "41 01 d7", "41 01 df", "41 01 e7", "41 01 ef", "41 01 f7", "41 01 ff", "45 01 c7",
	 "45 01 cf", "45 01 d7", "45 01 df", "45 01 e7", "45 01 ef", "45 01 f7", "45 01 ff"},
};

Test(x64_emit, add32_every_register_pair)
{
	for (unsigned d = 0; d < 16; d++) {
		for (unsigned s = 0; s < 16; s++) {
			char assembly[32];
			snprintf(assembly, sizeof assembly, "add %s, %s", reg32[d], reg32[s]);
			uint8_t *at = fresh();
			expect(assembly, add_r32_r32[d][s], x64_alu_rr(at, X64_ADD, X64_W32, d, s));
		}
	}
}

/* mov r8, r8 for every pair: spl, bpl, sil and dil need a REX prefix, if only 40. */
static const char *const mov_r8_r8[16][16] = {
	{"88 c0", "88 c8", "88 d0", "88 d8", "40 88 e0", "40 88 e8", "40 88 f0", "40 88 f8", "44 88 c0", "44 88 c8",
	 "44 88 d0", "44 88 d8", "44 88 e0", "44 88 e8", "44 88 f0", "44 88 f8"},
	{"88 c1", "88 c9", "88 d1", "88 d9", "40 88 e1", "40 88 e9", "40 88 f1", "40 88 f9", "44 88 c1", "44 88 c9",
	 "44 88 d1", "44 88 d9", "44 88 e1", "44 88 e9", "44 88 f1", "44 88 f9"},
	{"88 c2", "88 ca", "88 d2", "88 da", "40 88 e2", "40 88 ea", "40 88 f2", "40 88 fa", "44 88 c2", "44 88 ca",
	 "44 88 d2", "44 88 da", "44 88 e2", "44 88 ea", "44 88 f2", "44 88 fa"},
	{"88 c3", "88 cb", "88 d3", "88 db", "40 88 e3", "40 88 eb", "40 88 f3", "40 88 fb", "44 88 c3", "44 88 cb",
	 "44 88 d3", "44 88 db", "44 88 e3", "44 88 eb", "44 88 f3", "44 88 fb"},
	{"40 88 c4", "40 88 cc", "40 88 d4", "40 88 dc", "40 88 e4", "40 88 ec", "40 88 f4", "40 88 fc", "44 88 c4",
	 "44 88 cc", "44 88 d4", "44 88 dc", "44 88 e4", "44 88 ec", "44 88 f4", "44 88 fc"},
	{"40 88 c5", "40 88 cd", "40 88 d5", "40 88 dd", "40 88 e5", "40 88 ed", "40 88 f5", "40 88 fd", "44 88 c5",
	 "44 88 cd", "44 88 d5", "44 88 dd", "44 88 e5", "44 88 ed", "44 88 f5", "44 88 fd"},
	{"40 88 c6", "40 88 ce", "40 88 d6", "40 88 de", "40 88 e6", "40 88 ee", "40 88 f6", "40 88 fe", "44 88 c6",
	 "44 88 ce", "44 88 d6", "44 88 de", "44 88 e6", "44 88 ee", "44 88 f6", "44 88 fe"},
	{"40 88 c7", "40 88 cf", "40 88 d7", "40 88 df", "40 88 e7", "40 88 ef", "40 88 f7", "40 88 ff", "44 88 c7",
	 "44 88 cf", "44 88 d7", "44 88 df", "44 88 e7", "44 88 ef", "44 88 f7", "44 88 ff"},
	{"41 88 c0", "41 88 c8", "41 88 d0", "41 88 d8", "41 88 e0", "41 88 e8", "41 88 f0", "41 88 f8", "45 88 c0",
	 "45 88 c8", "45 88 d0", "45 88 d8", "45 88 e0", "45 88 e8", "45 88 f0", "45 88 f8"},
	{"41 88 c1", "41 88 c9", "41 88 d1", "41 88 d9", "41 88 e1", "41 88 e9", "41 88 f1", "41 88 f9", "45 88 c1",
	 "45 88 c9", "45 88 d1", "45 88 d9", "45 88 e1", "45 88 e9", "45 88 f1", "45 88 f9"},
	{"41 88 c2", "41 88 ca", "41 88 d2", "41 88 da", "41 88 e2", "41 88 ea", "41 88 f2", "41 88 fa", "45 88 c2",
	 "45 88 ca", "45 88 d2", "45 88 da", "45 88 e2", "45 88 ea", "45 88 f2", "45 88 fa"},
	{"41 88 c3", "41 88 cb", "41 88 d3", "41 88 db", "41 88 e3", "41 88 eb", "41 88 f3", "41 88 fb", "45 88 c3",
	 "45 88 cb", "45 88 d3", "45 88 db", "45 88 e3", "45 88 eb", "45 88 f3", "45 88 fb"},
	{"41 88 c4", "41 88 cc", "41 88 d4", "41 88 dc", "41 88 e4", "41 88 ec", "41 88 f4", "41 88 fc", "45 88 c4",
	 "45 88 cc", "45 88 d4", "45 88 dc", "45 88 e4", "45 88 ec", "45 88 f4", "45 88 fc"},
	{"41 88 c5", "41 88 cd", "41 88 d5", "41 88 dd", "41 88 e5", "41 88 ed", "41 88 f5", "41 88 fd", "45 88 c5",
	 "45 88 cd", "45 88 d5", "45 88 dd", "45 88 e5", "45 88 ed", "45 88 f5", "45 88 fd"},
	{"41 88 c6", "41 88 ce", "41 88 d6", "41 88 de", "41 88 e6", "41 88 ee", "41 88 f6", "41 88 fe", "45 88 c6",
	 "45 88 ce", "45 88 d6", "45 88 de", "45 88 e6", "45 88 ee", "45 88 f6", "45 88 fe"},
	{"41 88 c7", "41 88 cf", "41 88 d7", "41 88 df", "41 88 e7", "41 88 ef", "41 88 f7", "41 88 ff", "45 88 c7",
	 "45 88 cf", "45 88 d7", "45 88 df", "45 88 e7", "45 88 ef", "45 88 f7", "45 88 ff"},
};

Test(x64_emit, mov8_every_register_pair)
{
	for (unsigned d = 0; d < 16; d++) {
		for (unsigned s = 0; s < 16; s++) {
			char assembly[32];
			snprintf(assembly, sizeof assembly, "mov %s, %s", reg8[d], reg8[s]);
			uint8_t *at = fresh();
			expect(assembly, mov_r8_r8[d][s], x64_mov_rr(at, X64_W8, d, s));
		}
	}
}

/* mov r9, [base + disp] for every base and the edges of each displacement size. */
static const struct row base_disp[] = {
	{"mov r9, qword ptr [rax]", "4c 8b 08"},
	{"mov r9, qword ptr [rax + 127]", "4c 8b 48 7f"},
	{"mov r9, qword ptr [rax - 128]", "4c 8b 48 80"},
	{"mov r9, qword ptr [rax + 128]", "4c 8b 88 80 00 00 00"},
	{"mov r9, qword ptr [rax - 129]", "4c 8b 88 7f ff ff ff"},
	{"mov r9, qword ptr [rax - 2147483648]", "4c 8b 88 00 00 00 80"},
	{"mov r9, qword ptr [rax + 2147483647]", "4c 8b 88 ff ff ff 7f"},
	{"mov r9, qword ptr [rcx]", "4c 8b 09"},
	{"mov r9, qword ptr [rcx + 127]", "4c 8b 49 7f"},
	{"mov r9, qword ptr [rcx - 128]", "4c 8b 49 80"},
	{"mov r9, qword ptr [rcx + 128]", "4c 8b 89 80 00 00 00"},
	{"mov r9, qword ptr [rcx - 129]", "4c 8b 89 7f ff ff ff"},
	{"mov r9, qword ptr [rcx - 2147483648]", "4c 8b 89 00 00 00 80"},
	{"mov r9, qword ptr [rcx + 2147483647]", "4c 8b 89 ff ff ff 7f"},
	{"mov r9, qword ptr [rdx]", "4c 8b 0a"},
	{"mov r9, qword ptr [rdx + 127]", "4c 8b 4a 7f"},
	{"mov r9, qword ptr [rdx - 128]", "4c 8b 4a 80"},
	{"mov r9, qword ptr [rdx + 128]", "4c 8b 8a 80 00 00 00"},
	{"mov r9, qword ptr [rdx - 129]", "4c 8b 8a 7f ff ff ff"},
	{"mov r9, qword ptr [rdx - 2147483648]", "4c 8b 8a 00 00 00 80"},
	{"mov r9, qword ptr [rdx + 2147483647]", "4c 8b 8a ff ff ff 7f"},
	{"mov r9, qword ptr [rbx]", "4c 8b 0b"},
	{"mov r9, qword ptr [rbx + 127]", "4c 8b 4b 7f"},
	{"mov r9, qword ptr [rbx - 128]", "4c 8b 4b 80"},
	{"mov r9, qword ptr [rbx + 128]", "4c 8b 8b 80 00 00 00"},
	{"mov r9, qword ptr [rbx - 129]", "4c 8b 8b 7f ff ff ff"},
	{"mov r9, qword ptr [rbx - 2147483648]", "4c 8b 8b 00 00 00 80"},
	{"mov r9, qword ptr [rbx + 2147483647]", "4c 8b 8b ff ff ff 7f"},
	{"mov r9, qword ptr [rsp]", "4c 8b 0c 24"},
	{"mov r9, qword ptr [rsp + 127]", "4c 8b 4c 24 7f"},
	{"mov r9, qword ptr [rsp - 128]", "4c 8b 4c 24 80"},
	{"mov r9, qword ptr [rsp + 128]", "4c 8b 8c 24 80 00 00 00"},
	{"mov r9, qword ptr [rsp - 129]", "4c 8b 8c 24 7f ff ff ff"},
	{"mov r9, qword ptr [rsp - 2147483648]", "4c 8b 8c 24 00 00 00 80"},
	{"mov r9, qword ptr [rsp + 2147483647]", "4c 8b 8c 24 ff ff ff 7f"},
	{"mov r9, qword ptr [rbp]", "4c 8b 4d 00"},
	{"mov r9, qword ptr [rbp + 127]", "4c 8b 4d 7f"},
	{"mov r9, qword ptr [rbp - 128]", "4c 8b 4d 80"},
	{"mov r9, qword ptr [rbp + 128]", "4c 8b 8d 80 00 00 00"},
	{"mov r9, qword ptr [rbp - 129]", "4c 8b 8d 7f ff ff ff"},
	{"mov r9, qword ptr [rbp - 2147483648]", "4c 8b 8d 00 00 00 80"},
	{"mov r9, qword ptr [rbp + 2147483647]", "4c 8b 8d ff ff ff 7f"},
	{"mov r9, qword ptr [rsi]", "4c 8b 0e"},
	{"mov r9, qword ptr [rsi + 127]", "4c 8b 4e 7f"},
	{"mov r9, qword ptr [rsi - 128]", "4c 8b 4e 80"},
	{"mov r9, qword ptr [rsi + 128]", "4c 8b 8e 80 00 00 00"},
	{"mov r9, qword ptr [rsi - 129]", "4c 8b 8e 7f ff ff ff"},
	{"mov r9, qword ptr [rsi - 2147483648]", "4c 8b 8e 00 00 00 80"},
	{"mov r9, qword ptr [rsi + 2147483647]", "4c 8b 8e ff ff ff 7f"},
	{"mov r9, qword ptr [rdi]", "4c 8b 0f"},
	{"mov r9, qword ptr [rdi + 127]", "4c 8b 4f 7f"},
	{"mov r9, qword ptr [rdi - 128]", "4c 8b 4f 80"},
	{"mov r9, qword ptr [rdi + 128]", "4c 8b 8f 80 00 00 00"},
	{"mov r9, qword ptr [rdi - 129]", "4c 8b 8f 7f ff ff ff"},
	{"mov r9, qword ptr [rdi - 2147483648]", "4c 8b 8f 00 00 00 80"},
	{"mov r9, qword ptr [rdi + 2147483647]", "4c 8b 8f ff ff ff 7f"},
	{"mov r9, qword ptr [r8]", "4d 8b 08"},
	{"mov r9, qword ptr [r8 + 127]", "4d 8b 48 7f"},
	{"mov r9, qword ptr [r8 - 128]", "4d 8b 48 80"},
	{"mov r9, qword ptr [r8 + 128]", "4d 8b 88 80 00 00 00"},
	{"mov r9, qword ptr [r8 - 129]", "4d 8b 88 7f ff ff ff"},
	{"mov r9, qword ptr [r8 - 2147483648]", "4d 8b 88 00 00 00 80"},
	{"mov r9, qword ptr [r8 + 2147483647]", "4d 8b 88 ff ff ff 7f"},
	{"mov r9, qword ptr [r9]", "4d 8b 09"},
	{"mov r9, qword ptr [r9 + 127]", "4d 8b 49 7f"},
	{"mov r9, qword ptr [r9 - 128]", "4d 8b 49 80"},
	{"mov r9, qword ptr [r9 + 128]", "4d 8b 89 80 00 00 00"},
	{"mov r9, qword ptr [r9 - 129]", "4d 8b 89 7f ff ff ff"},
	{"mov r9, qword ptr [r9 - 2147483648]", "4d 8b 89 00 00 00 80"},
	{"mov r9, qword ptr [r9 + 2147483647]", "4d 8b 89 ff ff ff 7f"},
	{"mov r9, qword ptr [r10]", "4d 8b 0a"},
	{"mov r9, qword ptr [r10 + 127]", "4d 8b 4a 7f"},
	{"mov r9, qword ptr [r10 - 128]", "4d 8b 4a 80"},
	{"mov r9, qword ptr [r10 + 128]", "4d 8b 8a 80 00 00 00"},
	{"mov r9, qword ptr [r10 - 129]", "4d 8b 8a 7f ff ff ff"},
	{"mov r9, qword ptr [r10 - 2147483648]", "4d 8b 8a 00 00 00 80"},
	{"mov r9, qword ptr [r10 + 2147483647]", "4d 8b 8a ff ff ff 7f"},
	{"mov r9, qword ptr [r11]", "4d 8b 0b"},
	{"mov r9, qword ptr [r11 + 127]", "4d 8b 4b 7f"},
	{"mov r9, qword ptr [r11 - 128]", "4d 8b 4b 80"},
	{"mov r9, qword ptr [r11 + 128]", "4d 8b 8b 80 00 00 00"},
	{"mov r9, qword ptr [r11 - 129]", "4d 8b 8b 7f ff ff ff"},
	{"mov r9, qword ptr [r11 - 2147483648]", "4d 8b 8b 00 00 00 80"},
	{"mov r9, qword ptr [r11 + 2147483647]", "4d 8b 8b ff ff ff 7f"},
	{"mov r9, qword ptr [r12]", "4d 8b 0c 24"},
	{"mov r9, qword ptr [r12 + 127]", "4d 8b 4c 24 7f"},
	{"mov r9, qword ptr [r12 - 128]", "4d 8b 4c 24 80"},
	{"mov r9, qword ptr [r12 + 128]", "4d 8b 8c 24 80 00 00 00"},
	{"mov r9, qword ptr [r12 - 129]", "4d 8b 8c 24 7f ff ff ff"},
	{"mov r9, qword ptr [r12 - 2147483648]", "4d 8b 8c 24 00 00 00 80"},
	{"mov r9, qword ptr [r12 + 2147483647]", "4d 8b 8c 24 ff ff ff 7f"},
	{"mov r9, qword ptr [r13]", "4d 8b 4d 00"},
	{"mov r9, qword ptr [r13 + 127]", "4d 8b 4d 7f"},
	{"mov r9, qword ptr [r13 - 128]", "4d 8b 4d 80"},
	{"mov r9, qword ptr [r13 + 128]", "4d 8b 8d 80 00 00 00"},
	{"mov r9, qword ptr [r13 - 129]", "4d 8b 8d 7f ff ff ff"},
	{"mov r9, qword ptr [r13 - 2147483648]", "4d 8b 8d 00 00 00 80"},
	{"mov r9, qword ptr [r13 + 2147483647]", "4d 8b 8d ff ff ff 7f"},
	{"mov r9, qword ptr [r14]", "4d 8b 0e"},
	{"mov r9, qword ptr [r14 + 127]", "4d 8b 4e 7f"},
	{"mov r9, qword ptr [r14 - 128]", "4d 8b 4e 80"},
	{"mov r9, qword ptr [r14 + 128]", "4d 8b 8e 80 00 00 00"},
	{"mov r9, qword ptr [r14 - 129]", "4d 8b 8e 7f ff ff ff"},
	{"mov r9, qword ptr [r14 - 2147483648]", "4d 8b 8e 00 00 00 80"},
	{"mov r9, qword ptr [r14 + 2147483647]", "4d 8b 8e ff ff ff 7f"},
	{"mov r9, qword ptr [r15]", "4d 8b 0f"},
	{"mov r9, qword ptr [r15 + 127]", "4d 8b 4f 7f"},
	{"mov r9, qword ptr [r15 - 128]", "4d 8b 4f 80"},
	{"mov r9, qword ptr [r15 + 128]", "4d 8b 8f 80 00 00 00"},
	{"mov r9, qword ptr [r15 - 129]", "4d 8b 8f 7f ff ff ff"},
	{"mov r9, qword ptr [r15 - 2147483648]", "4d 8b 8f 00 00 00 80"},
	{"mov r9, qword ptr [r15 + 2147483647]", "4d 8b 8f ff ff ff 7f"},
};

/* The same through 32-bit addresses: mov eax, [ebase + disp]. */
static const struct row base_disp_addr32[] = {
	{"mov eax, dword ptr [eax]", "67 8b 00"},
	{"mov eax, dword ptr [eax - 128]", "67 8b 40 80"},
	{"mov eax, dword ptr [eax + 128]", "67 8b 80 80 00 00 00"},
	{"mov eax, dword ptr [ecx]", "67 8b 01"},
	{"mov eax, dword ptr [ecx - 128]", "67 8b 41 80"},
	{"mov eax, dword ptr [ecx + 128]", "67 8b 81 80 00 00 00"},
	{"mov eax, dword ptr [edx]", "67 8b 02"},
	{"mov eax, dword ptr [edx - 128]", "67 8b 42 80"},
	{"mov eax, dword ptr [edx + 128]", "67 8b 82 80 00 00 00"},
	{"mov eax, dword ptr [ebx]", "67 8b 03"},
	{"mov eax, dword ptr [ebx - 128]", "67 8b 43 80"},
	{"mov eax, dword ptr [ebx + 128]", "67 8b 83 80 00 00 00"},
	{"mov eax, dword ptr [esp]", "67 8b 04 24"},
	{"mov eax, dword ptr [esp - 128]", "67 8b 44 24 80"},
	{"mov eax, dword ptr [esp + 128]", "67 8b 84 24 80 00 00 00"},
	{"mov eax, dword ptr [ebp]", "67 8b 45 00"},
	{"mov eax, dword ptr [ebp - 128]", "67 8b 45 80"},
	{"mov eax, dword ptr [ebp + 128]", "67 8b 85 80 00 00 00"},
	{"mov eax, dword ptr [esi]", "67 8b 06"},
	{"mov eax, dword ptr [esi - 128]", "67 8b 46 80"},
	{"mov eax, dword ptr [esi + 128]", "67 8b 86 80 00 00 00"},
	{"mov eax, dword ptr [edi]", "67 8b 07"},
	{"mov eax, dword ptr [edi - 128]", "67 8b 47 80"},
	{"mov eax, dword ptr [edi + 128]", "67 8b 87 80 00 00 00"},
	{"mov eax, dword ptr [r8d]", "67 41 8b 00"},
	{"mov eax, dword ptr [r8d - 128]", "67 41 8b 40 80"},
	{"mov eax, dword ptr [r8d + 128]", "67 41 8b 80 80 00 00 00"},
	{"mov eax, dword ptr [r9d]", "67 41 8b 01"},
	{"mov eax, dword ptr [r9d - 128]", "67 41 8b 41 80"},
	{"mov eax, dword ptr [r9d + 128]", "67 41 8b 81 80 00 00 00"},
	{"mov eax, dword ptr [r10d]", "67 41 8b 02"},
	{"mov eax, dword ptr [r10d - 128]", "67 41 8b 42 80"},
	{"mov eax, dword ptr [r10d + 128]", "67 41 8b 82 80 00 00 00"},
	{"mov eax, dword ptr [r11d]", "67 41 8b 03"},
	{"mov eax, dword ptr [r11d - 128]", "67 41 8b 43 80"},
	{"mov eax, dword ptr [r11d + 128]", "67 41 8b 83 80 00 00 00"},
	{"mov eax, dword ptr [r12d]", "67 41 8b 04 24"},
	{"mov eax, dword ptr [r12d - 128]", "67 41 8b 44 24 80"},
	{"mov eax, dword ptr [r12d + 128]", "67 41 8b 84 24 80 00 00 00"},
	{"mov eax, dword ptr [r13d]", "67 41 8b 45 00"},
	{"mov eax, dword ptr [r13d - 128]", "67 41 8b 45 80"},
	{"mov eax, dword ptr [r13d + 128]", "67 41 8b 85 80 00 00 00"},
	{"mov eax, dword ptr [r14d]", "67 41 8b 06"},
	{"mov eax, dword ptr [r14d - 128]", "67 41 8b 46 80"},
	{"mov eax, dword ptr [r14d + 128]", "67 41 8b 86 80 00 00 00"},
	{"mov eax, dword ptr [r15d]", "67 41 8b 07"},
	{"mov eax, dword ptr [r15d - 128]", "67 41 8b 47 80"},
	{"mov eax, dword ptr [r15d + 128]", "67 41 8b 87 80 00 00 00"},
};

/* mov rdx, [base + 8*index] for the bases that are special to ModRM, and every index. */
static const struct row base_index[] = {
	{"mov rdx, qword ptr [rax + 8*rax]", "48 8b 14 c0"},    {"mov rdx, qword ptr [rax + 8*rcx]", "48 8b 14 c8"},
	{"mov rdx, qword ptr [rax + 8*rdx]", "48 8b 14 d0"},    {"mov rdx, qword ptr [rax + 8*rbx]", "48 8b 14 d8"},
	{"mov rdx, qword ptr [rax + 8*rbp]", "48 8b 14 e8"},    {"mov rdx, qword ptr [rax + 8*rsi]", "48 8b 14 f0"},
	{"mov rdx, qword ptr [rax + 8*rdi]", "48 8b 14 f8"},    {"mov rdx, qword ptr [rax + 8*r8]", "4a 8b 14 c0"},
	{"mov rdx, qword ptr [rax + 8*r9]", "4a 8b 14 c8"},     {"mov rdx, qword ptr [rax + 8*r10]", "4a 8b 14 d0"},
	{"mov rdx, qword ptr [rax + 8*r11]", "4a 8b 14 d8"},    {"mov rdx, qword ptr [rax + 8*r12]", "4a 8b 14 e0"},
	{"mov rdx, qword ptr [rax + 8*r13]", "4a 8b 14 e8"},    {"mov rdx, qword ptr [rax + 8*r14]", "4a 8b 14 f0"},
	{"mov rdx, qword ptr [rax + 8*r15]", "4a 8b 14 f8"},    {"mov rdx, qword ptr [rsp + 8*rax]", "48 8b 14 c4"},
	{"mov rdx, qword ptr [rsp + 8*rcx]", "48 8b 14 cc"},    {"mov rdx, qword ptr [rsp + 8*rdx]", "48 8b 14 d4"},
	{"mov rdx, qword ptr [rsp + 8*rbx]", "48 8b 14 dc"},    {"mov rdx, qword ptr [rsp + 8*rbp]", "48 8b 14 ec"},
	{"mov rdx, qword ptr [rsp + 8*rsi]", "48 8b 14 f4"},    {"mov rdx, qword ptr [rsp + 8*rdi]", "48 8b 14 fc"},
	{"mov rdx, qword ptr [rsp + 8*r8]", "4a 8b 14 c4"},     {"mov rdx, qword ptr [rsp + 8*r9]", "4a 8b 14 cc"},
	{"mov rdx, qword ptr [rsp + 8*r10]", "4a 8b 14 d4"},    {"mov rdx, qword ptr [rsp + 8*r11]", "4a 8b 14 dc"},
	{"mov rdx, qword ptr [rsp + 8*r12]", "4a 8b 14 e4"},    {"mov rdx, qword ptr [rsp + 8*r13]", "4a 8b 14 ec"},
	{"mov rdx, qword ptr [rsp + 8*r14]", "4a 8b 14 f4"},    {"mov rdx, qword ptr [rsp + 8*r15]", "4a 8b 14 fc"},
	{"mov rdx, qword ptr [rbp + 8*rax]", "48 8b 54 c5 00"}, {"mov rdx, qword ptr [rbp + 8*rcx]", "48 8b 54 cd 00"},
	{"mov rdx, qword ptr [rbp + 8*rdx]", "48 8b 54 d5 00"}, {"mov rdx, qword ptr [rbp + 8*rbx]", "48 8b 54 dd 00"},
	{"mov rdx, qword ptr [rbp + 8*rbp]", "48 8b 54 ed 00"}, {"mov rdx, qword ptr [rbp + 8*rsi]", "48 8b 54 f5 00"},
	{"mov rdx, qword ptr [rbp + 8*rdi]", "48 8b 54 fd 00"}, {"mov rdx, qword ptr [rbp + 8*r8]", "4a 8b 54 c5 00"},
	{"mov rdx, qword ptr [rbp + 8*r9]", "4a 8b 54 cd 00"},  {"mov rdx, qword ptr [rbp + 8*r10]", "4a 8b 54 d5 00"},
	{"mov rdx, qword ptr [rbp + 8*r11]", "4a 8b 54 dd 00"}, {"mov rdx, qword ptr [rbp + 8*r12]", "4a 8b 54 e5 00"},
	{"mov rdx, qword ptr [rbp + 8*r13]", "4a 8b 54 ed 00"}, {"mov rdx, qword ptr [rbp + 8*r14]", "4a 8b 54 f5 00"},
	{"mov rdx, qword ptr [rbp + 8*r15]", "4a 8b 54 fd 00"}, {"mov rdx, qword ptr [r12 + 8*rax]", "49 8b 14 c4"},
	{"mov rdx, qword ptr [r12 + 8*rcx]", "49 8b 14 cc"},    {"mov rdx, qword ptr [r12 + 8*rdx]", "49 8b 14 d4"},
	{"mov rdx, qword ptr [r12 + 8*rbx]", "49 8b 14 dc"},    {"mov rdx, qword ptr [r12 + 8*rbp]", "49 8b 14 ec"},
	{"mov rdx, qword ptr [r12 + 8*rsi]", "49 8b 14 f4"},    {"mov rdx, qword ptr [r12 + 8*rdi]", "49 8b 14 fc"},
	{"mov rdx, qword ptr [r12 + 8*r8]", "4b 8b 14 c4"},     {"mov rdx, qword ptr [r12 + 8*r9]", "4b 8b 14 cc"},
	{"mov rdx, qword ptr [r12 + 8*r10]", "4b 8b 14 d4"},    {"mov rdx, qword ptr [r12 + 8*r11]", "4b 8b 14 dc"},
	{"mov rdx, qword ptr [r12 + 8*r12]", "4b 8b 14 e4"},    {"mov rdx, qword ptr [r12 + 8*r13]", "4b 8b 14 ec"},
	{"mov rdx, qword ptr [r12 + 8*r14]", "4b 8b 14 f4"},    {"mov rdx, qword ptr [r12 + 8*r15]", "4b 8b 14 fc"},
	{"mov rdx, qword ptr [r13 + 8*rax]", "49 8b 54 c5 00"}, {"mov rdx, qword ptr [r13 + 8*rcx]", "49 8b 54 cd 00"},
	{"mov rdx, qword ptr [r13 + 8*rdx]", "49 8b 54 d5 00"}, {"mov rdx, qword ptr [r13 + 8*rbx]", "49 8b 54 dd 00"},
	{"mov rdx, qword ptr [r13 + 8*rbp]", "49 8b 54 ed 00"}, {"mov rdx, qword ptr [r13 + 8*rsi]", "49 8b 54 f5 00"},
	{"mov rdx, qword ptr [r13 + 8*rdi]", "49 8b 54 fd 00"}, {"mov rdx, qword ptr [r13 + 8*r8]", "4b 8b 54 c5 00"},
	{"mov rdx, qword ptr [r13 + 8*r9]", "4b 8b 54 cd 00"},  {"mov rdx, qword ptr [r13 + 8*r10]", "4b 8b 54 d5 00"},
	{"mov rdx, qword ptr [r13 + 8*r11]", "4b 8b 54 dd 00"}, {"mov rdx, qword ptr [r13 + 8*r12]", "4b 8b 54 e5 00"},
	{"mov rdx, qword ptr [r13 + 8*r13]", "4b 8b 54 ed 00"}, {"mov rdx, qword ptr [r13 + 8*r14]", "4b 8b 54 f5 00"},
	{"mov rdx, qword ptr [r13 + 8*r15]", "4b 8b 54 fd 00"}, {"mov rdx, qword ptr [r15 + 8*rax]", "49 8b 14 c7"},
	{"mov rdx, qword ptr [r15 + 8*rcx]", "49 8b 14 cf"},    {"mov rdx, qword ptr [r15 + 8*rdx]", "49 8b 14 d7"},
	{"mov rdx, qword ptr [r15 + 8*rbx]", "49 8b 14 df"},    {"mov rdx, qword ptr [r15 + 8*rbp]", "49 8b 14 ef"},
	{"mov rdx, qword ptr [r15 + 8*rsi]", "49 8b 14 f7"},    {"mov rdx, qword ptr [r15 + 8*rdi]", "49 8b 14 ff"},
	{"mov rdx, qword ptr [r15 + 8*r8]", "4b 8b 14 c7"},     {"mov rdx, qword ptr [r15 + 8*r9]", "4b 8b 14 cf"},
	{"mov rdx, qword ptr [r15 + 8*r10]", "4b 8b 14 d7"},    {"mov rdx, qword ptr [r15 + 8*r11]", "4b 8b 14 df"},
	{"mov rdx, qword ptr [r15 + 8*r12]", "4b 8b 14 e7"},    {"mov rdx, qword ptr [r15 + 8*r13]", "4b 8b 14 ef"},
	{"mov rdx, qword ptr [r15 + 8*r14]", "4b 8b 14 f7"},    {"mov rdx, qword ptr [r15 + 8*r15]", "4b 8b 14 ff"},
};

/* lea r12, [base + scale*index + disp]: every scale, the displacement edges. */
static const struct row scale_disp[] = {
	{"lea r12, [rbp + r12]", "4e 8d 64 25 00"},
	{"lea r12, [rbp + r12 + 127]", "4e 8d 64 25 7f"},
	{"lea r12, [rbp + r12 - 128]", "4e 8d 64 25 80"},
	{"lea r12, [rbp + r12 + 128]", "4e 8d a4 25 80 00 00 00"},
	{"lea r12, [rbp + r12 - 129]", "4e 8d a4 25 7f ff ff ff"},
	{"lea r12, [rbp + r12 - 2147483648]", "4e 8d a4 25 00 00 00 80"},
	{"lea r12, [rbp + r12 + 2147483647]", "4e 8d a4 25 ff ff ff 7f"},
	{"lea r12, [rbp + 2*r12]", "4e 8d 64 65 00"},
	{"lea r12, [rbp + 2*r12 + 127]", "4e 8d 64 65 7f"},
	{"lea r12, [rbp + 2*r12 - 128]", "4e 8d 64 65 80"},
	{"lea r12, [rbp + 2*r12 + 128]", "4e 8d a4 65 80 00 00 00"},
	{"lea r12, [rbp + 2*r12 - 129]", "4e 8d a4 65 7f ff ff ff"},
	{"lea r12, [rbp + 2*r12 - 2147483648]", "4e 8d a4 65 00 00 00 80"},
	{"lea r12, [rbp + 2*r12 + 2147483647]", "4e 8d a4 65 ff ff ff 7f"},
	{"lea r12, [rbp + 4*r12]", "4e 8d 64 a5 00"},
	{"lea r12, [rbp + 4*r12 + 127]", "4e 8d 64 a5 7f"},
	{"lea r12, [rbp + 4*r12 - 128]", "4e 8d 64 a5 80"},
	{"lea r12, [rbp + 4*r12 + 128]", "4e 8d a4 a5 80 00 00 00"},
	{"lea r12, [rbp + 4*r12 - 129]", "4e 8d a4 a5 7f ff ff ff"},
	{"lea r12, [rbp + 4*r12 - 2147483648]", "4e 8d a4 a5 00 00 00 80"},
	{"lea r12, [rbp + 4*r12 + 2147483647]", "4e 8d a4 a5 ff ff ff 7f"},
	{"lea r12, [rbp + 8*r12]", "4e 8d 64 e5 00"},
	{"lea r12, [rbp + 8*r12 + 127]", "4e 8d 64 e5 7f"},
	{"lea r12, [rbp + 8*r12 - 128]", "4e 8d 64 e5 80"},
	{"lea r12, [rbp + 8*r12 + 128]", "4e 8d a4 e5 80 00 00 00"},
	{"lea r12, [rbp + 8*r12 - 129]", "4e 8d a4 e5 7f ff ff ff"},
	{"lea r12, [rbp + 8*r12 - 2147483648]", "4e 8d a4 e5 00 00 00 80"},
	{"lea r12, [rbp + 8*r12 + 2147483647]", "4e 8d a4 e5 ff ff ff 7f"},
	{"lea r12, [r13 + rax]", "4d 8d 64 05 00"},
	{"lea r12, [r13 + rax + 127]", "4d 8d 64 05 7f"},
	{"lea r12, [r13 + rax - 128]", "4d 8d 64 05 80"},
	{"lea r12, [r13 + rax + 128]", "4d 8d a4 05 80 00 00 00"},
	{"lea r12, [r13 + rax - 129]", "4d 8d a4 05 7f ff ff ff"},
	{"lea r12, [r13 + rax - 2147483648]", "4d 8d a4 05 00 00 00 80"},
	{"lea r12, [r13 + rax + 2147483647]", "4d 8d a4 05 ff ff ff 7f"},
	{"lea r12, [r13 + 2*rax]", "4d 8d 64 45 00"},
	{"lea r12, [r13 + 2*rax + 127]", "4d 8d 64 45 7f"},
	{"lea r12, [r13 + 2*rax - 128]", "4d 8d 64 45 80"},
	{"lea r12, [r13 + 2*rax + 128]", "4d 8d a4 45 80 00 00 00"},
	{"lea r12, [r13 + 2*rax - 129]", "4d 8d a4 45 7f ff ff ff"},
	{"lea r12, [r13 + 2*rax - 2147483648]", "4d 8d a4 45 00 00 00 80"},
	{"lea r12, [r13 + 2*rax + 2147483647]", "4d 8d a4 45 ff ff ff 7f"},
	{"lea r12, [r13 + 4*rax]", "4d 8d 64 85 00"},
	{"lea r12, [r13 + 4*rax + 127]", "4d 8d 64 85 7f"},
	{"lea r12, [r13 + 4*rax - 128]", "4d 8d 64 85 80"},
	{"lea r12, [r13 + 4*rax + 128]", "4d 8d a4 85 80 00 00 00"},
	{"lea r12, [r13 + 4*rax - 129]", "4d 8d a4 85 7f ff ff ff"},
	{"lea r12, [r13 + 4*rax - 2147483648]", "4d 8d a4 85 00 00 00 80"},
	{"lea r12, [r13 + 4*rax + 2147483647]", "4d 8d a4 85 ff ff ff 7f"},
	{"lea r12, [r13 + 8*rax]", "4d 8d 64 c5 00"},
	{"lea r12, [r13 + 8*rax + 127]", "4d 8d 64 c5 7f"},
	{"lea r12, [r13 + 8*rax - 128]", "4d 8d 64 c5 80"},
	{"lea r12, [r13 + 8*rax + 128]", "4d 8d a4 c5 80 00 00 00"},
	{"lea r12, [r13 + 8*rax - 129]", "4d 8d a4 c5 7f ff ff ff"},
	{"lea r12, [r13 + 8*rax - 2147483648]", "4d 8d a4 c5 00 00 00 80"},
	{"lea r12, [r13 + 8*rax + 2147483647]", "4d 8d a4 c5 ff ff ff 7f"},
	{"lea r12, [rsp + r15]", "4e 8d 24 3c"},
	{"lea r12, [rsp + r15 + 127]", "4e 8d 64 3c 7f"},
	{"lea r12, [rsp + r15 - 128]", "4e 8d 64 3c 80"},
	{"lea r12, [rsp + r15 + 128]", "4e 8d a4 3c 80 00 00 00"},
	{"lea r12, [rsp + r15 - 129]", "4e 8d a4 3c 7f ff ff ff"},
	{"lea r12, [rsp + r15 - 2147483648]", "4e 8d a4 3c 00 00 00 80"},
	{"lea r12, [rsp + r15 + 2147483647]", "4e 8d a4 3c ff ff ff 7f"},
	{"lea r12, [rsp + 2*r15]", "4e 8d 24 7c"},
	{"lea r12, [rsp + 2*r15 + 127]", "4e 8d 64 7c 7f"},
	{"lea r12, [rsp + 2*r15 - 128]", "4e 8d 64 7c 80"},
	{"lea r12, [rsp + 2*r15 + 128]", "4e 8d a4 7c 80 00 00 00"},
	{"lea r12, [rsp + 2*r15 - 129]", "4e 8d a4 7c 7f ff ff ff"},
	{"lea r12, [rsp + 2*r15 - 2147483648]", "4e 8d a4 7c 00 00 00 80"},
	{"lea r12, [rsp + 2*r15 + 2147483647]", "4e 8d a4 7c ff ff ff 7f"},
	{"lea r12, [rsp + 4*r15]", "4e 8d 24 bc"},
	{"lea r12, [rsp + 4*r15 + 127]", "4e 8d 64 bc 7f"},
	{"lea r12, [rsp + 4*r15 - 128]", "4e 8d 64 bc 80"},
	{"lea r12, [rsp + 4*r15 + 128]", "4e 8d a4 bc 80 00 00 00"},
	{"lea r12, [rsp + 4*r15 - 129]", "4e 8d a4 bc 7f ff ff ff"},
	{"lea r12, [rsp + 4*r15 - 2147483648]", "4e 8d a4 bc 00 00 00 80"},
	{"lea r12, [rsp + 4*r15 + 2147483647]", "4e 8d a4 bc ff ff ff 7f"},
	{"lea r12, [rsp + 8*r15]", "4e 8d 24 fc"},
	{"lea r12, [rsp + 8*r15 + 127]", "4e 8d 64 fc 7f"},
	{"lea r12, [rsp + 8*r15 - 128]", "4e 8d 64 fc 80"},
	{"lea r12, [rsp + 8*r15 + 128]", "4e 8d a4 fc 80 00 00 00"},
	{"lea r12, [rsp + 8*r15 - 129]", "4e 8d a4 fc 7f ff ff ff"},
	{"lea r12, [rsp + 8*r15 - 2147483648]", "4e 8d a4 fc 00 00 00 80"},
	{"lea r12, [rsp + 8*r15 + 2147483647]", "4e 8d a4 fc ff ff ff 7f"},
	{"lea r12, [r12d + r13d]", "67 4f 8d 24 2c"},
	{"lea r12, [r12d + r13d + 127]", "67 4f 8d 64 2c 7f"},
	{"lea r12, [r12d + r13d - 128]", "67 4f 8d 64 2c 80"},
	{"lea r12, [r12d + r13d + 128]", "67 4f 8d a4 2c 80 00 00 00"},
	{"lea r12, [r12d + r13d - 129]", "67 4f 8d a4 2c 7f ff ff ff"},
	{"lea r12, [r12d + r13d - 2147483648]", "67 4f 8d a4 2c 00 00 00 80"},
	{"lea r12, [r12d + r13d + 2147483647]", "67 4f 8d a4 2c ff ff ff 7f"},
	{"lea r12, [r12d + 2*r13d]", "67 4f 8d 24 6c"},
	{"lea r12, [r12d + 2*r13d + 127]", "67 4f 8d 64 6c 7f"},
	{"lea r12, [r12d + 2*r13d - 128]", "67 4f 8d 64 6c 80"},
	{"lea r12, [r12d + 2*r13d + 128]", "67 4f 8d a4 6c 80 00 00 00"},
	{"lea r12, [r12d + 2*r13d - 129]", "67 4f 8d a4 6c 7f ff ff ff"},
	{"lea r12, [r12d + 2*r13d - 2147483648]", "67 4f 8d a4 6c 00 00 00 80"},
	{"lea r12, [r12d + 2*r13d + 2147483647]", "67 4f 8d a4 6c ff ff ff 7f"},
	{"lea r12, [r12d + 4*r13d]", "67 4f 8d 24 ac"},
	{"lea r12, [r12d + 4*r13d + 127]", "67 4f 8d 64 ac 7f"},
	{"lea r12, [r12d + 4*r13d - 128]", "67 4f 8d 64 ac 80"},
	{"lea r12, [r12d + 4*r13d + 128]", "67 4f 8d a4 ac 80 00 00 00"},
	{"lea r12, [r12d + 4*r13d - 129]", "67 4f 8d a4 ac 7f ff ff ff"},
	{"lea r12, [r12d + 4*r13d - 2147483648]", "67 4f 8d a4 ac 00 00 00 80"},
	{"lea r12, [r12d + 4*r13d + 2147483647]", "67 4f 8d a4 ac ff ff ff 7f"},
	{"lea r12, [r12d + 8*r13d]", "67 4f 8d 24 ec"},
	{"lea r12, [r12d + 8*r13d + 127]", "67 4f 8d 64 ec 7f"},
	{"lea r12, [r12d + 8*r13d - 128]", "67 4f 8d 64 ec 80"},
	{"lea r12, [r12d + 8*r13d + 128]", "67 4f 8d a4 ec 80 00 00 00"},
	{"lea r12, [r12d + 8*r13d - 129]", "67 4f 8d a4 ec 7f ff ff ff"},
	{"lea r12, [r12d + 8*r13d - 2147483648]", "67 4f 8d a4 ec 00 00 00 80"},
	{"lea r12, [r12d + 8*r13d + 2147483647]", "67 4f 8d a4 ec ff ff ff 7f"},
};

Test(x64_emit, memory_base_and_displacement)
{
	static const int32_t disps[] = {0, 127, -128, 128, -129, INT32_MIN, INT32_MAX};
	const size_t n = sizeof disps / sizeof disps[0];
	cr_assert_eq(sizeof base_disp / sizeof base_disp[0], 16 * n);
	for (unsigned base = 0; base < 16; base++) {
		for (size_t i = 0; i < n; i++) {
			uint8_t *at = fresh();
			const struct row *row = &base_disp[base * n + i];
			expect(row->assembly, row->hex, x64_mov_rm(at, X64_W64, X64_R9, x64_mem_base(base, disps[i])));
		}
	}
	static const int32_t disps32[] = {0, -128, 128};
	cr_assert_eq(sizeof base_disp_addr32 / sizeof base_disp_addr32[0], 16 * 3);
	for (unsigned base = 0; base < 16; base++) {
		for (size_t i = 0; i < 3; i++) {
			uint8_t *at = fresh();
			const struct row *row = &base_disp_addr32[base * 3 + i];
			struct x64_mem mem = x64_mem_addr32(x64_mem_base(base, disps32[i]));
			expect(row->assembly, row->hex, x64_mov_rm(at, X64_W32, X64_RAX, mem));
		}
	}
}

Test(x64_emit, memory_base_and_index)
{
	static const enum x64_reg bases[] = {X64_RAX, X64_RSP, X64_RBP, X64_R12, X64_R13, X64_R15};
	const struct row *row = base_index;
	for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
		for (unsigned index = 0; index < 16; index++) {
			if (index == X64_RSP)
				continue;
			uint8_t *at = fresh();
			expect(row->assembly, row->hex,
			       x64_mov_rm(at, X64_W64, X64_RDX, x64_mem_index(bases[b], index, 8, 0)));
			row++;
		}
	}
	cr_assert_eq(row, base_index + sizeof base_index / sizeof base_index[0]);
}

Test(x64_emit, memory_scale_and_displacement)
{
	static const struct {
		enum x64_reg base, index;
		bool addr32;
	} pairs[] = {{X64_RBP, X64_R12, false},
		     {X64_R13, X64_RAX, false},
		     {X64_RSP, X64_R15, false},
		     {X64_R12, X64_R13, true}};
	static const int32_t disps[] = {0, 127, -128, 128, -129, INT32_MIN, INT32_MAX};
	const struct row *row = scale_disp;
	for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
		for (unsigned scale = 1; scale <= 8; scale *= 2) {
			for (size_t i = 0; i < sizeof disps / sizeof disps[0]; i++) {
				struct x64_mem mem = x64_mem_index(pairs[p].base, pairs[p].index, scale, disps[i]);
				if (pairs[p].addr32)
					mem = x64_mem_addr32(mem);
				uint8_t *at = fresh();
				expect(row->assembly, row->hex, x64_lea(at, X64_W64, X64_R12, mem));
				row++;
			}
		}
	}
	cr_assert_eq(row, scale_disp + sizeof scale_disp / sizeof scale_disp[0]);
}

/* Worked by hand from the SDM's tables, as a check on the LLVM data. */
/* Compiled code that keeps its anchor in GS's base (PVM_JIT_ANCHOR_GS):
 * GS-relative operands with a base, with an index and no base, and with
 * neither. */
Test(x64_emit, gs_relative_operands)
{
	EXPECT("mov rax, qword ptr gs:[rcx]", "65 48 8b 01",
	       x64_mov_rm(at, X64_W64, X64_RAX, x64_mem_gs(x64_mem_base(X64_RCX, 0))));
	EXPECT("mov dword ptr gs:[-16], 5", "65 c7 04 25 f0 ff ff ff 05 00 00 00",
	       x64_mov_mi(at, X64_W32, x64_mem_gs(x64_mem_base(X64_NO_BASE, -16)), 5));
	EXPECT("mov r15, qword ptr gs:[-8]", "65 4c 8b 3c 25 f8 ff ff ff",
	       x64_mov_rm(at, X64_W64, X64_R15, x64_mem_gs(x64_mem_base(X64_NO_BASE, -8))));
	EXPECT("jmp qword ptr gs:[8*rcx - 528]", "65 ff 24 cd f0 fd ff ff",
	       x64_jmp_m(at, x64_mem_gs(x64_mem_index(X64_NO_BASE, X64_RCX, 8, -528))));
	EXPECT("mov qword ptr gs:[8*r12 + 16], r9", "65 4e 89 0c e5 10 00 00 00",
	       x64_mov_mr(at, X64_W64, x64_mem_gs(x64_mem_index(X64_NO_BASE, X64_R12, 8, 16)), X64_R9));
	EXPECT("cmp byte ptr gs:[rcx - 2097152], 2", "65 80 b9 00 00 e0 ff 02",
	       x64_alu_mi(at, X64_CMP, X64_W8, x64_mem_gs(x64_mem_base(X64_RCX, -2097152)), 2));
}

Test(x64_emit, hand_assembled_encodings)
{
	/* REX.W+B 49, 8B, ModRM 01 000 101 (r13 as base needs mod 01), disp8 0 */
	EXPECT("mov rax, qword ptr [r13]", "49 8b 45 00", x64_mov_rm(at, X64_W64, X64_RAX, x64_mem_base(X64_R13, 0)));
	/* REX 40 for sil, 88, ModRM 00 110 100 (SIB follows), SIB 00 100 100 (no index, base rsp) */
	EXPECT("mov byte ptr [rsp], sil", "40 88 34 24", x64_mov_mr(at, X64_W8, x64_mem_base(X64_RSP, 0), X64_RSI));
	/* REX.B 41, 83, ModRM 11 000 100, ib */
	EXPECT("add r12d, 1", "41 83 c4 01", x64_alu_ri(at, X64_ADD, X64_W32, X64_R12, 1));
	/* FF, ModRM 00 100(/4) 100, SIB 11 001 000 */
	EXPECT("jmp qword ptr [rax + 8*rcx]", "ff 24 c8", x64_jmp_m(at, x64_mem_index(X64_RAX, X64_RCX, 8, 0)));
	/* 67, REX.X+B 43, 8D, ModRM 00 000 100, SIB 00 101 100: r13 as an index is plain */
	EXPECT("lea eax, [r12d + r13d]", "67 43 8d 04 2c",
	       x64_lea(at, X64_W32, X64_RAX, x64_mem_addr32(x64_mem_index(X64_R12, X64_R13, 1, 0))));
	/* 8B, ModRM 00 000 101: [rip + disp32] */
	EXPECT("mov eax, dword ptr [rip - 1]", "8b 05 ff ff ff ff", x64_mov_rm(at, X64_W32, X64_RAX, x64_mem_rip(-1)));
	/* the mandatory prefix F3 goes before REX.W 48, then 0F BD, ModRM 11 000 001 */
	EXPECT("lzcnt rax, rcx", "f3 48 0f bd c1", x64_bitcount_rr(at, X64_LZCNT, X64_W64, X64_RAX, X64_RCX));
}

/* mov r64, imm picks 5 or 6, 7 or 10 bytes by what the value needs. */
Test(x64_emit, mov_ri64_picks_the_shortest_form)
{
	static const struct {
		uint64_t value;
		enum x64_reg reg;
		size_t length;
	} cases[] = {
		{0, X64_RAX, 5},
		{UINT32_MAX, X64_RAX, 5},
		{UINT32_MAX, X64_R8, 6},
		{0x80000000u, X64_RDI, 5},
		{UINT64_MAX, X64_RAX, 7},
		{(uint64_t)INT32_MIN, X64_R15, 7},
		{(uint64_t)INT32_MIN - 1, X64_RAX, 10},
		{(uint64_t)1 << 32, X64_RAX, 10},
		{(uint64_t)INT64_MIN, X64_R9, 10},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t *at = fresh();
		size_t length = (size_t)(x64_mov_ri64(at, cases[i].reg, cases[i].value) - at);
		cr_assert_eq(length, cases[i].length, "0x%llx into %s: %zu bytes", (unsigned long long)cases[i].value,
			     reg64[cases[i].reg], length);
	}
}

static int32_t rel32_at(const uint8_t *field)
{
	return (int32_t)((uint32_t)field[0] | (uint32_t)field[1] << 8 | (uint32_t)field[2] << 16 |
			 (uint32_t)field[3] << 24);
}

/* A forward jcc emitted before its target is known, patched once it is. */
Test(x64_emit, forward_jumps_are_patched_to_their_target)
{
	static uint8_t code[512];
	memset(code, FILL, sizeof code);
	uint8_t *at = x64_jcc_rel32(code, X64_NE, 0);
	cr_assert_eq(at - code, 6);
	uint8_t *field = at - 4;
	uint8_t *call_field = (at = x64_call_rel32(at, 0)) - 4;
	at = x64_nop(at, 300);
	uint8_t *target = at;
	x64_patch_rel32(field, target);
	x64_patch_rel32(call_field, target);
	cr_assert_eq(code[0], 0x0F);
	cr_assert_eq(code[1], 0x85);
	cr_assert_eq(rel32_at(field), 300 + 5, "rel32 %d", rel32_at(field));
	cr_assert_eq(field + 4 + rel32_at(field), target);
	cr_assert_eq(call_field + 4 + rel32_at(call_field), target);
	/* backward, too */
	uint8_t *back = x64_jmp_rel32(target, 0);
	x64_patch_rel32(back - 4, code);
	cr_assert_eq(back + rel32_at(back - 4), code);
	/* a RIP-relative operand without an immediate ends the instruction */
	uint8_t *lea = x64_lea(back, X64_W64, X64_RAX, x64_mem_rip(0));
	x64_patch_rel32(lea - 4, code + 8);
	cr_assert_eq(lea + rel32_at(lea - 4), code + 8);
	/* a short forward jump */
	uint8_t *skip = x64_jcc_rel8(lea, X64_B, 0);
	uint8_t *over = x64_ud2(skip);
	x64_patch_rel8(skip - 1, over);
	cr_assert_eq(skip[-1], 2);
}

/* jmp_to and jcc_to take the short form exactly when the target is within
 * -128..127 bytes of its end. */
Test(x64_emit, known_targets_take_the_short_form_when_it_reaches)
{
	static uint8_t code[1024];
	uint8_t *at = code + 512;
	static const struct {
		int distance; /* from the end of the short form */
		size_t jmp_length, jcc_length;
	} cases[] = {
		{0, 2, 2}, {127, 2, 2}, {-128, 2, 2}, {128, 5, 6}, {-129, 5, 6}, {-2, 2, 2}, {300, 5, 6}, {-300, 5, 6},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t *target = at + 2 + cases[i].distance;
		uint8_t *end = x64_jmp_to(at, target);
		cr_assert_eq((size_t)(end - at), cases[i].jmp_length, "jmp over %d", cases[i].distance);
		int32_t rel = cases[i].jmp_length == 2 ? (int8_t)end[-1] : rel32_at(end - 4);
		cr_assert_eq(end + rel, target, "jmp over %d", cases[i].distance);
		cr_assert_eq(at[0], cases[i].jmp_length == 2 ? 0xEB : 0xE9);

		end = x64_jcc_to(at, X64_LE, target);
		cr_assert_eq((size_t)(end - at), cases[i].jcc_length, "jle over %d", cases[i].distance);
		rel = cases[i].jcc_length == 2 ? (int8_t)end[-1] : rel32_at(end - 4);
		cr_assert_eq(end + rel, target, "jle over %d", cases[i].distance);
		if (cases[i].jcc_length == 2)
			cr_assert_eq(at[0], 0x7E);
		else
			cr_assert(at[0] == 0x0F && at[1] == 0x8E);

		end = x64_call_to(at, target);
		cr_assert_eq(end - at, 5);
		cr_assert_eq(end + rel32_at(end - 4), target);
	}
}

Test(x64_emit, conditions_invert_in_pairs)
{
	cr_assert_eq(x64_cond_invert(X64_E), X64_NE);
	cr_assert_eq(x64_cond_invert(X64_NE), X64_E);
	cr_assert_eq(x64_cond_invert(X64_B), X64_AE);
	cr_assert_eq(x64_cond_invert(X64_A), X64_BE);
	cr_assert_eq(x64_cond_invert(X64_L), X64_GE);
	cr_assert_eq(x64_cond_invert(X64_G), X64_LE);
	cr_assert_eq(x64_cond_invert(X64_O), X64_NO);
	cr_assert_eq(x64_cond_invert(X64_P), X64_NP);
	cr_assert_eq(x64_cond_invert(X64_S), X64_NS);
}

/* The SDM's recommended nops (LLVM disassembles each as one nop), and longer
 * runs as 9-byte ones and the rest. */
static const char *const nops[16] = {
	"",
	"90",
	"66 90",
	"0f 1f 00",
	"0f 1f 40 00",
	"0f 1f 44 00 00",
	"66 0f 1f 44 00 00",
	"0f 1f 80 00 00 00 00",
	"0f 1f 84 00 00 00 00 00",
	"66 0f 1f 84 00 00 00 00 00",
	"66 0f 1f 84 00 00 00 00 00 90",
	"66 0f 1f 84 00 00 00 00 00 66 90",
	"66 0f 1f 84 00 00 00 00 00 0f 1f 00",
	"66 0f 1f 84 00 00 00 00 00 0f 1f 40 00",
	"66 0f 1f 84 00 00 00 00 00 0f 1f 44 00 00",
	"66 0f 1f 84 00 00 00 00 00 66 0f 1f 44 00 00",
};

Test(x64_emit, nops_of_every_length)
{
	for (unsigned n = 0; n < 16; n++) {
		uint8_t *at = fresh();
		uint8_t *end = x64_nop(at, n);
		char assembly[16];
		snprintf(assembly, sizeof assembly, "nop(%u)", n);
		expect(assembly, nops[n], end);
	}
	/* long runs: 9-byte nops, then the rest */
	static uint8_t code[100];
	cr_assert_eq(x64_nop(code, 100), code + 100);
	for (unsigned i = 0; i < 99; i += 9)
		cr_assert(memcmp(code + i, "\x66\x0f\x1f\x84\0\0\0\0\0", 9) == 0, "at %u", i);
	cr_assert_eq(code[99], 0x90);
}

Test(x64_emit, align_pads_to_the_next_multiple)
{
	static uint8_t code[128];
	for (unsigned offset = 0; offset <= 40; offset++) {
		memset(code, FILL, sizeof code);
		uint8_t *end = x64_align(code + offset, code, 16);
		size_t want = (offset + 15) / 16 * 16;
		cr_assert_eq((size_t)(end - code), want, "from %u: to %td", offset, end - code);
		uint8_t nop[16];
		x64_nop(nop, want - offset);
		cr_assert(memcmp(code + offset, nop, want - offset) == 0, "from %u", offset);
		cr_assert_eq(code[want], FILL);
	}
	cr_assert_eq(x64_align(code + 3, code, 1), code + 3);
	cr_assert_eq(x64_align(code + 3, code + 3, 64), code + 3);
	cr_assert_eq(x64_align(code + 5, code + 1, 4), code + 5);
}
