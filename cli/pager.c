/* The CLI's demand pager (cli/pager.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/pager.h"
#include "loader/array.h"

struct cli_pending_page {
	uint32_t address;
	corral_page_access access;
	bool served; /* mapped in the instance: the instance has it from now on */
	/* The page's bytes: `data_length` of `data`, zeros after; `owned`
	 * once something wrote to the page before it was mapped. */
	const uint8_t *data;
	uint32_t data_length;
	uint8_t *owned;
};

void cli_pager_free(struct cli_pager *pager)
{
	for (size_t i = 0; i < pager->count; i++)
		free(pager->pages[i].owned);
	free(pager->pages);
	*pager = (struct cli_pager){0};
}

/* The index of the first page at or above `address`. */
static size_t lower_bound(const struct cli_pager *pager, uint64_t address)
{
	size_t low = 0, high = pager->count;
	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (pager->pages[middle].address < address)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

static struct cli_pending_page *find(const struct cli_pager *pager, uint32_t page)
{
	size_t at = lower_bound(pager, page);
	return at < pager->count && pager->pages[at].address == page ? &pager->pages[at] : NULL;
}

/* The entry for `page`, made (empty) if there is none; NULL out of memory. */
static struct cli_pending_page *entry(struct cli_pager *pager, uint32_t page)
{
	size_t at = lower_bound(pager, page);
	if (at < pager->count && pager->pages[at].address == page)
		return &pager->pages[at];
	if (!array_reserve((void **)&pager->pages, &pager->capacity, pager->count + 1, sizeof *pager->pages))
		return NULL;
	memmove(&pager->pages[at + 1], &pager->pages[at], (pager->count - at) * sizeof *pager->pages);
	pager->count++;
	pager->pages[at] = (struct cli_pending_page){.address = page};
	return &pager->pages[at];
}

static int fail(corral_error *error, corral_result code, const char *message)
{
	error->code = code;
	snprintf(error->message, sizeof error->message, "%s", message);
	return 1;
}

int cli_pager_add(struct cli_pager *pager, corral_instance *instance, uint32_t address, uint64_t length,
		  corral_page_access access, const uint8_t *data, size_t data_length, corral_error *error)
{
	/* Whatever corral_instance_map would refuse, it refuses now. */
	if (address % CORRAL_PAGE_SIZE || length % CORRAL_PAGE_SIZE || length > (1ull << 32) - address ||
	    (address < 0x10000 && length) || access > CORRAL_PAGE_WRITE)
		return corral_instance_map(instance, address, length, access, error) != CORRAL_OK;
	for (uint64_t offset = 0; offset < length; offset += CORRAL_PAGE_SIZE) {
		uint32_t page = (uint32_t)(address + offset);
		if (corral_instance_page_access(instance, page) != CORRAL_PAGE_NONE) {
			if (corral_instance_map(instance, page, CORRAL_PAGE_SIZE, access, error))
				return 1;
			continue;
		}
		struct cli_pending_page *pending = entry(pager, page);
		if (!pending)
			return fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "out of memory");
		free(pending->owned);
		size_t left = offset < data_length ? data_length - offset : 0;
		*pending = (struct cli_pending_page){
			.address = page,
			.access = access,
			.data = left ? data + offset : NULL,
			.data_length = (uint32_t)(left < CORRAL_PAGE_SIZE ? left : CORRAL_PAGE_SIZE),
		};
	}
	return 0;
}

static corral_result serve(struct cli_pager *pager, corral_instance *instance, struct cli_pending_page *page,
			   corral_error *error)
{
	const uint8_t *bytes = page->owned ? page->owned : page->data;
	size_t length = page->owned ? CORRAL_PAGE_SIZE : page->data_length;
	corral_result result =
		length ? corral_instance_map_bytes(instance, page->address, bytes, length, page->access, error)
		       : corral_instance_map(instance, page->address, CORRAL_PAGE_SIZE, page->access, error);
	if (result == CORRAL_OK) {
		page->served = true;
		pager->served++;
	}
	return result;
}

int cli_pager_write(struct cli_pager *pager, corral_instance *instance, uint32_t address, const uint8_t *bytes,
		    size_t length, corral_error *error)
{
	if (length > (1ull << 32) - address)
		return corral_instance_write(instance, address, bytes, length, error) != CORRAL_OK;
	while (length) {
		uint32_t page = address & ~(CORRAL_PAGE_SIZE - 1), offset = address - page;
		size_t chunk = CORRAL_PAGE_SIZE - offset < length ? CORRAL_PAGE_SIZE - offset : length;
		struct cli_pending_page *pending = find(pager, page);
		if (pending && !pending->served) {
			if (!pending->owned) {
				pending->owned = calloc(1, CORRAL_PAGE_SIZE);
				if (!pending->owned)
					return fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "out of memory");
				if (pending->data_length)
					memcpy(pending->owned, pending->data, pending->data_length);
			}
			memcpy(pending->owned + offset, bytes, chunk);
		} else if (corral_instance_write(instance, address, bytes, chunk, error)) {
			return 1;
		}
		address += (uint32_t)chunk;
		bytes += chunk;
		length -= chunk;
	}
	return 0;
}

int cli_pager_serve_range(struct cli_pager *pager, corral_instance *instance, uint32_t address, uint64_t length,
			  corral_error *error)
{
	uint64_t end = (uint64_t)address + length;
	for (size_t i = lower_bound(pager, address & ~(CORRAL_PAGE_SIZE - 1));
	     i < pager->count && pager->pages[i].address < end; i++)
		if (!pager->pages[i].served && serve(pager, instance, &pager->pages[i], error))
			return 1;
	return 0;
}

int cli_pager_serve_all(struct cli_pager *pager, corral_instance *instance, corral_error *error)
{
	return cli_pager_serve_range(pager, instance, 0, 1ull << 32, error);
}

corral_interrupt cli_pager_run(struct cli_pager *pager, corral_instance *instance)
{
	for (;;) {
		corral_interrupt stop = corral_instance_run(instance);
		if (!pager || stop.kind != CORRAL_PAGE_FAULT || stop.write_protected)
			return stop;
		struct cli_pending_page *page = find(pager, stop.address);
		if (!page || page->served)
			return stop;
		corral_error error;
		if (serve(pager, instance, page, &error)) {
			/* As cli_error says it, which the bench (linking this
			 * without the rest of cli/) does not have. */
			fflush(stdout);
			fprintf(stderr, "corral: cannot map page 0x%x on demand: %s\n", stop.address, error.message);
			return stop;
		}
	}
}
