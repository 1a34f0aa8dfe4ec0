/* A few disjoint spans of guest pages (host/page_spans.h). */
#include "host/page_spans.h"

/* Merges the neighbours with the smallest gap between them, the merge
 * that adds the fewest pages the set was never given. */
static void merge_closest(struct page_span *span, uint32_t *count)
{
	uint32_t closest = 0;
	for (uint32_t i = 1; i + 1 < *count; i++)
		if (span[i + 1].first - span[i].end < span[closest + 1].first - span[closest].end)
			closest = i;
	span[closest].end = span[closest + 1].end;
	for (uint32_t i = closest + 1; i + 1 < *count; i++)
		span[i] = span[i + 1];
	(*count)--;
}

void page_spans_add(struct page_spans *spans, uint32_t first, uint32_t end)
{
	if (first >= end)
		return;
	/* One room more than kept: the new span may not merge with any. */
	struct page_span result[PAGE_SPANS_MAX + 1];
	struct page_span added = {first, end};
	uint32_t count = 0;
	bool placed = false;
	for (uint32_t i = 0; i < spans->count; i++) {
		struct page_span span = spans->span[i];
		if (span.end < added.first) {
			result[count++] = span;
		} else if (span.first > added.end) {
			if (!placed)
				result[count++] = added;
			placed = true;
			result[count++] = span;
		} else {
			/* Overlapping or touching: one span. The spans are
			 * sorted, so one placed already cannot reach here. */
			added.first = span.first < added.first ? span.first : added.first;
			added.end = span.end > added.end ? span.end : added.end;
		}
	}
	if (!placed)
		result[count++] = added;
	if (count > PAGE_SPANS_MAX)
		merge_closest(result, &count);
	for (uint32_t i = 0; i < count; i++)
		spans->span[i] = result[i];
	spans->count = count;
}

void page_spans_add_all(struct page_spans *spans, const struct page_spans *from)
{
	for (uint32_t i = 0; i < from->count; i++)
		page_spans_add(spans, from->span[i].first, from->span[i].end);
}
