; Host calls and page faults: the embedder answers the calls, and the store
; far above the mapped pages faults until the page is mapped.
	load_imm r7, 0x30000
	load_imm r8, 16
	ecalli 1
	load_imm_64 r9, 0x50000
	store_u64 r7, 0x50008
	store_ind_u32 r7, r9, 4
	store_imm_u16 0x50010, 0x1234
	store_imm_ind_u64 r9, 24, -1
	ecalli 0x7fffffff
	load_u64 r10, 0x50008
	load_i16 r11, 0x10002
	store_u8 r11, 0x10000
	trap
