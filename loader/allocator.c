/* core/ takes its memory from its caller; in the host process it is libc's,
 * except for large blocks.
 *
 * A module of 100k instructions has a few blocks of megabytes (the
 * compiler's pc-to-native sites, the interpreter's slots), each written in
 * full as soon as it is allocated. calloc serves them from a fresh mapping
 * that faults in 4 KiB at a time, ~1.3 us a page on this machine kind (a
 * hypervisor backs it): ~400 faults, half a millisecond, for the compiler's
 * 1.6 MB of sites, a third of the compile. Here a block of LARGE_BLOCK or
 * more gets its own mapping on a 2 MiB boundary, advised for transparent
 * huge pages: one fault and one zeroed 2 MiB page (~50 us) for each 2 MiB.
 * Without transparent huge pages it is an ordinary mapping, as calloc's. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "loader/allocator.h"

#define LARGE_BLOCK     (1ul << 20)
#define HUGE_PAGE_BYTES (2ul << 20)

static size_t large_mapping_size(size_t size)
{
	return (size + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
}

static void *allocate_large(size_t size)
{
	size_t mapped = large_mapping_size(size);
	/* More than needed, then the ends cut off, so that it starts on a
	 * 2 MiB boundary. */
	uint8_t *reserved =
		mmap(NULL, mapped + HUGE_PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (reserved == MAP_FAILED)
		return NULL;
	uint8_t *block = (uint8_t *)(((uintptr_t)reserved + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1));
	if (block > reserved)
		munmap(reserved, (size_t)(block - reserved));
	munmap(block + mapped, (size_t)(reserved + HUGE_PAGE_BYTES - block));
	/* Advice only: refused, the block gets small pages. */
	madvise(block, mapped, MADV_HUGEPAGE);
	return block;
}

static void *allocate(void *context, size_t size)
{
	(void)context;
	return size >= LARGE_BLOCK ? allocate_large(size) : calloc(1, size);
}

/* core/ releases a block with the size it asked for, which tells the two
 * kinds apart. */
static void release(void *context, void *pointer, size_t size)
{
	(void)context;
	if (size >= LARGE_BLOCK)
		munmap(pointer, large_mapping_size(size));
	else
		free(pointer);
}

const struct pvm_allocator libc_allocator = {.allocate = allocate, .release = release};
