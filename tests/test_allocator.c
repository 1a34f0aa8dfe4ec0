/* loader/allocator.c: core/'s memory in the host. Small blocks come from
 * calloc; blocks of a megabyte or more get their own mapping, on a 2 MiB
 * boundary and advised for transparent huge pages, which release unmaps.
 * Both kinds are zeroed, as core/ expects. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/alloc.h"
#include "loader/allocator.h"

#define MIB (1ul << 20)

static void assert_zeroed(const uint8_t *block, size_t size)
{
	for (size_t i = 0; i < size; i++)
		cr_assert_eq(block[i], 0, "byte %zu of a fresh %zu-byte block is %u", i, size, block[i]);
}

/* The VmFlags line of the mapping that starts at `start` in
 * /proc/self/smaps, and its length; false if no mapping starts there. */
static bool mapping_at(const void *start, size_t *length, char *flags, size_t flags_size)
{
	FILE *smaps = fopen("/proc/self/smaps", "r");
	cr_assert_not_null(smaps, "cannot read /proc/self/smaps: %s", strerror(errno));
	char line[512];
	bool found = false;
	while (fgets(line, sizeof line, smaps)) {
		unsigned long from, to;
		if (sscanf(line, "%lx-%lx ", &from, &to) == 2) { /* a mapping's first line */
			if (found)
				break;
			if (from == (uintptr_t)start) {
				found = true;
				*length = to - from;
			}
		} else if (found && strncmp(line, "VmFlags:", 8) == 0) {
			strncpy(flags, line + 8, flags_size - 1);
		}
	}
	fclose(smaps);
	return found;
}

Test(allocator, small_blocks_are_zeroed_and_distinct)
{
	uint8_t *a = pvm_allocate(&libc_allocator, 1000);
	uint8_t *b = pvm_allocate(&libc_allocator, MIB - 1);
	cr_assert(a && b && a != b);
	assert_zeroed(a, 1000);
	assert_zeroed(b, MIB - 1);
	memset(a, 0xaa, 1000);
	memset(b, 0xbb, MIB - 1);
	pvm_release(&libc_allocator, a, 1000);
	pvm_release(&libc_allocator, b, MIB - 1);
}

Test(allocator, a_large_block_has_its_own_huge_page_mapping_until_released)
{
	size_t size = 3 * MIB + 5;
	uint8_t *block = pvm_allocate(&libc_allocator, size);
	cr_assert_not_null(block);
	cr_assert_eq((uintptr_t)block % (2 * MIB), 0, "a large block at %p is not on a 2 MiB boundary", block);
	assert_zeroed(block, size);
	memset(block, 0xcc, size);

	size_t length = 0;
	char flags[512] = "";
	cr_assert(mapping_at(block, &length, flags, sizeof flags), "no mapping starts at the block %p", block);
	cr_assert_eq(length, 4 * MIB, "the block's mapping is %zu bytes, not the 4 MiB that hold %zu", length, size);
	/* A kernel built without transparent huge pages refuses the advice. */
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK) == 0)
		cr_assert_not_null(strstr(flags, " hg"),
				   "the block's mapping is not advised for huge pages (VmFlags:%s)", flags);
	else
		cr_log_warn("this kernel has no transparent huge pages: the advice is not checked");

	pvm_release(&libc_allocator, block, size);
	/* msync fails with ENOMEM on an address nothing maps. */
	cr_assert_eq(msync(block, 4 * MIB, MS_ASYNC), -1, "the released block is still mapped");
	cr_assert_eq(errno, ENOMEM);
}

Test(allocator, blocks_either_side_of_the_threshold_are_zeroed)
{
	const size_t sizes[] = {MIB - 1, MIB, MIB + 1, 2 * MIB, 2 * MIB + 1};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t *block = pvm_allocate(&libc_allocator, sizes[i]);
		cr_assert_not_null(block, "no block of %zu bytes", sizes[i]);
		assert_zeroed(block, sizes[i]);
		block[sizes[i] - 1] = 1;
		pvm_release(&libc_allocator, block, sizes[i]);
	}
}
