/*
 * malloc.c: heavy use of malloc, calloc, realloc and free: a chained hash map with string
 * keys that grows by rehashing, a binary search tree with thousands of nodes inserted and
 * deleted, and byte buffers grown with realloc. Everything printed is independent of
 * where the allocator puts things.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t next_random(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void *checked(void *p)
{
	if (p == NULL) {
		printf("out of memory\n");
		exit(1);
	}
	return p;
}

/* --- hash map: string -> counter ------------------------------------------------- */

struct entry {
	struct entry *next;
	char *key;
	uint64_t value;
};

struct map {
	struct entry **buckets;
	size_t bucket_count;
	size_t size;
};

static uint64_t hash_string(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static void map_grow(struct map *m)
{
	size_t count = m->bucket_count ? m->bucket_count * 2 : 16;
	struct entry **buckets = checked(calloc(count, sizeof *buckets));
	for (size_t i = 0; i < m->bucket_count; i++)
		for (struct entry *e = m->buckets[i], *next; e; e = next) {
			next = e->next;
			size_t b = hash_string(e->key) & (count - 1);
			e->next = buckets[b];
			buckets[b] = e;
		}
	free(m->buckets);
	m->buckets = buckets;
	m->bucket_count = count;
}

static struct entry **map_find(struct map *m, const char *key)
{
	struct entry **link = &m->buckets[hash_string(key) & (m->bucket_count - 1)];
	while (*link && strcmp((*link)->key, key) != 0)
		link = &(*link)->next;
	return link;
}

static void map_add(struct map *m, const char *key, uint64_t value)
{
	if (m->size >= m->bucket_count * 3 / 4)
		map_grow(m);
	struct entry **link = map_find(m, key);
	if (*link) {
		(*link)->value += value;
		return;
	}
	struct entry *e = checked(malloc(sizeof *e));
	e->key = checked(strdup(key));
	e->value = value;
	e->next = NULL;
	*link = e;
	m->size++;
}

static int map_remove(struct map *m, const char *key)
{
	struct entry **link = map_find(m, key);
	struct entry *e = *link;
	if (e == NULL)
		return 0;
	*link = e->next;
	free(e->key);
	free(e);
	m->size--;
	return 1;
}

static uint64_t map_checksum(const struct map *m)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < m->bucket_count; i++)
		for (const struct entry *e = m->buckets[i]; e; e = e->next)
			sum += hash_string(e->key) ^ e->value * 0x9e3779b97f4a7c15ULL;
	return sum;
}

