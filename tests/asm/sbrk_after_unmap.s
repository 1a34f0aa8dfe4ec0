; Takes one byte of heap, lets the host unmap its page (ecalli 1), takes a
; page more, and writes the first byte of what it got.
	load_imm r1, 1
	sbrk r2, r1                     ; 0x10000, top 0x10001
	ecalli 1
	load_imm r1, 4096
	sbrk r3, r1                     ; 0x10001, top 0x11001
	store_imm_ind_u8 r3, 0, 0x77    ; 0x10001
	store_imm_ind_u8 r3, 4095, 0x78 ; 0x11000
	load_imm r0, -65536
	jump_ind r0, 0
