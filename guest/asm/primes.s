; Counts the primes below 10000 with a sieve of Eratosthenes, reports the
; count through host call 1, then halts.
;
; A JAM standard program: the sieve lives in its heap. With no read-only data
; the read-write zone starts at 2 x 64 KiB = 0x20000 (GP A.7), and three heap
; pages give the 10000 bytes the sieve needs. At start r0 holds the halt
; address 0xFFFF0000, so returning through it ends the program.
;
;   corral asm guest/asm/primes.s -o primes.jam && corral run primes.jam --continue

.format jam
.heap_pages 3
.stack_size 4096

        load_imm r7, 0x20000            ; r7: the sieve, one byte per number
        load_imm r8, 10000              ; r8: N
        load_imm r11, 0                 ; r11: primes found
        load_imm r9, 2                  ; r9: the candidate
        fallthrough                     ; a jump target must start a block
outer:
        add_64 r12, r7, r9
        load_ind_u8 r12, r12, 0
        branch_ne_imm r12, 0, @next     ; crossed out: not a prime
        add_imm_64 r11, r11, 1
        mul_64 r10, r9, r9              ; cross out from candidate squared
        fallthrough
inner:
        branch_ge_u r10, r8, @next
        add_64 r12, r7, r10
        store_imm_ind_u8 r12, 0, 1
        add_64 r10, r10, r9
        jump @inner
next:
        add_imm_64 r9, r9, 1
        branch_lt_u r9, r8, @outer
        move_reg r7, r11                ; the answer in a0
        ecalli 1                        ; tell the host
        jump_ind r0, 0                  ; return to the halt address
