/* A few disjoint spans of guest pages: which pages a sandbox worker's
 * zygote must hear about before the next run, and which a wipe must clear.
 *
 * One span from the lowest page to the highest would do, but a JAM program
 * has data at 64 KiB and its stack just under 4 GiB: the one span would be
 * a million pages, most never touched, scanned before every first run and
 * punched at every wipe. PAGE_SPANS_MAX spans keep the gap out; past that
 * the two closest are merged, so the set stays small and still covers every
 * page it was given. */
#ifndef HOST_PAGE_SPANS_H
#define HOST_PAGE_SPANS_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SPANS_MAX 8

struct page_span {
	uint32_t first, end; /* pages [first, end) */
};

/* Sorted by first page, none overlapping or touching another. */
struct page_spans {
	uint32_t count;
	struct page_span span[PAGE_SPANS_MAX];
};

static inline bool page_spans_empty(const struct page_spans *spans)
{
	return spans->count == 0;
}

static inline void page_spans_clear(struct page_spans *spans)
{
	spans->count = 0;
}

/* Adds pages [first, end) (nothing if empty). */
void page_spans_add(struct page_spans *spans, uint32_t first, uint32_t end);

/* Adds every span of `from`. */
void page_spans_add_all(struct page_spans *spans, const struct page_spans *from);

#endif
