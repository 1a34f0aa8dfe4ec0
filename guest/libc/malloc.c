/*
 * malloc.c: malloc, free, calloc and realloc over the PVM heap (corral_sbrk).
 *
 * A boundary-tag allocator. Every chunk is a multiple of 16 bytes and starts with a
 * 16-byte header; the user's memory follows, so it is 16-byte aligned. Free chunks are
 * coalesced with their free neighbours at once, so two free chunks are never adjacent,
 * and wait in one of 256 bins: exact sizes below 1 KiB (a small request is a list pop),
 * then four bins per power of two. A bitmap finds the next non-empty bin. New memory is
 * carved from the "top" chunk at the end of the heap, which grows through sbrk.
 */
#include <corral_guest.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
	size_t prev_size;   /* the previous chunk's size, kept only while that chunk is free */
	size_t head;        /* this chunk's size | CHUNK_IN_USE | PREV_IN_USE */
	struct chunk *next; /* free-list links, only while the chunk is free */
	struct chunk *prev;
};

#define CHUNK_IN_USE ((size_t)1)
#define PREV_IN_USE  ((size_t)2)
#define FLAG_BITS    ((size_t)15)
#define HEADER       (2 * sizeof(size_t))
#define MIN_CHUNK    sizeof(struct chunk)
/* Above this, a request fails before any size arithmetic could overflow. */
#define MAX_REQUEST ((size_t)1 << 48)
#define GROW_STEP   ((size_t)64 << 10)

#define SMALL_BINS 64
#define BIN_COUNT  256

static struct chunk *bins[BIN_COUNT];
static uint64_t bin_map[BIN_COUNT / 64];
static char *top; /* the free space at the end of the heap */
static size_t top_size;

static size_t chunk_size(const struct chunk *c)
{
	return c->head & ~FLAG_BITS;
}

static struct chunk *chunk_at(void *p, size_t offset)
{
	return (struct chunk *)((char *)p + offset);
}

static struct chunk *chunk_of(void *mem)
{
	return (struct chunk *)((char *)mem - HEADER);
}

static void *memory_of(struct chunk *c)
{
	return (char *)c + HEADER;
}

/* An in-use chunk also owns the next chunk's prev_size field, hence 8 bytes of overhead. */
static size_t chunk_size_for(size_t request)
{
	size_t size = (request + sizeof(size_t) + 15) & ~(size_t)15;
	return size < MIN_CHUNK ? MIN_CHUNK : size;
}

static unsigned bin_index(size_t size)
{
	if (size < SMALL_BINS * 16)
		return size / 16;
	unsigned log = 63 - __builtin_clzll(size);
	unsigned index = SMALL_BINS + (log - 10) * 4 + ((size >> (log - 2)) & 3);
	return index < BIN_COUNT ? index : BIN_COUNT - 1;
}

static void bin_insert(struct chunk *c)
{
	unsigned i = bin_index(chunk_size(c));
	c->prev = NULL;
	c->next = bins[i];
	if (c->next)
		c->next->prev = c;
	bins[i] = c;
	bin_map[i / 64] |= (uint64_t)1 << (i % 64);
}

