; The GP 0.8 numbering: unlikely, and the renumbered instructions.
.isa gp0.8
	unlikely
	load_imm r7, -1
	count_set_bits_64 r8, r7
	leading_zero_bits_32 r9, r8
	reverse_bytes r10, r7
	rot_r_64_imm r11, r10, 9
	and_inv r12, r11, r7
	max_u r2, r12, r9
	trap
