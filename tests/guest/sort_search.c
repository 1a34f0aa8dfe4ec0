/*
 * sort_search.c: qsort on inputs that trouble quicksorts (sorted, reversed, all equal,
 * organ pipe, random) in several element sizes, checked for order and as a permutation;
 * bsearch for present and absent keys. Keys are distinct where order could show, since
 * qsort need not be stable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 88172645463325252ULL;

static uint32_t random32(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)(state >> 16);
}

static int compare_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

struct record {
	uint32_t key;
	char name[13];
};

static int compare_record(const void *a, const void *b)
{
	const struct record *x = a, *y = b;
	return (x->key > y->key) - (x->key < y->key);
}

static int compare_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void check_ints(const char *name, int *values, int n)
{
	uint64_t sum_before = 0, sum_after = 0, xor_before = 0, xor_after = 0;
	for (int i = 0; i < n; i++) {
		sum_before += (uint32_t)values[i];
		xor_before ^= (uint64_t)(uint32_t)values[i] * 0x9e3779b97f4a7c15ULL;
	}
	qsort(values, n, sizeof values[0], compare_int);
	int sorted = 1;
	for (int i = 0; i < n; i++) {
		sum_after += (uint32_t)values[i];
		xor_after ^= (uint64_t)(uint32_t)values[i] * 0x9e3779b97f4a7c15ULL;
		if (i > 0 && values[i - 1] > values[i])
			sorted = 0;
	}
	printf("%-10s n=%5d: %s, %s, first %d, last %d\n", name, n, sorted ? "sorted" : "NOT SORTED",
	       sum_before == sum_after && xor_before == xor_after ? "same elements" : "ELEMENTS CHANGED",
	       n ? values[0] : 0, n ? values[n - 1] : 0);
}

int main(void)
{
	enum { N = 5000 };
	static int values[N];
	const int sizes[] = {0, 1, 2, 3, 7, 13, 100, N};
	for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		int n = sizes[s];
		for (int i = 0; i < n; i++)
			values[i] = (int)(random32() % 100000) - 50000;
		check_ints("random", values, n);
	}
	for (int i = 0; i < N; i++)
		values[i] = i;
	check_ints("sorted", values, N);
	for (int i = 0; i < N; i++)
		values[i] = N - i;
	check_ints("reversed", values, N);
	for (int i = 0; i < N; i++)
		values[i] = 7;
	check_ints("equal", values, N);
	for (int i = 0; i < N; i++)
		values[i] = i < N / 2 ? i : N - i;
	check_ints("organ pipe", values, N);
	for (int i = 0; i < N; i++)
		values[i] = i % 3;
	check_ints("three keys", values, N);

	static struct record records[1000];
	for (int i = 0; i < 1000; i++) {
		records[i].key = (uint32_t)i * 7919 % 1000;
		snprintf(records[i].name, sizeof records[i].name, "record-%u", records[i].key);
	}
	qsort(records, 1000, sizeof records[0], compare_record);
	int in_place = 1;
	for (int i = 0; i < 1000; i++) {
		char expected[13];
		snprintf(expected, sizeof expected, "record-%d", i);
		in_place &= records[i].key == (uint32_t)i && strcmp(records[i].name, expected) == 0;
	}
	printf("records of %zu bytes: %s\n", sizeof records[0], in_place ? "sorted with their names" : "WRONG");

	const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "elderberry", "grape"};
	size_t word_count = sizeof words / sizeof words[0];
	qsort(words, word_count, sizeof words[0], compare_string);
	printf("words:");
	for (size_t i = 0; i < word_count; i++)
		printf(" %s", words[i]);
	printf("\n");

	for (int i = 0; i < N; i++)
		values[i] = 3 * i;
	int found = 0, missing = 0;
	for (int key = -3; key <= 3 * N; key++) {
		int *hit = bsearch(&key, values, N, sizeof values[0], compare_int);
		if (hit && *hit == key && key % 3 == 0)
			found++;
		else if (!hit && key % 3 != 0)
			missing++;
	}
	printf("bsearch: %d found, %d correctly missing, of %d keys\n", found, missing, 3 * N + 4);
	const char *key = "date";
	const char **hit = bsearch(&key, words, word_count, sizeof words[0], compare_string);
	printf("bsearch words: date at %d\n", hit ? (int)(hit - words) : -1);
	int empty_key = 1;
	printf("bsearch in nothing: %s\n",
	       bsearch(&empty_key, values, 0, sizeof values[0], compare_int) ? "hit" : "miss");
	return 0;
}
