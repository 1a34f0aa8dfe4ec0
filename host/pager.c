/* Guest memory paged with userfaultfd (host/pager.h): the ioctls that keep
 * a view's pages in step with the page table.
 *
 * Every call here is made on the userfaultfd, from the host, whichever
 * process's memory it watches: the kernel works on the address space the
 * userfaultfd was made in, so a sandbox worker's zygote needs no system
 * call for any of it (and its seccomp filter allows none). If that process
 * has died, the ioctls fail with ESRCH rather than wait. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/internal.h"
#include "host/pager.h"

/* What paging asks of the kernel's userfaultfd: faults on memfd (shmem)
 * pages, missing and write-protected, delivered as SIGBUS. */
static const struct {
	uint64_t bit;
	const char *name;
} needed_features[] = {
	{UFFD_FEATURE_SIGBUS, "SIGBUS"},
	{UFFD_FEATURE_MISSING_SHMEM, "MISSING_SHMEM"},
	{UFFD_FEATURE_WP_HUGETLBFS_SHMEM, "WP_HUGETLBFS_SHMEM"},
};

/* And the ioctls a registered range must offer for it. */
#define NEEDED_RANGE_IOCTLS \
	((1ull << _UFFDIO_COPY) | (1ull << _UFFDIO_ZEROPAGE) | (1ull << _UFFDIO_WRITEPROTECT) | (1ull << _UFFDIO_WAKE))

/* Guest pages the view holds: the first 64 KiB are never mapped. */
#define LOW  ((uint64_t)PVM_LOWEST_ADDRESS)
#define HIGH (1ull << 32)

uint64_t host_pager_features(void)
{
	uint64_t bits = 0;
	for (size_t i = 0; i < sizeof needed_features / sizeof *needed_features; i++)
		bits |= needed_features[i].bit;
	return bits;
}

static corral_result handshake(int fd, const char *whose, corral_error *error)
{
	struct uffdio_api api = {.api = UFFD_API, .features = host_pager_features()};
	if (ioctl(fd, UFFDIO_API, &api)) {
		int problem = errno;
		char names[96] = "";
		for (size_t i = 0; i < sizeof needed_features / sizeof *needed_features; i++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
				 needed_features[i].name);
		corral_result result = host_fail(error, CORRAL_ERROR_SYSTEM, "%s: UFFDIO_API asking for %s: %s", whose,
						 names, strerror(problem));
		errno = problem;
		return result;
	}
	uint64_t needed_ioctls = (1ull << _UFFDIO_REGISTER) | (1ull << _UFFDIO_UNREGISTER);
	errno = EOPNOTSUPP;
	if ((api.ioctls & needed_ioctls) != needed_ioctls)
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "%s: the userfaultfd offers ioctls 0x%llx, without UFFDIO_REGISTER and UNREGISTER",
				 whose, (unsigned long long)api.ioctls);
	return CORRAL_OK;
}

corral_result host_pager_open(int *uffd, corral_error *error)
{
	*uffd = -1;
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot make a userfaultfd for dynamic paging: %s",
				 strerror(errno));
	corral_result result = handshake((int)fd, "dynamic paging in this process", error);
	if (result != CORRAL_OK) {
		close((int)fd);
		return result;
	}
	*uffd = (int)fd;
	return CORRAL_OK;
}

/* What the zygote sent as its userfaultfd must be one. */
static corral_result check_type(int fd, corral_error *error)
{
	static const char expected[] = "anon_inode:[userfaultfd]";
	char path[64], target[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t length = readlink(path, target, sizeof target - 1);
	if (length < 0)
		return host_fail(error, CORRAL_ERROR_SYSTEM, "the sandbox worker's userfaultfd: readlink %s: %s", path,
				 strerror(errno));
	target[length] = 0;
	if (strcmp(target, expected))
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "the sandbox worker sent fd %d as its userfaultfd, but it is %s, not %s", fd, target,
				 expected);
	return CORRAL_OK;
}

