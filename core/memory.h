/* Guest memory: a 2^32-byte address space of 4 KiB pages, each inaccessible,
 * read-only or read-write.
 *
 * The bytes live in one flat 4 GiB region owned by the host (guest address a
 * is base[a]); the core keeps one access byte per page and asks the host,
 * through set_access, to back pages whenever it changes them itself (sbrk). */
#ifndef PVM_MEMORY_H
#define PVM_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#define PVM_PAGE_SHIFT 12
#define PVM_PAGE_SIZE  (1u << PVM_PAGE_SHIFT)
#define PVM_PAGE_COUNT (1u << (32 - PVM_PAGE_SHIFT))
/* Any access below this address panics, whatever is mapped (GP A.4). */
#define PVM_LOWEST_ADDRESS 0x10000u

enum pvm_access {
	PVM_ACCESS_NONE = 0,
	PVM_ACCESS_READ = 1,
	PVM_ACCESS_WRITE = 2, /* implies read */
};

enum pvm_access_result {
	PVM_ACCESS_OK,
	PVM_ACCESS_PANIC,     /* below 64 KiB, or a write to a read-only page */
	PVM_ACCESS_FAULT,     /* an inaccessible page: a page fault */
	PVM_ACCESS_PROTECTED, /* a write to a writable page the embedder write-protected: a page fault */
};

struct pvm_memory {
	uint8_t *base;   /* guest address 0 */
	uint8_t *access; /* enum pvm_access per page, PVM_PAGE_COUNT entries */
	/* Pages the embedder write-protected (one byte per page, nonzero: yes),
	 * or NULL while none is. Such a page is writable, but its access byte
	 * says PVM_ACCESS_READ, so that every fast test stops a write to it; the
	 * careful test then calls the write a page fault, not a panic. */
	const uint8_t *write_protected;
	int (*set_access)(struct pvm_memory *memory, uint32_t first_page, uint32_t page_count, enum pvm_access access);
	void *host;
	uint32_t heap_top; /* where sbrk hands out memory next */
	uint32_t heap_end; /* sbrk never grows the heap past this */
};

/* Checks an access of `width` bytes at `address` (wrapping at 2^32) that
 * needs `need`. The first byte that is not allowed decides, in access order:
 * below 64 KiB or read-only for a write panics; a write to a write-protected
 * page is PVM_ACCESS_PROTECTED; otherwise its page faults. For either fault
 * *fault_page gets the page's address. */
enum pvm_access_result pvm_memory_check(const struct pvm_memory *memory, uint32_t address, uint32_t width,
					enum pvm_access need, uint32_t *fault_page);

/* The fast test the interpreter inlines, on memory->access: inside one page
 * and allowed. Both halves are always evaluated (every page has an access
 * byte), so that the test is one branch, not two. */
static inline bool pvm_memory_allows(const uint8_t *access, uint32_t address, uint32_t width, enum pvm_access need)
{
	return ((address & (PVM_PAGE_SIZE - 1)) <= PVM_PAGE_SIZE - width) & (access[address >> PVM_PAGE_SHIFT] >= need);
}

/* sbrk (GP 0.7): grows the heap by `amount` bytes and returns the start of the
 * new space, mapped read-write; 0 when it cannot (past heap_end, or the pages
 * are already in use). An amount of 0 returns the current heap top. */
uint64_t pvm_memory_sbrk(struct pvm_memory *memory, uint64_t amount);

#endif
