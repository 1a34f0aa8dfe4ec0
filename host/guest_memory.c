/* Guest memory in the host process, for the in-process backends.
 *
 * One PROT_NONE reservation per instance:
 *
 *   [below the anchor: context, jump table][4 GiB guest space][guard]
 *
 * Guest address a is base[a], and untouched pages cost nothing. Each page's
 * host protection is the guest's access exactly (none, read, read-write):
 * compiled code tests nothing before an access and relies on the hardware
 * fault, and the guard catches an access that starts below 4 GiB and runs
 * past it. The embedder may still write read-only pages: the copy opens them
 * read-write and closes them again. Unmapping drops the contents. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/internal.h"

#define GUEST_SPACE (1ull << 32)
/* More than the widest access (8 bytes) can reach past 4 GiB. */
#define GUARD_SIZE (64u << 10)

static const int protection_of[] = {
	[PVM_ACCESS_NONE] = PROT_NONE,
	[PVM_ACCESS_READ] = PROT_READ,
	[PVM_ACCESS_WRITE] = PROT_READ | PROT_WRITE,
};

static uint8_t *page_address(const struct host_memory *memory, uint64_t page)
{
	return memory->core.base + (page << PVM_PAGE_SHIFT);
}

/* The zygote learns of access changes before the next run. */
static void note_dirty(struct host_memory *memory, uint32_t first_page, uint64_t count)
{
	uint32_t end = (uint32_t)(first_page + count);
	if (memory->dirty_first == memory->dirty_end) {
		memory->dirty_first = first_page;
		memory->dirty_end = end;
		return;
	}
	if (first_page < memory->dirty_first)
		memory->dirty_first = first_page;
	if (end > memory->dirty_end)
		memory->dirty_end = end;
}

static int protect_pages(struct host_memory *memory, uint32_t first_page, uint64_t count, enum pvm_access access)
{
	void *start = page_address(memory, first_page);
	size_t bytes = (size_t)(count << PVM_PAGE_SHIFT);
	if (mprotect(start, bytes, protection_of[access]))
		return -1;
	/* A shared mapping's pages live on in the file: only punching them
	 * out of it drops them (for the zygote's mapping too). */
	if (access == PVM_ACCESS_NONE && madvise(start, bytes, memory->shared ? MADV_REMOVE : MADV_DONTNEED))
		return -1;
	if (memory->shared)
		note_dirty(memory, first_page, count);
	return 0;
}

/* Gives pages [first, first + count) the protection their access says
 * again, one mprotect per run of equal access. */
static int restore_protection(struct host_memory *memory, uint64_t first, uint64_t count)
{
	const uint8_t *access = memory->core.access;
	uint64_t end = first + count;
	while (first < end) {
		uint64_t run = first + 1;
		while (run < end && access[run] == access[first])
			run++;
		if (mprotect(page_address(memory, first), (size_t)((run - first) << PVM_PAGE_SHIFT),
			     protection_of[access[first]]))
			return -1;
		first = run;
	}
	return 0;
}

/* The core's hook, for sbrk. */
static int core_set_access(struct pvm_memory *memory, uint32_t first_page, uint32_t page_count, enum pvm_access access)
{
	return protect_pages(memory->host, first_page, page_count, access);
}

/* Nothing mapped, the heap empty. */
static void init_core(struct host_memory *memory, uint8_t *base, uint8_t *access)
{
	memory->core.base = base;
	memory->core.access = access;
	memory->core.set_access = core_set_access;
	memory->core.host = memory;
	memory->core.heap_top = PVM_LOWEST_ADDRESS;
	memory->core.heap_end = UINT32_MAX & ~(PVM_PAGE_SIZE - 1);
}

corral_result host_memory_init(struct host_memory *memory, size_t below, corral_error *error)
{
	*memory = (struct host_memory){0};
	long page = sysconf(_SC_PAGESIZE);
	if (page != PVM_PAGE_SIZE)
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "the host's page size is %ld bytes; guest memory needs 4096-byte pages", page);
	if (below % PVM_PAGE_SIZE)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "%zu bytes below guest memory is not a whole number of pages", below);
	size_t size = below + GUEST_SPACE + GUARD_SIZE;
	uint8_t *reservation = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (reservation == MAP_FAILED)
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "cannot reserve %zu bytes of address space for guest memory: %s", size,
				 strerror(errno));
	if (below && mprotect(reservation, below, PROT_READ | PROT_WRITE)) {
		int problem = errno;
		munmap(reservation, size);
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot open the %zu bytes below guest memory: %s", below,
				 strerror(problem));
	}
	uint8_t *access = calloc(PVM_PAGE_COUNT, 1);
	if (!access) {
		munmap(reservation, size);
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate the page-access table");
	}
	memory->reservation = reservation;
	memory->reservation_size = size;
	memory->below = below;
	init_core(memory, reservation + below, access);
	return CORRAL_OK;
}

corral_result host_memory_init_shared(struct host_memory *memory, uint8_t *base, corral_error *error)
{
	*memory = (struct host_memory){0};
	uint8_t *access = calloc(PVM_PAGE_COUNT, 1);
	if (!access)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate the page-access table");
	memory->shared = true;
	init_core(memory, base, access);
	return CORRAL_OK;
}

void host_memory_free(struct host_memory *memory)
{
	if (memory->reservation)
		munmap(memory->reservation, memory->reservation_size);
	free(memory->core.access);
	*memory = (struct host_memory){0};
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
	if (protect_pages(memory, first, count, (enum pvm_access)access))
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
	uint64_t first_page = address >> PVM_PAGE_SHIFT;
	uint64_t last_page = ((uint64_t)address + length - 1) >> PVM_PAGE_SHIFT;
	bool read_only = false;
	for (uint64_t page = first_page; page <= last_page; page++) {
		if (memory->core.access[page] == PVM_ACCESS_NONE)
			return host_fail(error, CORRAL_ERROR_ACCESS,
					 "cannot %s %zu bytes at 0x%x: page 0x%llx is not mapped", verb, length,
					 address, (unsigned long long)(page << PVM_PAGE_SHIFT));
		read_only |= memory->core.access[page] == PVM_ACCESS_READ;
	}
	if (!write) {
		memcpy(buffer, memory->core.base + address, length);
		return CORRAL_OK;
	}
	uint64_t count = last_page - first_page + 1;
	if (read_only &&
	    mprotect(page_address(memory, first_page), (size_t)(count << PVM_PAGE_SHIFT), PROT_READ | PROT_WRITE))
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot open read-only pages at 0x%x for writing: %s",
				 address, strerror(errno));
	memcpy(memory->core.base + address, buffer, length);
	if (read_only && restore_protection(memory, first_page, count))
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot close read-only pages at 0x%x again: %s", address,
				 strerror(errno));
	return CORRAL_OK;
}
