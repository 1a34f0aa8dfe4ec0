/* Guest memory in the host process, for the in-process backends, and the
 * host's side of a sandbox worker's.
 *
 * One PROT_NONE reservation per instance:
 *
 *   [below the anchor: context, jump table][4 GiB guest space][guard]
 *
 * Guest address a is view[a], and untouched pages cost nothing. The guard
 * catches an access that starts below 4 GiB and runs past it. The table
 * (one access byte per page) is the truth; how the view is kept to it is
 * the memory's kind (host/internal.h):
 *
 *   PROTECTED  each page's host protection is the guest's access exactly
 *              (none, read, read-write): compiled code tests nothing before
 *              an access and relies on the hardware fault. The embedder
 *              may still write read-only pages: the copy opens them
 *              read-write and closes them again.
 *   FLAT       read-write throughout; only the interpreter runs on it,
 *              and it tests the table itself.
 *   PAGED      a memfd mapped at the view and watched by a userfaultfd
 *              (host/pager.h); the host reads and writes through its own
 *              mapping of the memfd (core.base).
 *
 * Unmapping drops the contents. A write-protected page is writable, but
 * its table entry says READ, so that every mechanism above stops a store to
 * it; core.write_protected tells the careful test it is a page fault. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/internal.h"
#include "host/pager.h"

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

/* The zygote learns of access changes before the next run (and the wipe
 * covers every page that ever had any). */
static void note_dirty(struct host_memory *memory, uint32_t first_page, uint64_t count)
{
	page_spans_add(&memory->dirty, first_page, (uint32_t)(first_page + count));
}

/* Makes the view of pages [first_page, first_page + count) what table
 * entry `access` says; the table itself still holds the old entries. */
static int protect_pages(struct host_memory *memory, uint32_t first_page, uint64_t count, enum pvm_access access)
{
	if (memory->shared)
		note_dirty(memory, first_page, count);
	if (memory->kind == HOST_MEMORY_PAGED)
		return host_pager_set_access(memory->pager, memory->core.access, first_page, (uint32_t)count, access);
	void *start = page_address(memory, first_page);
	size_t bytes = (size_t)(count << PVM_PAGE_SHIFT);
	if (memory->kind == HOST_MEMORY_PROTECTED && mprotect(start, bytes, protection_of[access]))
		return -1;
	/* A shared mapping's pages live on in the file: only punching them
	 * out of it drops them (for the zygote's mapping too). */
	if (access == PVM_ACCESS_NONE && madvise(start, bytes, memory->shared ? MADV_REMOVE : MADV_DONTNEED))
		return -1;
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
	memory->view = base;
}

/* ---- paging in this process --------------------------------------------------- */

static pthread_once_t can_page_once = PTHREAD_ONCE_INIT;
static bool can_page;

static void try_paging(void)
{
	int uffd;
	can_page = host_pager_open(&uffd, NULL) == CORRAL_OK;
	if (can_page)
		close(uffd);
}

bool host_memory_can_page(void)
{
	pthread_once(&can_page_once, try_paging);
	return can_page;
}

static void close_own_pager(struct host_pager *pager)
{
	if (pager->uffd >= 0)
		close(pager->uffd);
	if (pager->alias)
		munmap(pager->alias, GUEST_SPACE);
	if (pager->memfd >= 0)
		close(pager->memfd);
	free(pager);
}

/* The guest space of the reservation becomes a mapping of a fresh memfd
 * from 64 KiB up (the pages below stay PROT_NONE, as in a zygote), watched
 * by a userfaultfd of ours; the host gets an alias of the whole memfd. */
static corral_result page_here(struct host_memory *memory, uint8_t *view, corral_error *error)
{
	struct host_pager *pager = calloc(1, sizeof *pager);
	if (!pager)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate a pager");
	*pager = (struct host_pager){.uffd = -1, .memfd = -1, .view = (uint64_t)(uintptr_t)view};
	const char *what = "create the guest memfd";
	pager->memfd = memfd_create("corral-guest", MFD_CLOEXEC);
	if (pager->memfd < 0)
		goto failed;
	what = "size the guest memfd";
	if (ftruncate(pager->memfd, (off_t)GUEST_SPACE))
		goto failed;
	what = "map the guest memfd";
	if (mmap(view + PVM_LOWEST_ADDRESS, GUEST_SPACE - PVM_LOWEST_ADDRESS, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, pager->memfd, PVM_LOWEST_ADDRESS) == MAP_FAILED)
		goto failed;
	what = "map the host's alias of the guest memfd";
	void *alias = mmap(NULL, GUEST_SPACE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, pager->memfd, 0);
	if (alias == MAP_FAILED)
		goto failed;
	pager->alias = alias;
	corral_result result = host_pager_open(&pager->uffd, error);
	if (result == CORRAL_OK)
		result = host_pager_register(pager, error);
	if (result != CORRAL_OK) {
		close_own_pager(pager);
		return result;
	}
	memory->own_pager = pager;
	memory->pager = pager;
	memory->core.base = pager->alias;
	return CORRAL_OK;
failed:;
	int problem = errno;
	close_own_pager(pager);
	return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot %s for dynamic paging: %s", what, strerror(problem));
}

