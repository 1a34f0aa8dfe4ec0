; A switch through the jump table: case r1 (0, 1 or 2) sets r3 to 100, 200
; or 300 and halts. Dynamic address = (index + 1) * 2.
.jump_table @case0, @case1, @case2
	add_imm_64 r2, r1, 1
	shlo_l_imm_64 r2, r2, 1
switch:
	jump_ind r2, 0
case0:
	load_imm r3, 100
	jump @end
case1:
	load_imm r3, 200
	jump @end
case2:
	load_imm r3, 300
	jump @end
end:
	load_imm r0, -65536
	jump_ind r0, 0
