/* A zygote build embedded as data: ZYGOTE_IMAGE names the file (the
 * Makefile passes it), ZYGOTE_SYMBOL the struct host_zygote_image
 * (host/worker.h) that describes it. libcorral gets the release build as
 * host_zygote_release; the tests get the attack build from the same file
 * under another name. */
#if !defined(ZYGOTE_IMAGE) || !defined(ZYGOTE_SYMBOL)
#error "ZYGOTE_IMAGE and ZYGOTE_SYMBOL must be defined"
#endif

	.section .rodata.corral_zygote, "a"
	.balign 16
.Lbytes:
	.incbin ZYGOTE_IMAGE
.Lend:

	/* struct host_zygote_image { const uint8_t *bytes; size_t length; } */
	.section .data.rel.ro, "aw"
	.balign 8
	.globl ZYGOTE_SYMBOL
	.type ZYGOTE_SYMBOL, @object
	.size ZYGOTE_SYMBOL, 16
ZYGOTE_SYMBOL:
	.quad .Lbytes
	.quad .Lend - .Lbytes

	.section .note.GNU-stack, "", @progbits
