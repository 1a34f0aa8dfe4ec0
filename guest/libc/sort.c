/*
 * sort.c: qsort (introsort: quicksort with a median of three, insertion sort for short
 * runs, heapsort when the recursion gets too deep) and bsearch. Not stable, like the
 * standard allows; glibc's qsort usually is, so programs that compare output must not sort
 * elements that compare equal but differ.
 */
#include <stdint.h>
#include <stdlib.h>

typedef int (*compare_fn)(const void *, const void *);
typedef uint64_t __attribute__((may_alias)) word_t;

#define INSERTION_MAX 12

static void swap(char *a, char *b, size_t size)
{
	if (size == 8 && ((uintptr_t)a | (uintptr_t)b) % 8 == 0) {
		word_t t = *(word_t *)a;
		*(word_t *)a = *(word_t *)b;
		*(word_t *)b = t;
		return;
	}
	while (size--) {
		char t = *a;
		*a++ = *b;
		*b++ = t;
	}
}

static void insertion_sort(char *base, size_t count, size_t size, compare_fn compare)
{
	for (size_t i = 1; i < count; i++)
		for (char *p = base + i * size; p > base && compare(p - size, p) > 0; p -= size)
			swap(p - size, p, size);
}

static void sift_down(char *base, size_t root, size_t count, size_t size, compare_fn compare)
{
	for (size_t child; (child = 2 * root + 1) < count; root = child) {
		if (child + 1 < count && compare(base + child * size, base + (child + 1) * size) < 0)
			child++;
		if (compare(base + root * size, base + child * size) >= 0)
			return;
		swap(base + root * size, base + child * size, size);
	}
}

static void heap_sort(char *base, size_t count, size_t size, compare_fn compare)
{
	for (size_t i = count / 2; i-- > 0;)
		sift_down(base, i, count, size, compare);
	for (size_t end = count; end-- > 1;) {
		swap(base, base + end * size, size);
		sift_down(base, 0, end, size, compare);
	}
}

static void intro_sort(char *base, size_t count, size_t size, compare_fn compare, int depth)
{
	while (count > INSERTION_MAX) {
		if (depth-- == 0) {
			heap_sort(base, count, size, compare);
			return;
		}
		char *first = base, *mid = base + count / 2 * size, *last = base + (count - 1) * size;
		if (compare(mid, first) < 0)
			swap(mid, first, size);
		if (compare(last, mid) < 0) {
			swap(last, mid, size);
			if (compare(mid, first) < 0)
				swap(mid, first, size);
		}
		/* The pivot sits at base; *last >= pivot stops the left scan, the pivot itself the right. */
		swap(first, mid, size);
		size_t i = 0, j = count;
		for (;;) {
			do
				i++;
			while (compare(base + i * size, base) < 0);
			do
				j--;
			while (compare(base + j * size, base) > 0);
			if (i >= j)
				break;
			swap(base + i * size, base + j * size, size);
		}
		swap(base, base + j * size, size);
		/* Recurse into the smaller side so the stack stays logarithmic. */
		size_t left = j, right = count - j - 1;
		if (left < right) {
			intro_sort(base, left, size, compare, depth);
			base += (j + 1) * size;
			count = right;
		} else {
			intro_sort(base + (j + 1) * size, right, size, compare, depth);
			count = left;
		}
	}
	insertion_sort(base, count, size, compare);
}

void qsort(void *base, size_t count, size_t size, compare_fn compare)
{
	int depth = 0;
	for (size_t n = count; n > 1; n >>= 1)
		depth += 2;
	if (size > 0)
		intro_sort(base, count, size, compare, depth);
}

void *bsearch(const void *key, const void *base, size_t count, size_t size, compare_fn compare)
{
	const char *lo = base;
	while (count > 0) {
		const char *mid = lo + count / 2 * size;
		int order = compare(key, mid);
		if (order == 0)
			return (void *)mid;
		if (order > 0) {
			lo = mid + size;
			count -= count / 2 + 1;
		} else {
			count /= 2;
		}
	}
	return NULL;
}
