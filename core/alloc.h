/* Memory for core/ comes from its caller: core never calls malloc itself, so
 * that it builds unchanged into the host, the zygote and the fuzzers. */
#ifndef PVM_ALLOC_H
#define PVM_ALLOC_H

#include <stddef.h>

struct pvm_allocator {
	/* Returns `size` zeroed bytes, or NULL. */
	void *(*allocate)(void *context, size_t size);
	void (*release)(void *context, void *pointer, size_t size);
	void *context;
};

static inline void *pvm_allocate(const struct pvm_allocator *allocator, size_t size)
{
	return allocator->allocate(allocator->context, size ? size : 1);
}

static inline void pvm_release(const struct pvm_allocator *allocator, void *pointer, size_t size)
{
	if (pointer)
		allocator->release(allocator->context, pointer, size ? size : 1);
}

#endif
