; Dynamic jumps through the jump table: jump_ind, load_imm_jump_ind, a bad
; address, and the halt address.
.jump_table @first, @second, @third
	load_imm r5, 2
	jump_ind r5, 0
first:
	load_imm_jump_ind r1, r5, 7, 2
second:
	load_imm r6, 6
	load_imm_jump r2, 1, @third
third:
	branch_lt_u r5, r6, @done
	jump_ind r6, 1
done:
	cmov_nz r3, r2, r1
	fallthrough
	jump_ind r0, 0
