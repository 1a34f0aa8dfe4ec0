; The first 64 KiB always panic, whatever is mapped: a load at 0x10000
; works (the test maps that page), one byte lower panics.
	load_imm r1, 0x10000
	load_u8 r2, 0x10000
@10: below:
	load_ind_u8 r3, r1, -1          ; 0xFFFF
	load_imm r4, 1
	trap