corral_result host_pager_receive(int channel, int32_t reported_errno, int *uffd, int *why, corral_error *error)
{
	*uffd = -1;
	*why = 0;
	char byte;
	struct iovec data = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr message = {
		.msg_iov = &data,
		.msg_iovlen = 1,
		.msg_control = &control,
		.msg_controllen = sizeof control,
	};
	/* It was sent before the zygote said READY. */
	ssize_t got = recvmsg(channel, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (got != 1)
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "the sandbox worker did not send its userfaultfd message at start-up: %s",
				 got < 0 ? strerror(errno) : "the message is not one byte");
	struct cmsghdr *header = CMSG_FIRSTHDR(&message);
	int fd = -1;
	bool one_fd = header && header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS &&
		      header->cmsg_len == CMSG_LEN(sizeof(int));
	if (one_fd)
		memcpy(&fd, CMSG_DATA(header), sizeof fd);
	if ((header && !one_fd) || (message.msg_flags & MSG_CTRUNC)) {
		if (fd >= 0)
			close(fd);
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "the sandbox worker's userfaultfd message carries something else than one fd");
	}
	if (fd < 0) {
		*why = reported_errno > 0 && reported_errno < 4096 ? reported_errno : EINVAL;
		return CORRAL_OK;
	}
	corral_result result = check_type(fd, error);
	if (result != CORRAL_OK) {
		close(fd);
		return result;
	}
	/* A kernel without a feature paging needs: the worker pages with
	 * mprotect. */
	if (handshake(fd, "the sandbox worker's userfaultfd", NULL) != CORRAL_OK) {
		*why = errno ? errno : EINVAL;
		close(fd);
		return CORRAL_OK;
	}
	*uffd = fd;
	return CORRAL_OK;
}

static struct uffdio_range guest_range(const struct host_pager *pager)
{
	return (struct uffdio_range){.start = pager->view + LOW, .len = HIGH - LOW};
}

corral_result host_pager_register(const struct host_pager *pager, corral_error *error)
{
	struct uffdio_register region = {
		.range = guest_range(pager),
		.mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP,
	};
	if (ioctl(pager->uffd, UFFDIO_REGISTER, &region))
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "cannot register guest memory with its userfaultfd (missing + write-protect): %s",
				 strerror(errno));
	if ((region.ioctls & NEEDED_RANGE_IOCTLS) != NEEDED_RANGE_IOCTLS)
		return host_fail(error, CORRAL_ERROR_SYSTEM,
				 "guest memory registered with its userfaultfd offers ioctls 0x%llx, without COPY, "
				 "ZEROPAGE and WRITEPROTECT",
				 (unsigned long long)region.ioctls);
	return CORRAL_OK;
}

corral_result host_pager_unregister(const struct host_pager *pager, corral_error *error)
{
	struct uffdio_range range = guest_range(pager);
	if (ioctl(pager->uffd, UFFDIO_UNREGISTER, &range))
		return host_fail(error, CORRAL_ERROR_SYSTEM, "cannot unregister guest memory from its userfaultfd: %s",
				 strerror(errno));
	return CORRAL_OK;
}

/* ---- the view's pages ------------------------------------------------------- */

static uint64_t view_of(const struct host_pager *pager, uint64_t page)
{
	return pager->view + (page << PVM_PAGE_SHIFT);
}

/* Out of the memfd: gone from every mapping of it, the view's included. */
static int punch(const struct host_pager *pager, uint64_t page, uint64_t count)
{
	return fallocate(pager->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(page << PVM_PAGE_SHIFT),
			 (off_t)(count << PVM_PAGE_SHIFT));
}

static int write_protect(const struct host_pager *pager, uint64_t page, uint64_t count, bool protect)
{
	/* SIGBUS mode: nobody ever waits on a fault, so none is to be woken. */
	struct uffdio_writeprotect change = {
		.range = {.start = view_of(pager, page), .len = count << PVM_PAGE_SHIFT},
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : UFFDIO_WRITEPROTECT_MODE_DONTWAKE,
	};
	return ioctl(pager->uffd, UFFDIO_WRITEPROTECT, &change);
}

/* A page the memfd holds already though the table said it did not: it is
 * made what a fresh page would be, through the alias, and writable (the
 * caller protects it if it is to be). */
static int reuse_present(const struct host_pager *pager, uint64_t page, const uint8_t *bytes)
{
	uint8_t *at = pager->alias + (page << PVM_PAGE_SHIFT);
	if (bytes)
		memcpy(at, bytes, PVM_PAGE_SIZE);
	else
		memset(at, 0, PVM_PAGE_SIZE);
	return write_protect(pager, page, 1, false);
}

/* UFFDIO_ZEROPAGE or UFFDIO_COPY (`bytes`: count whole pages) of missing
 * pages into the view, read-only (write-protected) if `protect`. The kernel
 * stops at a page that is there already; that one is reused. Every round
 * moves on by a page at least, or fails: the loop cannot spin. */
