; sbrk on a raw blob (GP 0.7): the heap top starts at 0x10000 with nothing
; mapped. Each call returns the old top and maps the pages up to the new one
; read-write; an amount of 0 asks for the top.
	load_imm r1, 0
	sbrk r2, r1                     ; 0x10000: the top
	load_imm r1, 100
	sbrk r3, r1                     ; 0x10000; top 0x10064; page 0x10000
	load_imm r1, 0
	sbrk r4, r1                     ; 0x10064
	load_imm r1, 8192
	sbrk r5, r1                     ; 0x10064; top 0x12064; pages 0x11000, 0x12000
	load_imm r1, 0
	sbrk r6, r1                     ; 0x12064
	store_imm_ind_u32 r3, 0, 0x11223344   ; the first allocation's first bytes
	store_imm_ind_u64 r5, 0, -1           ; the second's first bytes
	store_imm_ind_u8 r6, -1, 0x5A         ; the second's last byte, 0x12063
	store_imm_ind_u16 r5, 0x1F9B, 0x7788  ; 0x11FFF: across two new pages
	load_ind_u32 r7, r3, 0
	load_ind_u16 r8, r5, 0x1F9B
	load_imm r0, -65536
	jump_ind r0, 0
