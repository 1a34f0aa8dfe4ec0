; A JAM standard program behind metadata, with data in every region and a
; heap that sbrk grows.
.format jam
.metadata 66 75 7a 7a
.ro_data 01 02 03 04 05 06 07 08
.rw_data ff ee dd cc
.heap_pages 2
.stack_size 8192
	load_u32 r9, 0x10000
	sbrk r10, r9
	store_ind_u64 r9, r10, 0
	load_ind_u64 r11, r1, -8
	move_reg r12, r7
	ecalli 2
	jump_ind r0, 0
