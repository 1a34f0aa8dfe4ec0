/*
 * malloc_stress.c: a random mix of malloc, calloc, realloc and free over 2000 slots with
 * sizes from 0 to 32 KiB (mostly small), checking after every step that each live block
 * is 16-byte aligned and still holds the bytes written into it, and that calloc and the
 * growth of realloc behave.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 2000

static uint64_t rng = 0x853c49e6748fea9bULL;

static uint32_t next(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33);
}

static unsigned char *blocks[SLOTS];
static size_t sizes[SLOTS];
static unsigned char tags[SLOTS];
static unsigned long errors;

static size_t random_size(void)
{
	uint32_t r = next() % 100;
	if (r < 70)
		return next() % 128;
	if (r < 95)
		return next() % 4096;
	return next() % 32768;
}

static void fill(int slot, size_t from)
{
	for (size_t i = from; i < sizes[slot]; i++)
		blocks[slot][i] = (unsigned char)(tags[slot] + i * 31);
}

static void verify(int slot)
{
	if (blocks[slot] == NULL)
		return;
	if ((uintptr_t)blocks[slot] % 16 != 0 && errors++ < 10)
		printf("slot %d: block is not 16-byte aligned\n", slot);
	for (size_t i = 0; i < sizes[slot]; i++)
		if (blocks[slot][i] != (unsigned char)(tags[slot] + i * 31)) {
			if (errors++ < 10)
				printf("slot %d: byte %zu of %zu changed\n", slot, i, sizes[slot]);
			return;
		}
}

int main(void)
{
	unsigned long operations[4] = {0};
	uint64_t bytes = 0;
	for (int step = 0; step < 40000; step++) {
		int slot = (int)(next() % SLOTS);
		verify(slot);
		uint32_t op = next() % 4;
		operations[op]++;
		if (op == 0 || (op == 1 && blocks[slot] == NULL)) {
			free(blocks[slot]);
			sizes[slot] = random_size();
			blocks[slot] = malloc(sizes[slot]);
			tags[slot] = (unsigned char)next();
			fill(slot, 0);
		} else if (op == 1) {
			size_t size = random_size();
			unsigned char *p = realloc(blocks[slot], size ? size : 1);
			if (p == NULL) {
				printf("realloc failed\n");
				return 1;
			}
			/* The kept prefix must be intact; the rest is written fresh. */
			blocks[slot] = p;
			if (size < sizes[slot])
				sizes[slot] = size;
			verify(slot);
			sizes[slot] = size ? size : 1;
			fill(slot, 0);
		} else if (op == 2) {
			free(blocks[slot]);
			size_t count = next() % 64, each = 1 + next() % 32;
			sizes[slot] = count * each;
			blocks[slot] = calloc(count, each);
			for (size_t i = 0; i < sizes[slot]; i++)
				if (blocks[slot][i] != 0 && errors++ < 10)
					printf("slot %d: calloc byte %zu is not zero\n", slot, i);
			tags[slot] = (unsigned char)next();
			fill(slot, 0);
		} else {
			free(blocks[slot]);
			blocks[slot] = NULL;
			sizes[slot] = 0;
		}
		if (sizes[slot] > 0 && blocks[slot] == NULL) {
			printf("allocation of %zu bytes failed\n", sizes[slot]);
			return 1;
		}
		bytes += sizes[slot];
	}
	for (int slot = 0; slot < SLOTS; slot++) {
		verify(slot);
		free(blocks[slot]);
	}

	/* A block grown step by step keeps its prefix. */
	unsigned char *grow = NULL;
	for (size_t size = 1; size <= 1 << 20; size = size * 3 / 2 + 1) {
		unsigned char *p = realloc(grow, size);
		if (p == NULL)
			return 1;
		grow = p;
		grow[size - 1] = (unsigned char)size;
	}
	uint64_t sum = 0;
	for (size_t size = 1; size <= 1 << 20; size = size * 3 / 2 + 1)
		sum += grow[size - 1];
	free(grow);
	free(NULL);

	printf("operations: %lu malloc, %lu realloc, %lu calloc, %lu free\n", operations[0], operations[1],
	       operations[2], operations[3]);
	printf("bytes allocated: %llu, growth checksum %llu\n", (unsigned long long)bytes, (unsigned long long)sum);
	printf("errors: %lu\n", errors);
	return errors != 0;
}
