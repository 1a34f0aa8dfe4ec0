#include "loader/array.h"

#include <stdint.h>
#include <stdlib.h>

bool array_reserve(void **items, size_t *capacity, size_t needed, size_t size)
{
	if (needed <= *capacity)
		return true;
	size_t next = *capacity ? *capacity : 16;
	while (next < needed) {
		if (next > SIZE_MAX / 2)
			return false;
		next *= 2;
	}
	if (next > SIZE_MAX / size)
		return false;
	void *bigger = realloc(*items, next * size);
	if (!bigger)
		return false;
	*items = bigger;
	*capacity = next;
	return true;
}
