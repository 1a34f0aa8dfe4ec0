; Sums the bytes of a buffer into r7 and halts: loads, stores, a backward
; branch, 32- and 64-bit arithmetic.
	load_imm r8, 0x20000
	load_imm r9, 64
	load_imm r7, 0
loop:
	load_ind_u8 r10, r8, 0
	add_64 r7, r7, r10
	store_ind_u8 r10, r8, 0x1000
	add_imm_64 r8, r8, 1
	add_imm_32 r9, r9, -1
	branch_ne_imm r9, 0, @loop
	mul_imm_32 r11, r7, 3
	shlo_l_imm_64 r12, r11, 33
	div_u_64 r11, r12, r9
	rem_s_32 r11, r12, r9
	jump_ind r0, 0