static void bin_remove(struct chunk *c)
{
	unsigned i = bin_index(chunk_size(c));
	if (c->prev)
		c->prev->next = c->next;
	else
		bins[i] = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (bins[i] == NULL)
		bin_map[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* The first non-empty bin at or after `from`, or BIN_COUNT. */
static unsigned next_bin(unsigned from)
{
	for (unsigned word = from / 64; word < BIN_COUNT / 64; word++) {
		uint64_t bits = bin_map[word];
		if (word == from / 64)
			bits &= ~(uint64_t)0 << (from % 64);
		if (bits)
			return word * 64 + __builtin_ctzll(bits);
	}
	return BIN_COUNT;
}

/* Removes and returns a free chunk of at least `size` bytes, or NULL. */
static struct chunk *take_free(size_t size)
{
	unsigned i = bin_index(size);
	if (i >= SMALL_BINS) {
		/* A large bin spans a range of sizes: take the first chunk that fits. */
		for (struct chunk *c = bins[i]; c; c = c->next)
			if (chunk_size(c) >= size) {
				bin_remove(c);
				return c;
			}
		i++;
	}
	i = next_bin(i);
	if (i == BIN_COUNT)
		return NULL;
	struct chunk *c = bins[i];
	bin_remove(c);
	return c;
}

/* Frees a chunk: joins it with free neighbours (or the top) and bins the result. */
static void release(struct chunk *c)
{
	size_t size = chunk_size(c);
	struct chunk *next = chunk_at(c, size);
	if (!(c->head & PREV_IN_USE)) {
		struct chunk *prev = (struct chunk *)((char *)c - c->prev_size);
		bin_remove(prev);
		size += chunk_size(prev);
		c = prev;
	}
	if ((char *)next == top) {
		top = (char *)c;
		top_size += size;
		return;
	}
	if (next->head & CHUNK_IN_USE) {
		next->head &= ~PREV_IN_USE;
	} else {
		bin_remove(next);
		size += chunk_size(next);
	}
	c->head = size | PREV_IN_USE;
	chunk_at(c, size)->prev_size = size;
	bin_insert(c);
}

/* Cuts `c` (in use) down to `size` bytes and frees the rest if it can hold a chunk. */
static void trim(struct chunk *c, size_t size)
{
	size_t old = chunk_size(c);
	if (old - size < MIN_CHUNK)
		return;
	c->head = size | (c->head & FLAG_BITS);
	struct chunk *rest = chunk_at(c, size);
	rest->head = (old - size) | CHUNK_IN_USE | PREV_IN_USE;
	release(rest);
}

/*
 * Makes the top hold at least `size` bytes plus room for a minimal chunk behind them.
 * When someone else moved the heap top, the old top is left behind as a chunk marked in
 * use, so nothing ever coalesces into memory that is not ours.
 */
static bool grow_top(size_t size)
{
	while (top_size < size + MIN_CHUNK) {
		size_t need = size + MIN_CHUNK - top_size;
		size_t step = (need + GROW_STEP - 1) & ~(GROW_STEP - 1);
		char *old = corral_sbrk(step);
		if (old == NULL)
			return false;
		if (top != NULL && old == top + top_size) {
			top_size += step;
			continue;
		}
		if (top != NULL)
			((struct chunk *)top)->head = top_size | CHUNK_IN_USE | PREV_IN_USE;
		char *start = (char *)(((uintptr_t)old + 15) & ~(uintptr_t)15);
		top = start;
		top_size = step - (start - old);
	}
	return true;
}

void *malloc(size_t request)
{
	if (request > MAX_REQUEST) {
		errno = ENOMEM;
		return NULL;
	}
	size_t size = chunk_size_for(request);
	struct chunk *c = take_free(size);
	if (c != NULL) {
		/* A free chunk's neighbours are in use: the previous one, so PREV_IN_USE holds. */
		c->head |= CHUNK_IN_USE | PREV_IN_USE;
		chunk_at(c, chunk_size(c))->head |= PREV_IN_USE;
		trim(c, size);
		return memory_of(c);
	}
	if (!grow_top(size)) {
		errno = ENOMEM;
		return NULL;
	}
	c = (struct chunk *)top;
	c->head = size | CHUNK_IN_USE | PREV_IN_USE;
	top += size;
	top_size -= size;
	return memory_of(c);
}

void free(void *mem)
{
	if (mem == NULL)
		return;
	struct chunk *c = chunk_of(mem);
	/* A double free or a pointer malloc never returned: stop rather than corrupt the heap. */
	if (!(c->head & CHUNK_IN_USE))
		__builtin_trap();
	release(c);
}

void *calloc(size_t count, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(count, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	void *mem = malloc(total);
	if (mem != NULL)
		memset(mem, 0, total);
	return mem;
}

void *realloc(void *mem, size_t request)
{
	if (mem == NULL)
		return malloc(request);
	if (request == 0) {
		free(mem);
		return NULL;
	}
	if (request > MAX_REQUEST) {
		errno = ENOMEM;
		return NULL;
	}
	struct chunk *c = chunk_of(mem);
	size_t size = chunk_size_for(request), old = chunk_size(c);
	if (old >= size) {
		trim(c, size);
		return mem;
	}
	/* Grow in place into the top or into a free neighbour when they have the room. */
	struct chunk *next = chunk_at(c, old);
	if ((char *)next == top && grow_top(size - old) && (char *)next == top) {
		top += size - old;
		top_size -= size - old;
		c->head = size | (c->head & FLAG_BITS);
		return mem;
	}
	if ((char *)next != top && !(next->head & CHUNK_IN_USE) && old + chunk_size(next) >= size) {
		bin_remove(next);
		old += chunk_size(next);
		c->head = old | (c->head & FLAG_BITS);
		chunk_at(c, old)->head |= PREV_IN_USE;
		trim(c, size);
		return mem;
	}
	void *copy = malloc(request);
	if (copy != NULL) {
		memcpy(copy, mem, old - sizeof(size_t));
		free(mem);
	}
	return copy;
}