/* ---- making and freeing ------------------------------------------------------- */

corral_result host_memory_init(struct host_memory *memory, size_t below, bool table_below, enum host_memory_kind kind,
			       corral_error *error)
{
	*memory = (struct host_memory){.kind = kind};
	long page = sysconf(_SC_PAGESIZE);
	if (page != PVM_PAGE_SIZE)
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "the host's page size is %ld bytes; guest memory needs 4096-byte pages", page);
	if (below % PVM_PAGE_SIZE)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "%zu bytes below guest memory is not a whole number of pages", below);
	if (table_below && below < PVM_PAGE_COUNT)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "%zu bytes below guest memory cannot hold the page table", below);
	size_t size = below + GUEST_SPACE + GUARD_SIZE;
	uint8_t *reservation = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (reservation == MAP_FAILED)
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "cannot reserve %zu bytes of address space for guest memory: %s", size,
				 strerror(errno));
	memory->reservation = reservation;
	memory->reservation_size = size;
	memory->below = below;
	const char *what = NULL;
	if (below && mprotect(reservation, below, PROT_READ | PROT_WRITE))
		what = "open the bytes below guest memory";
	else if (kind == HOST_MEMORY_FLAT && mprotect(reservation + below, GUEST_SPACE, PROT_READ | PROT_WRITE))
		what = "open guest memory";
	memory->table_in_reservation = table_below && !what;
	uint8_t *access = what ? NULL : table_below ? reservation : calloc(PVM_PAGE_COUNT, 1);
	if (!access) {
		corral_result result =
			what ? host_fail(error, CORRAL_ERROR_SYSTEM, "cannot %s: %s", what, strerror(errno))
			     : host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate the page-access table");
		host_memory_free(memory);
		return result;
	}
	init_core(memory, reservation + below, access);
	corral_result result = kind == HOST_MEMORY_PAGED ? page_here(memory, reservation + below, error) : CORRAL_OK;
	if (result != CORRAL_OK)
		host_memory_free(memory);
	return result;
}

corral_result host_memory_init_shared(struct host_memory *memory, uint8_t *base, const struct host_pager *pager,
				      corral_error *error)
{
	*memory = (struct host_memory){.kind = pager ? HOST_MEMORY_PAGED : HOST_MEMORY_PROTECTED, .pager = pager};
	uint8_t *access = calloc(PVM_PAGE_COUNT, 1);
	if (!access)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate the page-access table");
	memory->shared = true;
	init_core(memory, base, access);
	return CORRAL_OK;
}

void host_memory_free(struct host_memory *memory)
{
	if (memory->own_pager)
		close_own_pager(memory->own_pager);
	if (memory->reservation)
		munmap(memory->reservation, memory->reservation_size);
	if (!memory->table_in_reservation)
		free(memory->core.access);
	free(memory->write_protected);
	*memory = (struct host_memory){0};
}

/* ---- changing the table ----------------------------------------------------------- */

/* What to add to a failed change's errno: under paging, the process whose
 * memory it is may have died (a sandbox worker killed, say). */
static const char *gone(const struct host_memory *memory, int problem)
{
	return problem == ESRCH && memory->kind == HOST_MEMORY_PAGED
		       ? " (the process whose memory it is has exited: a sandbox worker that died aborts its next run)"
		       : "";
}

/* Address and length name whole pages inside [64 KiB, 4 GiB); `verb`
 * says what the caller was asked to do. */
static corral_result check_pages(uint32_t address, uint64_t length, const char *verb, corral_error *error)
{
	if (address % PVM_PAGE_SIZE || length % PVM_PAGE_SIZE)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "cannot %s 0x%x + 0x%llx: address and length must be multiples of the 4096-byte page",
				 verb, address, (unsigned long long)length);
	if (address < PVM_LOWEST_ADDRESS && length > 0)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "cannot %s 0x%x: memory below 0x10000 is never accessible", verb, address);
	if (length > GUEST_SPACE - address)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "cannot %s 0x%x + 0x%llx: it runs past 4 GiB", verb,
				 address, (unsigned long long)length);
	return CORRAL_OK;
}

/* The table after a change of pages [first, first + count): their access,
 * and whether they are write-protected. */
static void set_entries(struct host_memory *memory, uint32_t first, uint64_t count, enum pvm_access access,
			bool protected)
{
	memset(memory->core.access + first, (int)access, (size_t)count);
	if (memory->write_protected)
		memset(memory->write_protected + first, protected, (size_t)count);
}

