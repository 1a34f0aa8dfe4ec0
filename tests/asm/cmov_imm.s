; cmov_nz_imm and cmov_iz_imm: r1 is zero, r2 is not; r4 and r6 start as
; 0x44 and 0x66 (set by the test).
	load_imm r1, 0
	load_imm r2, 5
	load_imm r3, 7
	cmov_nz_imm r4, r1, 11          ; r1 == 0: r4 stays 0x44
	cmov_nz_imm r5, r2, -1          ; r2 != 0: r5 = 2^64 - 1
	cmov_nz_imm r3, r3, 9           ; the condition is the destination: r3 = 9
	cmov_iz_imm r6, r2, 12          ; r2 != 0: r6 stays 0x66
	cmov_iz_imm r7, r1, -2147483648 ; r1 == 0: r7 = 0xFFFFFFFF80000000
	load_imm_64 r8, 0x100000000
	cmov_nz_imm r9, r8, 1           ; only bit 32 set: still not zero, r9 = 1
	cmov_iz_imm r10, r8, 1          ; r10 stays 0
	load_imm r0, -65536
	jump_ind r0, 0
