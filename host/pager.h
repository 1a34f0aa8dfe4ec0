/* Guest memory paged with userfaultfd (dynamic paging of compiled code).
 *
 * The guest's pages live in a memfd. The view compiled code runs against
 * (a sandbox worker's zygote's mapping, or one in this process) is a single
 * read-write mapping of it, registered with a userfaultfd for missing pages
 * and for write protection, in SIGBUS mode: the first touch of a page that
 * is not in the memfd, and a store to a write-protected page, raise SIGBUS
 * in the thread that ran the access, which the fault handlers already turn
 * into an exit of the compiled code. Nothing ever waits on the userfaultfd,
 * so no fault can leave anyone blocked.
 *
 * The host keeps the page table (host/guest_memory.c) and makes the view
 * agree with it on every change, through the userfaultfd's ioctls:
 *
 *   table says            the view has
 *   NONE                  no page in the memfd (punched out): missing
 *   READ                  the page, write-protected
 *   WRITE (protected)     the page, write-protected (the table says READ)
 *   WRITE                 the page, writable
 *
 * so one mapping serves any number of scattered pages (per-page mprotect
 * would split it into a VMA per run and pass vm.max_map_count). The host
 * reads and writes guest memory through its own mapping of the memfd (the
 * alias), which no userfaultfd watches: that is how the embedder writes
 * read-only pages. */
#ifndef HOST_PAGER_H
#define HOST_PAGER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/memory.h"
#include "corral.h"

struct host_pager {
	int uffd;       /* the userfaultfd (not owned) */
	int memfd;      /* the guest's pages, offset = guest address (not owned) */
	uint64_t view;  /* guest address 0 in the address space the userfaultfd watches */
	uint8_t *alias; /* guest address 0 in ours: read-write, unwatched */
};

/* The UFFD_FEATURE_* bits paging asks for (corral check probes them). */
uint64_t host_pager_features(void);

/* A userfaultfd for memory of this process (UFFD_USER_MODE_ONLY, so that
 * no privilege is needed), its API handshaken asking for SIGBUS delivery
 * and missing and write-protect faults on shmem. */
corral_result host_pager_open(int *uffd, corral_error *error);

/* Takes the message a sandbox worker's zygote sends at start-up
 * (zygote/protocol.h, ZYGOTE_STEP_USERFAULTFD) off `channel`: its
 * userfaultfd, checked (readlink says it is one) and handshaken as above,
 * into *uffd; or -1 and in *why the errno that kept the zygote from making
 * one, or the handshake from working (paging in that worker is then with
 * mprotect). Fails on a message that breaks the protocol, or an fd that is
 * no userfaultfd. */
corral_result host_pager_receive(int channel, int32_t reported_errno, int *uffd, int *why, corral_error *error);

/* Watches (or stops watching) guest addresses [64 KiB, 4 GiB) of the view. */
corral_result host_pager_register(const struct host_pager *pager, corral_error *error);
corral_result host_pager_unregister(const struct host_pager *pager, corral_error *error);

/* Makes the view of pages [first, first + count) agree with the table
 * entry `to` (enum pvm_access as the table will hold it), given their
 * entries now in `access`: frees, zero-fills, protects or unprotects. On
 * failure returns -1 with errno set, after undoing what it did where it
 * can, so that the view never grants more than the table. */
int host_pager_set_access(const struct host_pager *pager, const uint8_t *access, uint32_t first, uint32_t count,
			  enum pvm_access to);

/* The same for pages that are to hold `bytes` (zeros after, `length` at
 * most count pages): pages not in the memfd yet are filled with
 * UFFDIO_COPY, the others through the alias. */
int host_pager_fill(const struct host_pager *pager, const uint8_t *access, uint32_t first, uint32_t count,
		    const uint8_t *bytes, size_t length, enum pvm_access to);

#endif