corral_result host_memory_set_access(struct host_memory *memory, uint32_t address, uint64_t length,
				     corral_page_access access, corral_error *error)
{
	if (access > CORRAL_PAGE_WRITE)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "unknown page access %u", (unsigned)access);
	corral_result result = check_pages(address, length, "map", error);
	if (result != CORRAL_OK || length == 0)
		return result;
	uint32_t first = address >> PVM_PAGE_SHIFT;
	uint64_t count = length >> PVM_PAGE_SHIFT;
	if (protect_pages(memory, first, count, (enum pvm_access)access)) {
		int problem = errno;
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot map 0x%x + 0x%llx: %s%s", address,
				 (unsigned long long)length, strerror(problem), gone(memory, problem));
	}
	set_entries(memory, first, count, (enum pvm_access)access, false);
	return CORRAL_OK;
}

corral_result host_memory_fill(struct host_memory *memory, uint32_t address, const void *bytes, size_t length,
			       corral_page_access access, corral_error *error)
{
	if (access != CORRAL_PAGE_READ && access != CORRAL_PAGE_WRITE)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "cannot map bytes at 0x%x with page access %u: only read (1) or read-write (2) hold "
				 "bytes",
				 address, (unsigned)access);
	uint64_t pages = ((uint64_t)length + PVM_PAGE_SIZE - 1) & ~(uint64_t)(PVM_PAGE_SIZE - 1);
	corral_result result = check_pages(address, pages, "map bytes at", error);
	if (result != CORRAL_OK || length == 0)
		return result;
	uint32_t first = address >> PVM_PAGE_SHIFT;
	uint64_t count = pages >> PVM_PAGE_SHIFT;
	if (memory->kind != HOST_MEMORY_PAGED) {
		/* Freed first, the pages come back zeroed: then the bytes. */
		result = host_memory_set_access(memory, address, pages, CORRAL_PAGE_NONE, error);
		if (result == CORRAL_OK)
			result = host_memory_set_access(memory, address, pages, access, error);
		if (result == CORRAL_OK)
			result = host_memory_copy(memory, address, (void *)bytes, length, true, error);
		return result;
	}
	if (memory->shared)
		note_dirty(memory, first, count);
	if (host_pager_fill(memory->pager, memory->core.access, first, (uint32_t)count, bytes, length,
			    (enum pvm_access)access)) {
		int problem = errno;
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot map %zu bytes at 0x%x: %s%s", length, address,
				 strerror(problem), gone(memory, problem));
	}
	set_entries(memory, first, count, (enum pvm_access)access, false);
	return CORRAL_OK;
}

corral_result host_memory_protect(struct host_memory *memory, uint32_t address, uint64_t length, bool protect,
				  corral_error *error)
{
	const char *verb = protect ? "write-protect" : "unprotect";
	corral_result result = check_pages(address, length, verb, error);
	if (result != CORRAL_OK || length == 0)
		return result;
	uint32_t first = address >> PVM_PAGE_SHIFT;
	uint64_t count = length >> PVM_PAGE_SHIFT;
	for (uint64_t page = first; page < first + count; page++) {
		corral_page_access now = host_memory_page_access(memory, (uint32_t)(page << PVM_PAGE_SHIFT));
		if (now != CORRAL_PAGE_WRITE)
			return host_fail(error, CORRAL_ERROR_ARGUMENT,
					 "cannot %s 0x%x + 0x%llx: page 0x%llx is %s, and only read-write pages can "
					 "be write-protected",
					 verb, address, (unsigned long long)length,
					 (unsigned long long)(page << PVM_PAGE_SHIFT),
					 now == CORRAL_PAGE_NONE ? "not mapped" : "read-only");
	}
	if (!memory->write_protected) {
		memory->write_protected = calloc(PVM_PAGE_COUNT, 1);
		if (!memory->write_protected)
			return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY,
					 "cannot allocate the write-protection table");
		memory->core.write_protected = memory->write_protected;
	}
	enum pvm_access access = protect ? PVM_ACCESS_READ : PVM_ACCESS_WRITE;
	if (protect_pages(memory, first, count, access)) {
		int problem = errno;
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot %s 0x%x + 0x%llx: %s%s", verb, address,
				 (unsigned long long)length, strerror(problem), gone(memory, problem));
	}
	set_entries(memory, first, count, access, protect);
	return CORRAL_OK;
}

corral_page_access host_memory_page_access(const struct host_memory *memory, uint32_t address)
{
	uint32_t page = address >> PVM_PAGE_SHIFT;
	if (memory->write_protected && memory->write_protected[page])
		return CORRAL_PAGE_WRITE;
	return (corral_page_access)memory->core.access[page];
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
	/* Only page protections stand in the host's way; the others' views
	 * are read-write for the host. */
	read_only &= memory->kind == HOST_MEMORY_PROTECTED;
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
