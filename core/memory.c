#include "memory.h"

enum pvm_access_result pvm_memory_check(const struct pvm_memory *memory, uint32_t address, uint32_t width,
					enum pvm_access need, uint32_t *fault_page)
{
	for (uint32_t i = 0; i < width; i++) {
		uint32_t at = address + i; /* wraps mod 2^32 */
		uint8_t access = memory->access[at >> PVM_PAGE_SHIFT];
		if (access >= need)
			continue;
		if (at < PVM_LOWEST_ADDRESS)
			return PVM_ACCESS_PANIC;
		*fault_page = at & ~(PVM_PAGE_SIZE - 1);
		if (access == PVM_ACCESS_NONE)
			return PVM_ACCESS_FAULT;
		/* A write to a page that is readable only. */
		bool protected = memory->write_protected && memory->write_protected[at >> PVM_PAGE_SHIFT];
		return protected ? PVM_ACCESS_PROTECTED : PVM_ACCESS_PANIC;
	}
	return PVM_ACCESS_OK;
}

uint64_t pvm_memory_sbrk(struct pvm_memory *memory, uint64_t amount)
{
	uint32_t start = memory->heap_top;
	if (amount == 0)
		return start;
	if (start > memory->heap_end || amount > (uint64_t)memory->heap_end - start)
		return 0;
	uint64_t end = start + amount;
	/* The page the old top lies in is the heap's already, unless the
	 * embedder has unmapped it since: then it is mapped again. */
	uint64_t first_page = start >> PVM_PAGE_SHIFT;
	if ((start & (PVM_PAGE_SIZE - 1)) && memory->access[first_page] == PVM_ACCESS_WRITE)
		first_page++;
	uint64_t last_page = (end + PVM_PAGE_SIZE - 1) >> PVM_PAGE_SHIFT;
	for (uint64_t page = first_page; page < last_page; page++)
		if (memory->access[page] != PVM_ACCESS_NONE)
			return 0;
	if (last_page > first_page) {
		uint32_t count = (uint32_t)(last_page - first_page);
		if (memory->set_access(memory, (uint32_t)first_page, count, PVM_ACCESS_WRITE))
			return 0;
		for (uint64_t page = first_page; page < last_page; page++)
			memory->access[page] = PVM_ACCESS_WRITE;
	}
	memory->heap_top = (uint32_t)end;
	return start;
}
