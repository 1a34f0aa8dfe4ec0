/* The host `corral run` gives guests built with the SDK: corral_write,
 * corral_read and corral_exit on the process's own standard streams, and
 * corral_sbrk (host call 1003) for GP 0.8 code, which has no sbrk. */
#ifndef CLI_GUEST_HOST_H
#define CLI_GUEST_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corral.h"

#define GUEST_DEFAULT_ENTRY "_start"

/* Exit statuses for a guest that stops without exiting, as a shell reports
 * the signals that come closest: SIGABRT, SIGSEGV, SIGXCPU. */
#define GUEST_STATUS_TRAP       134
#define GUEST_STATUS_FAULT      139
#define GUEST_STATUS_OUT_OF_GAS 152

/* Was the module built with the guest SDK (corral link's metadata, or
 * imports of the SDK's host functions)? */
bool guest_host_detect(const corral_module *module);

/* The numbering a guest's metadata says its code uses ("isa gp0.8" after
 * the magic line, else GP 0.7); false when the metadata is not corral link's. */
bool guest_metadata_isa(const uint8_t *metadata, size_t length, corral_isa *isa);

/* Where the export `name` starts; -1 if there is none. For "_start" a
 * program without that export starts at its first export, or pc 0. */
int guest_host_entry(const corral_module *module, const char *name, uint32_t *pc);

struct cli_pager;

/* Runs until the guest exits; returns its exit status (0..255), or one of
 * the statuses above after saying on stderr why it stopped. Under dynamic
 * paging `pager` maps the pages the guest, or the host answering it,
 * touches (else NULL). */
int guest_host_run(corral_instance *instance, const corral_module *module, const char *path, struct cli_pager *pager);

#endif
