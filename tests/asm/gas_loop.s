; A loop with no way out: it ends when the gas does. Entering costs 2, each
; trip 3 (two adds and the jump).
	load_imm r1, 0
	fallthrough
loop:
	add_imm_64 r1, r1, 1
	add_imm_64 r2, r2, 2
	jump @loop
