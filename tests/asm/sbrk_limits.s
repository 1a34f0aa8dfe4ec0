; sbrk that cannot be served returns 0 and leaves the top where it was;
; one byte at a time maps the top's page once. The store at the end is past
; every mapped page and faults.
	load_imm_64 r1, 0x100000000
	sbrk r2, r1                     ; 0: more than the address space
	load_imm r1, -1
	sbrk r3, r1                     ; 0: 2^64 - 1 bytes
	load_imm r1, 0
	sbrk r4, r1                     ; 0x10000: unchanged
	load_imm r1, 1
	sbrk r5, r1                     ; 0x10000
	sbrk r6, r1                     ; 0x10001
	load_imm r1, 0
	sbrk r7, r1                     ; 0x10002
	store_imm_u8 0x10FFF, 1         ; inside the page the first byte mapped
@38: fault:
	store_imm_u8 0x11000, 1         ; not mapped: a page fault
	trap
