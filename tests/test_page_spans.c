/* host/page_spans.c: the few spans of pages a sandbox worker's zygote is
 * told about and a wipe clears. Spans given are covered, and nothing else
 * while there is room; past PAGE_SPANS_MAX, the closest two are merged;
 * the set stays sorted, disjoint and apart (touching spans are one). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "host/page_spans.h"

#define PAGES 4096u /* a small address space for the random checks */

static void assert_well_formed(const struct page_spans *spans)
{
	cr_assert_leq(spans->count, PAGE_SPANS_MAX);
	for (uint32_t i = 0; i < spans->count; i++) {
		cr_assert_lt(spans->span[i].first, spans->span[i].end, "span %u is empty", i);
		if (i)
			cr_assert_gt(spans->span[i].first, spans->span[i - 1].end, "spans %u and %u touch or overlap",
				     i - 1, i);
	}
}

static bool covers(const struct page_spans *spans, uint32_t page)
{
	for (uint32_t i = 0; i < spans->count; i++)
		if (page >= spans->span[i].first && page < spans->span[i].end)
			return true;
	return false;
}

Test(page_spans, the_ends_of_a_jam_program_stay_two_spans)
{
	struct page_spans spans = {0};
	page_spans_add(&spans, 0xffff0, 0xffff8); /* the stack, under 4 GiB */
	page_spans_add(&spans, 0x10, 0x14);       /* read-only data at 64 KiB */
	page_spans_add(&spans, 0x14, 0x20);       /* the heap, touching it */
	page_spans_add(&spans, 0x5, 0x5);         /* nothing */
	cr_assert_eq(spans.count, 2);
	cr_assert_eq(spans.span[0].first, 0x10);
	cr_assert_eq(spans.span[0].end, 0x20);
	cr_assert_eq(spans.span[1].first, 0xffff0);
	cr_assert_eq(spans.span[1].end, 0xffff8);

	page_spans_add(&spans, 0x18, 0xffff1); /* overlapping both */
	cr_assert_eq(spans.count, 1);
	cr_assert_eq(spans.span[0].first, 0x10);
	cr_assert_eq(spans.span[0].end, 0xffff8);
	page_spans_clear(&spans);
	cr_assert(page_spans_empty(&spans));
}

Test(page_spans, past_the_limit_the_closest_two_merge)
{
	struct page_spans spans = {0};
	/* Spans at 0, 100, 200, ... but the fifth sits 3 pages after the
	 * fourth's end: the closest pair. */
	for (uint32_t i = 0; i < PAGE_SPANS_MAX; i++)
		page_spans_add(&spans, i * 100, i * 100 + 10);
	cr_assert_eq(spans.count, PAGE_SPANS_MAX);
	page_spans_add(&spans, 313, 320);
	assert_well_formed(&spans);
	cr_assert_eq(spans.count, PAGE_SPANS_MAX);
	cr_assert_eq(spans.span[3].first, 300);
	cr_assert_eq(spans.span[3].end, 320, "merged with its closest neighbour");
	cr_assert_eq(spans.span[4].first, 400, "the rest untouched");
}

/* Random spans against a page map: each page given is covered; while no
 * merge was forced, exactly those. */
Test(page_spans, random_spans_are_covered)
{
	srand(7);
	for (int round = 0; round < 2000; round++) {
		struct page_spans spans = {0}, copy = {0};
		bool given[PAGES] = {0};
		int adds = 1 + rand() % 16;
		bool exact = true;
		for (int i = 0; i < adds; i++) {
			uint32_t first = (uint32_t)rand() % PAGES, length = (uint32_t)rand() % 64;
			uint32_t end = first + length > PAGES ? PAGES : first + length;
			page_spans_add(&spans, first, end);
			memset(given + first, 1, end - first);
			assert_well_formed(&spans);
			/* A merge may have been forced only if the set was full. */
			exact &= spans.count < PAGE_SPANS_MAX;
		}
		page_spans_add_all(&copy, &spans);
		cr_assert_eq(copy.count, spans.count, "round %d: adding a set to nothing copies it", round);
		cr_assert_eq(memcmp(copy.span, spans.span, spans.count * sizeof *spans.span), 0,
			     "round %d: adding a set to nothing copies it", round);
		for (uint32_t page = 0; page < PAGES; page++) {
			if (given[page])
				cr_assert(covers(&spans, page), "round %d: page %u was given", round, page);
			else if (exact)
				cr_assert(!covers(&spans, page), "round %d: page %u was never given", round, page);
		}
	}
}
