/* Growing arrays in core/, through the caller's allocator. */
#ifndef PVM_ARRAY_H
#define PVM_ARRAY_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"

/* The slow half of pvm_array_reserve. */
static inline bool pvm_array_grow(const struct pvm_allocator *allocator, void **items, uint32_t *capacity,
				  uint32_t count, uint32_t more, size_t size)
{
	uint64_t wanted = 2 * (uint64_t)*capacity + more;
	if (wanted > UINT32_MAX)
		return false;
	void *bigger = pvm_allocate(allocator, (size_t)wanted * size);
	if (!bigger)
		return false;
	if (count)
		__builtin_memcpy(bigger, *items, (size_t)count * size);
	pvm_release(allocator, *items, (size_t)*capacity * size);
	*items = bigger;
	*capacity = (uint32_t)wanted;
	return true;
}

/* Makes *items (*capacity elements of `size` bytes, `count` of them in use)
 * hold at least `more` more, doubling it when it must grow; false (and
 * *items untouched) when out of memory. */
static inline bool pvm_array_reserve(const struct pvm_allocator *allocator, void **items, uint32_t *capacity,
				     uint32_t count, uint32_t more, size_t size)
{
	return *capacity - count >= more || pvm_array_grow(allocator, items, capacity, count, more, size);
}

#endif
