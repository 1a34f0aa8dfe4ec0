/* core/ takes its memory from its caller; in the host process it is libc's. */
#include <stdlib.h>

#include "loader/allocator.h"

static void *allocate(void *context, size_t size)
{
	(void)context;
	return calloc(1, size);
}

static void release(void *context, void *pointer, size_t size)
{
	(void)context;
	(void)size;
	free(pointer);
}

const struct pvm_allocator libc_allocator = {.allocate = allocate, .release = release};