static int populate(const struct host_pager *pager, uint64_t page, uint64_t count, const uint8_t *bytes, bool protect)
{
	uint64_t done = 0;
	while (done < count) {
		uint64_t start = view_of(pager, page + done), length = (count - done) << PVM_PAGE_SHIFT;
		int64_t progress;
		if (bytes) {
			struct uffdio_copy copy = {
				.dst = start,
				.src = (uint64_t)(uintptr_t)(bytes + (done << PVM_PAGE_SHIFT)),
				.len = length,
				.mode = UFFDIO_COPY_MODE_DONTWAKE | (protect ? UFFDIO_COPY_MODE_WP : 0),
			};
			if (ioctl(pager->uffd, UFFDIO_COPY, &copy) == 0)
				return 0;
			progress = copy.copy;
		} else {
			struct uffdio_zeropage zero = {
				.range = {.start = start, .len = length},
				.mode = UFFDIO_ZEROPAGE_MODE_DONTWAKE,
			};
			if (ioctl(pager->uffd, UFFDIO_ZEROPAGE, &zero) == 0)
				return protect ? write_protect(pager, page, count, true) : 0;
			progress = zero.zeropage;
		}
		if (progress > 0) {
			done += (uint64_t)progress >> PVM_PAGE_SHIFT;
			continue;
		}
		if (errno != EEXIST)
			return -1;
		const uint8_t *source = bytes ? bytes + (done << PVM_PAGE_SHIFT) : NULL;
		if (reuse_present(pager, page + done, source) ||
		    (protect && write_protect(pager, page + done, 1, true)))
			return -1;
		done++;
	}
	/* ZEROPAGE got there in pieces: the protection is still to come. */
	return protect && !bytes ? write_protect(pager, page, count, true) : 0;
}

/* Runs of pages whose table entries are equal: f(pager, first, count,
 * entry) for each; stops at the first that fails. */
static int each_run(const struct host_pager *pager, const uint8_t *access, uint64_t first, uint64_t count,
		    int (*f)(const struct host_pager *, uint64_t, uint64_t, uint8_t, const void *), const void *context)
{
	uint64_t end = first + count;
	while (first < end) {
		uint64_t run = first + 1;
		while (run < end && access[run] == access[first])
			run++;
		if (f(pager, first, run - first, access[first], context))
			return -1;
		first = run;
	}
	return 0;
}

/* The view as the table entries `access` say, for pages that may have
 * been changed: freed where NONE, else protected where READ. */
static int restore_run(const struct host_pager *pager, uint64_t page, uint64_t count, uint8_t entry, const void *unused)
{
	(void)unused;
	if (entry == PVM_ACCESS_NONE)
		return punch(pager, page, count);
	return write_protect(pager, page, count, entry == PVM_ACCESS_READ);
}

/* Undoes a change that failed part way, keeping its errno: the view then
 * grants no more than the table, which was not changed. */
static int undo(const struct host_pager *pager, const uint8_t *access, uint64_t first, uint64_t count)
{
	int problem = errno;
	each_run(pager, access, first, count, restore_run, NULL);
	errno = problem;
	return -1;
}

static int change_run(const struct host_pager *pager, uint64_t page, uint64_t count, uint8_t entry, const void *to)
{
	bool protect = *(const enum pvm_access *)to == PVM_ACCESS_READ;
	if (entry == PVM_ACCESS_NONE)
		return populate(pager, page, count, NULL, protect);
	if ((entry == PVM_ACCESS_READ) != protect)
		return write_protect(pager, page, count, protect);
	return 0;
}

int host_pager_set_access(const struct host_pager *pager, const uint8_t *access, uint32_t first, uint32_t count,
			  enum pvm_access to)
{
	if (to == PVM_ACCESS_NONE)
		return punch(pager, first, count);
	if (each_run(pager, access, first, count, change_run, &to))
		return undo(pager, access, first, count);
	return 0;
}

int host_pager_fill(const struct host_pager *pager, const uint8_t *access, uint32_t first, uint32_t count,
		    const uint8_t *bytes, size_t length, enum pvm_access to)
{
	bool protect = to == PVM_ACCESS_READ;
	uint8_t last[PVM_PAGE_SIZE];
	for (uint64_t page = first, end = (uint64_t)first + count; page < end;) {
		uint64_t offset = (page - first) << PVM_PAGE_SHIFT;
		/* The bytes for this page: whole pages straight from the
		 * caller, the last (short) one from a zero-padded copy. */
		const uint8_t *source = bytes + offset;
		uint64_t whole = length > offset ? (length - offset) >> PVM_PAGE_SHIFT : 0;
		uint64_t run = 1;
		if (whole == 0) {
			memset(last, 0, sizeof last);
			if (length > offset)
				memcpy(last, source, length - offset);
			source = last;
		}
		if (access[page] == PVM_ACCESS_NONE) {
			while (page + run < end && run < whole && access[page + run] == PVM_ACCESS_NONE)
				run++;
			if (populate(pager, page, run, source, protect))
				return undo(pager, access, first, count);
		} else {
			memcpy(pager->alias + (page << PVM_PAGE_SHIFT), source, PVM_PAGE_SIZE);
			if ((access[page] == PVM_ACCESS_READ) != protect && write_protect(pager, page, 1, protect))
				return undo(pager, access, first, count);
		}
		page += run;
	}
	return 0;
}
