; fib(r1) in r2 with 64-bit wrapping: fib(0) = 0, fib(1) = 1.
	load_imm r2, 0
	load_imm r3, 1
	fallthrough
loop:
	branch_eq_imm r1, 0, @done
	add_64 r4, r2, r3
	move_reg r2, r3
	move_reg r3, r4
	add_imm_64 r1, r1, -1
	jump @loop
done:
	load_imm r0, -65536
	jump_ind r0, 0
