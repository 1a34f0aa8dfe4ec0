/* The demand pager corral run and corral vectors give an instance under
 * --dynamic-paging (corral_instance_config.dynamic_paging): it holds the
 * pages the program should have (a standard program's layout, or what a
 * test vector maps and writes) without mapping them, and maps each with
 * its contents (corral_instance_map_bytes) the first time the guest
 * touches it, or when the host is about to read or write it. A fault on
 * any other page, or on a write-protected one, is the program's own. */
#ifndef CLI_PAGER_H
#define CLI_PAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corral.h"

struct cli_pending_page;

struct cli_pager {
	struct cli_pending_page *pages; /* sorted by address */
	size_t count, capacity;
	uint64_t served; /* pages mapped on demand so far */
};

void cli_pager_free(struct cli_pager *pager);

/* The pages [address, address + length) (page-aligned) are to have `access`
 * and hold `data` (`data_length` bytes, zeros after; borrowed, and it must
 * outlive the pager). Pages the instance has mapped already get the access
 * at once, as corral_instance_map gives it. 0, or 1 with the error filled. */
int cli_pager_add(struct cli_pager *pager, corral_instance *instance, uint32_t address, uint64_t length,
		  corral_page_access access, const uint8_t *data, size_t data_length, corral_error *error);

/* Writes guest memory as corral_instance_write would, into the pending
 * pages where they are not mapped yet. 0, or 1 with the error filled. */
int cli_pager_write(struct cli_pager *pager, corral_instance *instance, uint32_t address, const uint8_t *bytes,
		    size_t length, corral_error *error);

/* Maps every pending page of [address, address + length), or of all
 * memory: for the host's own reads and writes, and before comparing
 * memory. 0, or 1 with the error filled. */
int cli_pager_serve_range(struct cli_pager *pager, corral_instance *instance, uint32_t address, uint64_t length,
			  corral_error *error);
int cli_pager_serve_all(struct cli_pager *pager, corral_instance *instance, corral_error *error);

/* corral_instance_run, serving the page faults the pager can (pager may be
 * NULL: a plain run). A page it fails to map ends the run at that fault,
 * after printing why. */
corral_interrupt cli_pager_run(struct cli_pager *pager, corral_instance *instance);

#endif
