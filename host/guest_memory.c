/* Guest memory in the host process, for the in-process backends.
 *
 * One 4 GiB PROT_NONE reservation per instance: guest address a is base[a],
 * and untouched pages cost nothing. A mapped page is opened read-write in the
 * host whatever the guest may do with it — the core's access table is what
 * enforces read-only — so that the embedder can fill read-only data. Unmapping
 * closes the page again and drops its contents. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/internal.h"

#define GUEST_SPACE (1ull << 32)

static int protect_pages(uint8_t *base, uint32_t first_page, uint64_t count, enum pvm_access access)
{
	void *start = base + ((uint64_t)first_page << PVM_PAGE_SHIFT);
	size_t bytes = (size_t)(count << PVM_PAGE_SHIFT);
	if (mprotect(start, bytes, access == PVM_ACCESS_NONE ? PROT_NONE : PROT_READ | PROT_WRITE))
		return -1;
	if (access == PVM_ACCESS_NONE && madvise(start, bytes, MADV_DONTNEED))
		return -1;
	return 0;
}

/* The core's hook, for sbrk. */
static int core_set_access(struct pvm_memory *memory, uint32_t first_page, uint32_t page_count, enum pvm_access access)
{
	return protect_pages(memory->base, first_page, page_count, access);
}

corral_result host_memory_init(struct host_memory *memory, corral_error *error)
{
	*memory = (struct host_memory){0};
	long page = sysconf(_SC_PAGESIZE);
	if (page != PVM_PAGE_SIZE)
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "the host's page size is %ld bytes; guest memory needs 4096-byte pages", page);
	void *base = mmap(NULL, GUEST_SPACE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "cannot reserve 4 GiB of address space for guest memory: %s", strerror(errno));
	uint8_t *access = calloc(PVM_PAGE_COUNT, 1);
	if (!access) {
		munmap(base, GUEST_SPACE);
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate the page-access table");
	}
	memory->core.base = base;
	memory->core.access = access;
	memory->core.set_access = core_set_access;
	memory->core.host = memory;
	memory->core.heap_top = PVM_LOWEST_ADDRESS;
	memory->core.heap_end = UINT32_MAX & ~(PVM_PAGE_SIZE - 1);
	return CORRAL_OK;
}

void host_memory_free(struct host_memory *memory)
{
	if (memory->core.base)
		munmap(memory->core.base, GUEST_SPACE);
	free(memory->core.access);
	memory->core.base = NULL;
	memory->core.access = NULL;
}

corral_result host_memory_set_access(struct host_memory *memory, uint32_t address, uint64_t length,
				     corral_page_access access, corral_error *error)
{
	if (access > CORRAL_PAGE_WRITE)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "unknown page access %u", (unsigned)access);
	if (address % PVM_PAGE_SIZE || length % PVM_PAGE_SIZE)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "cannot map 0x%x + 0x%llx: address and length must be multiples of the 4096-byte page",
				 address, (unsigned long long)length);
	if (address < PVM_LOWEST_ADDRESS && length > 0)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "cannot map 0x%x: memory below 0x10000 is never accessible", address);
	if (length > GUEST_SPACE - address)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "cannot map 0x%x + 0x%llx: it runs past 4 GiB", address,
				 (unsigned long long)length);
	if (length == 0)
		return CORRAL_OK;
	uint32_t first = address >> PVM_PAGE_SHIFT;
	uint64_t count = length >> PVM_PAGE_SHIFT;
	if (protect_pages(memory->core.base, first, count, (enum pvm_access)access))
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot map 0x%x + 0x%llx: %s", address,
				 (unsigned long long)length, strerror(errno));
	memset(memory->core.access + first, (int)access, (size_t)count);
	return CORRAL_OK;
}

corral_result host_memory_copy(struct host_memory *memory, uint32_t address, void *buffer, size_t length, bool write,
			       corral_error *error)
{
	const char *verb = write ? "write" : "read";
	if (length > GUEST_SPACE - address)
		return host_fail(error, CORRAL_ERROR_ACCESS, "cannot %s %zu bytes at 0x%x: the range runs past 4 GiB",
				 verb, length, address);
	if (length == 0)
		return CORRAL_OK;
	uint64_t last_page = ((uint64_t)address + length - 1) >> PVM_PAGE_SHIFT;
	for (uint64_t page = address >> PVM_PAGE_SHIFT; page <= last_page; page++)
		if (memory->core.access[page] == PVM_ACCESS_NONE)
			return host_fail(error, CORRAL_ERROR_ACCESS,
					 "cannot %s %zu bytes at 0x%x: page 0x%llx is not mapped", verb, length,
					 address, (unsigned long long)(page << PVM_PAGE_SHIFT));
	if (write)
		memcpy(memory->core.base + address, buffer, length);
	else
		memcpy(buffer, memory->core.base + address, length);
	return CORRAL_OK;
}
