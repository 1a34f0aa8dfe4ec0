/* A benchmark guest: sorts 1,000,000 pseudo-random 32-bit numbers with a
 * recursive quicksort (median of three, insertion sort for short runs),
 * checks the order, and prints a checksum. Branchy code, data-dependent
 * loads and stores, and calls: the kind of work the sieve does not do. */
#include <stdio.h>

#define COUNT 1000000

static unsigned values[COUNT];

static unsigned next_random(unsigned long *state)
{
	/* xorshift64 */
	unsigned long x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return (unsigned)(x >> 32);
}

static void swap(unsigned *a, unsigned *b)
{
	unsigned t = *a;
	*a = *b;
	*b = t;
}

static void insertion_sort(unsigned *a, long n)
{
	for (long i = 1; i < n; i++) {
		unsigned v = a[i];
		long j = i - 1;
		while (j >= 0 && a[j] > v) {
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = v;
	}
}

static void quicksort(unsigned *a, long n)
{
	while (n > 16) {
		long mid = n / 2;
		if (a[mid] < a[0])
			swap(&a[mid], &a[0]);
		if (a[n - 1] < a[0])
			swap(&a[n - 1], &a[0]);
		if (a[n - 1] < a[mid])
			swap(&a[n - 1], &a[mid]);
		unsigned pivot = a[mid];
		long i = 0, j = n - 1;
		for (;;) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i >= j)
				break;
			swap(&a[i], &a[j]);
			i++;
			j--;
		}
		/* Recurse into the smaller side, loop on the larger. */
		if (j + 1 < n - j - 1) {
			quicksort(a, j + 1);
			a += j + 1;
			n -= j + 1;
		} else {
			quicksort(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	insertion_sort(a, n);
}

int main(void)
{
	unsigned long state = 0x9E3779B97F4A7C15ul;
	for (long i = 0; i < COUNT; i++)
		values[i] = next_random(&state);
	quicksort(values, COUNT);
	unsigned long checksum = 0;
	for (long i = 0; i < COUNT; i++) {
		if (i && values[i - 1] > values[i]) {
			printf("not sorted at %ld\n", i);
			return 1;
		}
		checksum = checksum * 31 + values[i];
	}
	printf("sorted %d numbers: first %u, median %u, last %u, checksum %lx\n", COUNT, values[0], values[COUNT / 2],
	       values[COUNT - 1], checksum);
	return 0;
}
