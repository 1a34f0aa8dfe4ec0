#ifndef LOADER_ALLOCATOR_H
#define LOADER_ALLOCATOR_H

#include "core/alloc.h"

/* calloc and free, for core/ in the host process. */
extern const struct pvm_allocator libc_allocator;

#endif
