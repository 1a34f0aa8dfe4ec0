/* Growing arrays, for the host-side parsers. */
#ifndef LOADER_ARRAY_H
#define LOADER_ARRAY_H

#include <stdbool.h>
#include <stddef.h>

/* Makes room in *items for `needed` elements of `size` bytes, doubling the
 * capacity as it grows; false (and *items untouched) when out of memory. */
bool array_reserve(void **items, size_t *capacity, size_t needed, size_t size);

#endif
