; Copies r3 bytes from r1 to r2, one byte at a time, then halts. The test
; places both ranges across page boundaries.
	fallthrough
loop:
	branch_eq_imm r3, 0, @done
	load_ind_u8 r4, r1, 0
	store_ind_u8 r4, r2, 0
	add_imm_64 r1, r1, 1
	add_imm_64 r2, r2, 1
	add_imm_64 r3, r3, -1
	jump @loop
done:
	load_imm r0, -65536
	jump_ind r0, 0
