/* Quicksort of pseudo-random 32-bit numbers as Sedgewick has it: ranges
 * split around a median of three by Hoare's partition, the larger side put
 * on an explicit stack and the smaller taken next (so the stack stays
 * logarithmic), ranges of 16 or fewer left alone, and one insertion sort
 * over the whole array at the end to finish them. Data-dependent branches,
 * loads and stores; the checksum covers the sorted order. */
#include "bench_host.h"

#define COUNT 600000
#define SHORT 16
#define STACK 64

static uint32_t values[COUNT];
static volatile uint32_t count = COUNT;

static void order(uint32_t *a, uint32_t *b)
{
	if (*b < *a) {
		uint32_t t = *a;
		*a = *b;
		*b = t;
	}
}

/* Splits a[low..high] (median of three in a[low + 1]) and returns where. */
static int32_t partition(uint32_t *a, int32_t low, int32_t high)
{
	int32_t mid = low + (high - low) / 2;
	uint32_t t = a[mid];
	a[mid] = a[low + 1];
	a[low + 1] = t;
	order(&a[low], &a[high]);
	order(&a[low + 1], &a[high]);
	order(&a[low], &a[low + 1]);
	uint32_t pivot = a[low + 1];
	int32_t i = low + 1, j = high;
	for (;;) {
		do
			i++;
		while (a[i] < pivot);
		do
			j--;
		while (a[j] > pivot);
		if (j < i)
			break;
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
	a[low + 1] = a[j];
	a[j] = pivot;
	return j;
}

static void sort(uint32_t *a, int32_t n)
{
	int32_t stack[STACK][2], depth = 0, low = 0, high = n - 1;
	for (;;) {
		if (high - low > SHORT) {
			int32_t split = partition(a, low, high);
			/* the larger side waits on the stack */
			if (split - low > high - split) {
				stack[depth][0] = low;
				stack[depth++][1] = split - 1;
				low = split + 1;
			} else {
				stack[depth][0] = split + 1;
				stack[depth++][1] = high;
				high = split - 1;
			}
		} else if (depth > 0) {
			depth--;
			low = stack[depth][0];
			high = stack[depth][1];
		} else {
			break;
		}
	}
	for (int32_t i = 1; i < n; i++) {
		uint32_t v = a[i];
		int32_t j = i;
		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

uint64_t bench_workload(void)
{
	uint32_t n = count;
	uint64_t state = 0x9E3779B97F4A7C15ull;
	for (uint32_t i = 0; i < n; i++)
		values[i] = (uint32_t)(bench_random(&state) >> 32);
	sort(values, (int32_t)n);
	uint64_t checksum = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (i && values[i - 1] > values[i])
			return 0; /* not sorted: a checksum no target prints */
		checksum = bench_mix(checksum, values[i]);
	}
	return checksum;
}