static void map_free(struct map *m)
{
	for (size_t i = 0; i < m->bucket_count; i++)
		for (struct entry *e = m->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	free(m->buckets);
}

static void test_map(void)
{
	struct map m = {0};
	char key[32];
	for (int i = 0; i < 30000; i++) {
		snprintf(key, sizeof key, "key-%llu", (unsigned long long)(next_random() % 20000));
		map_add(&m, key, (uint64_t)i);
	}
	printf("map: %zu distinct keys in %zu buckets, checksum %016llx\n", m.size, m.bucket_count,
	       (unsigned long long)map_checksum(&m));
	int removed = 0;
	for (int i = 0; i < 20000; i += 2) {
		snprintf(key, sizeof key, "key-%d", i);
		removed += map_remove(&m, key);
	}
	printf("map: removed %d, %zu left, checksum %016llx\n", removed, m.size, (unsigned long long)map_checksum(&m));
	struct entry **found = map_find(&m, "key-1");
	printf("map: key-1 %s\n", *found ? "present" : "absent");
	map_free(&m);
}

/* --- binary search tree ------------------------------------------------------------- */

struct node {
	struct node *left, *right;
	uint32_t key;
	char payload[]; /* a variable-size tail so the allocator sees many sizes */
};

static struct node *tree_insert(struct node *root, uint32_t key, size_t *count)
{
	struct node **link = &root;
	while (*link) {
		if (key == (*link)->key)
			return root;
		link = key < (*link)->key ? &(*link)->left : &(*link)->right;
	}
	size_t payload = key % 61;
	struct node *n = checked(malloc(sizeof *n + payload));
	memset(n->payload, (int)(key & 0xff), payload);
	n->left = n->right = NULL;
	n->key = key;
	*link = n;
	(*count)++;
	return root;
}

static struct node *tree_delete(struct node *root, uint32_t key, size_t *count)
{
	struct node **link = &root;
	while (*link && (*link)->key != key)
		link = key < (*link)->key ? &(*link)->left : &(*link)->right;
	struct node *n = *link;
	if (n == NULL)
		return root;
	if (n->left && n->right) {
		/* Replace by the smallest node of the right subtree. */
		struct node **min = &n->right;
		while ((*min)->left)
			min = &(*min)->left;
		struct node *successor = *min;
		*min = successor->right;
		successor->left = n->left;
		successor->right = n->right;
		*link = successor;
	} else {
		*link = n->left ? n->left : n->right;
	}
	free(n);
	(*count)--;
	return root;
}

static uint64_t tree_checksum(const struct node *n, unsigned depth, unsigned *max_depth)
{
	if (n == NULL)
		return 0;
	if (depth > *max_depth)
		*max_depth = depth;
	uint64_t sum = n->key * 2654435761ULL + depth;
	size_t payload = n->key % 61;
	for (size_t i = 0; i < payload; i++)
		sum += (unsigned char)n->payload[i];
	return sum + tree_checksum(n->left, depth + 1, max_depth) * 3 + tree_checksum(n->right, depth + 1, max_depth);
}

static void tree_free(struct node *n)
{
	if (n) {
		tree_free(n->left);
		tree_free(n->right);
		free(n);
	}
}

static void test_tree(void)
{
	struct node *root = NULL;
	size_t count = 0;
	unsigned depth = 0;
	for (int i = 0; i < 20000; i++)
		root = tree_insert(root, (uint32_t)(next_random() % 100000), &count);
	uint64_t sum = tree_checksum(root, 0, &depth);
	printf("tree: %zu nodes, depth %u, checksum %016llx\n", count, depth, (unsigned long long)sum);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 10000; i++)
			root = tree_delete(root, (uint32_t)(next_random() % 100000), &count);
		for (int i = 0; i < 5000; i++)
			root = tree_insert(root, (uint32_t)(next_random() % 100000), &count);
		depth = 0;
		sum = tree_checksum(root, 0, &depth);
		printf("tree: round %d: %zu nodes, depth %u, checksum %016llx\n", round, count, depth,
		       (unsigned long long)sum);
	}
	tree_free(root);
}

/* --- buffers grown with realloc -------------------------------------------------------- */

static void test_buffers(void)
{
	enum { BUFFERS = 64 };
	unsigned char *buffers[BUFFERS] = {0};
	size_t sizes[BUFFERS] = {0};
	uint64_t sum = 0;
	for (int step = 0; step < 20000; step++) {
		int i = (int)(next_random() % BUFFERS);
		size_t size = (size_t)(next_random() % 3000);
		unsigned char *b = realloc(buffers[i], size);
		if (size != 0 && b == NULL) {
			printf("out of memory\n");
			exit(1);
		}
		/* realloc keeps the old contents up to the smaller size. */
		for (size_t j = 0; j < sizes[i] && j < size; j++)
			if (b[j] != (unsigned char)(i + j)) {
				printf("buffer %d lost byte %zu\n", i, j);
				exit(1);
			}
		for (size_t j = sizes[i]; j < size; j++)
			b[j] = (unsigned char)(i + j);
		buffers[i] = size ? b : NULL;
		sizes[i] = size;
		sum += size;
	}
	size_t live = 0;
	for (int i = 0; i < BUFFERS; i++) {
		live += sizes[i];
		free(buffers[i]);
	}
	uint64_t *zeros = checked(calloc(100000, sizeof *zeros));
	uint64_t nonzero = 0;
	for (size_t i = 0; i < 100000; i++)
		nonzero += zeros[i] != 0;
	free(zeros);
	printf("buffers: %llu bytes requested, %zu live at the end, calloc nonzero words: %llu\n",
	       (unsigned long long)sum, live, (unsigned long long)nonzero);
	/* volatile keeps the compiler from judging the sizes at compile time. */
	volatile size_t half = (size_t)-1 / 2, big = (size_t)1 << 40;
	void *huge = malloc(half);
	void *overflow = calloc(big, big);
	printf("huge requests: malloc %s, calloc %s\n", huge ? "succeeded" : "failed",
	       overflow ? "succeeded" : "failed");
	free(huge);
	free(overflow);
}

int main(void)
{
	test_map();
	test_tree();
	test_buffers();
	return 0;
}
