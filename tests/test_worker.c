/* The sandbox's zygote and its layers (zygote/, host/worker.c,
 * host/seccomp.c), seen from the host: a worker starts in namespaces of
 * its own with nothing of ours (no environment, no arguments, one fd, no
 * capabilities, an empty read-only root, tight rlimits, no_new_privs,
 * seccomp, Landlock), answers on its rings, maps code and runs it, turns
 * a fault in that code into a report and a fault anywhere else into its
 * death; start-up failures say which step failed. Then the attack zygote
 * (zygote/attacks.c) tries every escape in zygote/attacks.h, and each must
 * end as the table below says, with the host untouched: no signal, no
 * file, no fd. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/ring_client.h"
#include "host/worker.h"
#include "zygote/attacks.h"

/* The attack build, embedded in the test binary only. */
extern const struct host_zygote_image test_zygote_attacks;

#define assert_contains(haystack, needle) \
	cr_assert(strstr((haystack), (needle)) != NULL, "expected \"%s\" in: %s", (needle), (haystack))

static const struct host_ring_limits quick = {.wall_ns = 2000000000ull};

/* Starts a worker, or skips the test where this kernel or user may not
 * make the namespaces (any other failure fails the test). */
static void spawn(struct host_worker *worker, const struct host_zygote_image *image, uint32_t cpu_seconds)
{
	struct host_worker_options options = {.image = image, .cpu_seconds = cpu_seconds};
	corral_error error;
	if (host_worker_spawn(worker, &options, &error) == CORRAL_OK)
		return;
	if (strstr(error.message, "into new namespaces") || strstr(error.message, "user namespace"))
		cr_skip_test("no sandbox workers here: %s", error.message);
	cr_assert_fail("cannot start a worker: %s", error.message);
}

static uint64_t now_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static int count_entries(const char *path)
{
	DIR *dir = opendir(path);
	cr_assert(dir, "cannot list %s: %s", path, strerror(errno));
	int count = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)))
		count += entry->d_name[0] != '.';
	closedir(dir);
	return count;
}

static int count_fds(void)
{
	return count_entries("/proc/self/fd") - 1; /* the directory's own fd */
}

static int count_mappings(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	cr_assert(maps);
	int lines = 0, c;
	while ((c = fgetc(maps)) != EOF)
		lines += c == '\n';
	fclose(maps);
	return lines;
}

/* The file under /proc/<pid>/, whole; *length its size. */
static char *read_proc(pid_t pid, const char *name, size_t *length)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0, "cannot open %s: %s", path, strerror(errno));
	size_t size = 0, capacity = 1 << 16;
	char *text = malloc(capacity + 1);
	ssize_t got;
	while ((got = read(fd, text + size, capacity - size)) > 0)
		size += (size_t)got;
	close(fd);
	text[size] = 0;
	if (length)
		*length = size;
	return text;
}

/* The value after "<key>:" in /proc/<pid>/status. */
static void status_field(pid_t pid, const char *key, char *value, size_t size)
{
	char *text = read_proc(pid, "status", NULL);
	char pattern[64];
	snprintf(pattern, sizeof pattern, "%s:", key);
	char *at = text;
	while (at && strncmp(at, pattern, strlen(pattern)))
		at = (at = strchr(at, '\n')) ? at + 1 : NULL;
	cr_assert(at, "no %s in /proc/%d/status", key, (int)pid);
	at += strlen(pattern);
	at += strspn(at, " \t");
	snprintf(value, size, "%.*s", (int)strcspn(at, "\n"), at);
	free(text);
}

static void assert_status(pid_t pid, const char *key, const char *expected)
{
	char value[128];
	status_field(pid, key, value, sizeof value);
	cr_assert_str_eq(value, expected, "%s: %s, expected %s", key, value, expected);
}

static long landlock_abi(void)
{
	return syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */);
}

/* Posts one request and waits for its completion. */
static corral_result request(struct host_ring *ring, enum zygote_op op, uint64_t a0, uint64_t a1, uint64_t a2,
			     struct zygote_cqe *done, corral_error *error)
{
	struct zygote_sqe *sqe = host_ring_post(ring, op);
	cr_assert(sqe);
	sqe->args[0] = a0;
	sqe->args[1] = a1;
	sqe->args[2] = a2;
	struct zygote_cqe completions[ZYGOTE_RING_ENTRIES];
	size_t count;
	corral_result result = host_ring_complete(ring, &quick, completions, &count, error);
	if (result == CORRAL_OK) {
		cr_assert_eq(count, 1);
		*done = completions[0];
	}
	return result;
}

static int32_t request_ok(struct host_ring *ring, enum zygote_op op, uint64_t a0, uint64_t a1, uint64_t a2,
			  struct zygote_cqe *done)
{
	corral_error error;
	struct zygote_cqe ignored;
	cr_assert_eq(request(ring, op, a0, a1, a2, done ? done : &ignored, &error), CORRAL_OK, "%s", error.message);
	return (done ? done : &ignored)->result;
}

/* ---- a worker's layers ------------------------------------------------------- */

Test(worker, starts_with_nothing_of_the_host_and_every_layer_in_place)
{
	struct host_worker worker;
	spawn(&worker, NULL, 77);
	pid_t pid = worker.pid;

	size_t length;
	char *text = read_proc(pid, "environ", &length);
	cr_assert_eq(length, 0, "the zygote's environment is %zu bytes", length);
	free(text);
	text = read_proc(pid, "cmdline", &length);
	for (size_t i = 0; i < length; i++)
		cr_assert_eq(text[i], 0, "the zygote's command line has byte %zu: 0x%02x", i, (unsigned char)text[i]);
	free(text);

	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *fds = opendir(path);
	cr_assert(fds);
	struct dirent *entry;
	int count = 0;
	while ((entry = readdir(fds))) {
		if (entry->d_name[0] == '.')
			continue;
		count++;
		cr_assert_str_eq(entry->d_name, "3", "the zygote holds fd %s", entry->d_name);
	}
	closedir(fds);
	cr_assert_eq(count, 1, "the zygote holds %d fds", count);

	assert_status(pid, "Name", "corral-zygote");
	assert_status(pid, "NoNewPrivs", "1");
	assert_status(pid, "Seccomp", "2");
	assert_status(pid, "CapInh", "0000000000000000");
	assert_status(pid, "CapPrm", "0000000000000000");
	assert_status(pid, "CapEff", "0000000000000000");
	assert_status(pid, "CapBnd", "0000000000000000");
	assert_status(pid, "CapAmb", "0000000000000000");

	static const char *const namespaces[] = {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup"};
	for (size_t i = 0; i < sizeof namespaces / sizeof *namespaces; i++) {
		char ours[128] = {0}, theirs[128] = {0};
		snprintf(path, sizeof path, "/proc/self/ns/%s", namespaces[i]);
		cr_assert(readlink(path, ours, sizeof ours - 1) > 0);
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, namespaces[i]);
		cr_assert(readlink(path, theirs, sizeof theirs - 1) > 0, "%s: %s", path, strerror(errno));
		cr_assert_str_neq(ours, theirs, "the zygote shares our %s namespace (%s)", namespaces[i], ours);
	}

	/* Its root: an empty filesystem nobody can write. */
	snprintf(path, sizeof path, "/proc/%d/root", (int)pid);
	cr_assert_eq(count_entries(path), 0, "the zygote's root is not empty");
	snprintf(path, sizeof path, "/proc/%d/root/escape", (int)pid);
	cr_assert_neq(mkdir(path, 0700), 0, "a directory could be made in the zygote's root");
	cr_assert_eq(errno, EROFS, "mkdir in the zygote's root: %s", strerror(errno));

	char *limits = read_proc(pid, "limits", NULL);
	static const struct {
		const char *name, *soft, *hard;
	} expected_limits[] = {
		{"Max core file size", "0", "0"}, {"Max open files", "1", "1"},    {"Max processes", "0", "0"},
		{"Max file size", "0", "0"},      {"Max locked memory", "0", "0"}, {"Max msgqueue size", "0", "0"},
		{"Max cpu time", "77", "78"},
	};
	for (size_t i = 0; i < sizeof expected_limits / sizeof *expected_limits; i++) {
		char line[128];
		snprintf(line, sizeof line, "%-25s %-20s %-20s", expected_limits[i].name, expected_limits[i].soft,
			 expected_limits[i].hard);
		assert_contains(limits, line);
	}
	free(limits);

	bool has_landlock = landlock_abi() > 0;
	cr_assert_eq(!!(worker.layers & ZYGOTE_LAYER_LANDLOCK), has_landlock,
		     "the zygote reports Landlock %s, the kernel %s it", worker.layers ? "on" : "off",
		     has_landlock ? "has" : "lacks");

	char rss[64];
	status_field(pid, "VmRSS", rss, sizeof rss);
	cr_log_info("an idle worker's RSS: %s", rss);

	host_worker_kill(&worker);
	cr_assert(worker.dead);
	char how[128];
	host_worker_describe_exit(&worker, how, sizeof how);
	assert_contains(how, "killed by SIGKILL");
	host_worker_kill(&worker); /* twice is harmless */
}

Test(worker, starts_cold_in_a_few_milliseconds)
{
	struct host_worker worker;
	spawn(&worker, NULL, 0); /* the filter, the image memfd and the event loop, once */
	host_worker_kill(&worker);
	enum { STARTS = 15 };
	uint64_t took[STARTS];
	for (int i = 0; i < STARTS; i++) {
		uint64_t start = now_ns();
		spawn(&worker, NULL, 0);
		took[i] = now_ns() - start;
		host_worker_kill(&worker);
	}
	for (int i = 1; i < STARTS; i++)
		for (int j = i; j > 0 && took[j - 1] > took[j]; j--) {
			uint64_t swap = took[j];
			took[j] = took[j - 1];
			took[j - 1] = swap;
		}
	cr_log_info("a worker's cold start: median %.2f ms, fastest %.2f ms, slowest %.2f ms", took[STARTS / 2] / 1e6,
		    took[0] / 1e6, took[STARTS - 1] / 1e6);
	cr_expect_leq(took[STARTS / 2], 20000000ull, "a cold start takes %.2f ms", took[STARTS / 2] / 1e6);
}

/* Not a program at all. */
static const uint8_t garbage[64] = "not an ELF file";
static const struct host_zygote_image bogus = {garbage, sizeof garbage};

Test(worker, leaves_no_fd_and_no_mapping_behind)
{
	struct host_worker worker;
	corral_error error;
	/* Once for what is made once: the filter, each image's memfd. */
	spawn(&worker, NULL, 0);
	host_worker_kill(&worker);
	struct host_worker_options not_a_program = {.image = &bogus};
	cr_assert_neq(host_worker_spawn(&worker, &not_a_program, &error), CORRAL_OK);
	int fds = count_fds(), mappings = count_mappings();
	for (int i = 0; i < 3; i++) {
		spawn(&worker, NULL, 0);
		struct host_ring ring;
		host_ring_init(&ring, &worker);
		request_ok(&ring, ZYGOTE_OP_NOP, 0, 0, 0, NULL);
		host_worker_kill(&worker);
	}
	/* Starts that fail, in the zygote or before it runs, clean up too. */
	struct host_worker_options failing = {.cpu_seconds = ~0u};
	cr_assert_neq(host_worker_spawn(&worker, &failing, &error), CORRAL_OK);
	cr_assert_neq(host_worker_spawn(&worker, &not_a_program, &error), CORRAL_OK);
	cr_assert_eq(count_fds(), fds, "%d fds before, %d after", fds, count_fds());
	cr_assert_eq(count_mappings(), mappings, "%d mappings before, %d after", mappings, count_mappings());
}

Test(worker, says_which_start_up_step_failed_and_why)
{
	struct host_worker worker;
	spawn(&worker, NULL, 0);
	host_worker_kill(&worker);
	corral_error error;
	/* The zygote refuses a CPU-time limit it cannot raise by one. */
	struct host_worker_options options = {.cpu_seconds = ~0u};
	cr_assert_eq(host_worker_spawn(&worker, &options, &error), CORRAL_ERROR_SYSTEM);
	assert_contains(error.message, "start-up step 10 (setting rlimits)");
	assert_contains(error.message, strerror(EINVAL));

	/* Not a program at all: execveat says so. */
	options = (struct host_worker_options){.image = &bogus};
	cr_assert_eq(host_worker_spawn(&worker, &options, &error), CORRAL_ERROR_SYSTEM);
	assert_contains(error.message, "execveat the zygote's memfd");
	assert_contains(error.message, strerror(ENOEXEC));
}

/* ---- the rings, code and faults ---------------------------------------------- */

Test(worker, answers_each_request_in_order_and_refuses_unknown_ops)
{
	struct host_worker worker;
	spawn(&worker, NULL, 0);
	struct host_ring ring;
	host_ring_init(&ring, &worker);
	for (int i = 0; i < 10; i++)
		host_ring_post(&ring, ZYGOTE_OP_NOP);
	host_ring_post(&ring, (enum zygote_op)(ZYGOTE_OP_COUNT + 7));
	host_ring_post(&ring, ZYGOTE_OP_ATTACK); /* the release build has no attacks */
	struct zygote_cqe done[ZYGOTE_RING_ENTRIES];
	size_t count;
	corral_error error;
	cr_assert_eq(host_ring_complete(&ring, &quick, done, &count, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(count, 12);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(done[i].result, 0);
	cr_assert_eq(done[10].result, -EINVAL);
	cr_assert_eq(done[11].result, -EINVAL);
	/* The ring wraps around many times. */
	for (unsigned i = 0; i < 3 * ZYGOTE_RING_ENTRIES; i++)
		cr_assert_eq(request_ok(&ring, ZYGOTE_OP_NOP, 0, 0, 0, NULL), 0);
	host_worker_kill(&worker);
}

/* Hand-made code for the zygote: enter(anchor, target) jumps to target;
 * the code at LOAD reads guest memory at DATA into the context (anchor -
 * 8), STORE writes it, JUMP_TO_GUEST jumps into guest memory, BAD_OP is
 * ud2; the fault trampoline just returns to the zygote. */
enum {
	ENTER = 0,
	FAULT = 8,
	LOAD = 16,
	STORE = 48,
	JUMP_TO_GUEST = 80,
	BAD_OP = 112,
	CODE_SIZE = 4096,
};
#define DATA 0x20000u

static int code_memfd(bool seal)
{
	uint8_t code[CODE_SIZE] = {0};
	static const uint8_t enter[] = {0xff, 0xe6};                 /* jmp *%rsi */
	static const uint8_t fault[] = {0xc3};                       /* ret */
	static const uint8_t load[] = {0xb9, 0x00, 0x00, 0x02, 0x00, /* mov $DATA, %ecx */
				       0x8b, 0x01,                   /* mov (%rcx), %eax */
				       0x89, 0x47, 0xf8,             /* mov %eax, -8(%rdi) */
				       0xc3};
	static const uint8_t store[] = {0xb9, 0x00, 0x00, 0x02, 0x00,       /* mov $DATA, %ecx */
					0xc7, 0x01, 0x78, 0x56, 0x34, 0x12, /* movl $0x12345678, (%rcx) */
					0xc3};
	static const uint8_t jump[] = {0xb9, 0x00, 0x00, 0x02, 0x00, 0xff, 0xe1}; /* jmp *%rcx */
	static const uint8_t bad[] = {0x0f, 0x0b};                                /* ud2 */
	memcpy(code + ENTER, enter, sizeof enter);
	memcpy(code + FAULT, fault, sizeof fault);
	memcpy(code + LOAD, load, sizeof load);
	memcpy(code + STORE, store, sizeof store);
	memcpy(code + JUMP_TO_GUEST, jump, sizeof jump);
	memcpy(code + BAD_OP, bad, sizeof bad);
	int fd = memfd_create("test-code", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, code, sizeof code), (ssize_t)sizeof code);
	if (seal)
		cr_assert_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), 0);
	return fd;
}

static void send_code(struct host_worker *worker)
{
	int fd = code_memfd(true);
	corral_error error;
	cr_assert_eq(host_worker_send_fd(worker, fd, &error), CORRAL_OK, "%s", error.message);
	close(fd);
}

static uint32_t context_word(struct host_worker *worker)
{
	uint32_t value;
	memcpy(&value, worker->shared + ZYGOTE_ANCHOR_OFFSET - 8, sizeof value);
	return value;
}

Test(worker, maps_sealed_code_runs_it_and_reports_faults_in_it)
{
	struct host_worker worker;
	spawn(&worker, NULL, 0);
	struct host_ring ring;
	host_ring_init(&ring, &worker);
	struct zygote_cqe done;

	cr_assert_eq(request_ok(&ring, ZYGOTE_OP_RUN, ENTER, LOAD, 0, NULL), -ENOEXEC, "no code yet");
	/* Bad arguments: the fd is consumed all the same. */
	send_code(&worker);
	cr_assert_eq(request_ok(&ring, ZYGOTE_OP_MAP_CODE, 0, FAULT, 0, NULL), -EINVAL);
	send_code(&worker);
	cr_assert_eq(request_ok(&ring, ZYGOTE_OP_MAP_CODE, CODE_SIZE, CODE_SIZE, 0, NULL), -EINVAL);
	send_code(&worker);
	cr_assert_eq(request_ok(&ring, ZYGOTE_OP_MAP_CODE, CODE_SIZE, FAULT, 0, NULL), 0);
	cr_assert_eq(request_ok(&ring, ZYGOTE_OP_RUN, CODE_SIZE, LOAD, 0, NULL), -EINVAL);

	/* Guest memory starts inaccessible: the load faults in the code. */
	request_ok(&ring, ZYGOTE_OP_RUN, ENTER, LOAD, 0, &done);
	cr_assert_eq(done.result, 0);
	cr_assert_eq(done.values[0], SIGSEGV);
	cr_assert_eq(done.values[1], LOAD + 5, "the fault at native offset %llu", (unsigned long long)done.values[1]);
	cr_assert_eq(done.values[2], DATA);

	/* Readable: the load sees what the host wrote; the store faults. */
	cr_assert_eq(request_ok(&ring, ZYGOTE_OP_PROTECT, DATA, 4096, ZYGOTE_ACCESS_READ, NULL), 0);
	memcpy(worker.guest + DATA, &(uint32_t){0xC0FFEE}, 4);
	request_ok(&ring, ZYGOTE_OP_RUN, ENTER, LOAD, 0, &done);
	cr_assert_eq(done.values[0], 0, "a fault by signal %llu", (unsigned long long)done.values[0]);
	cr_assert_eq(context_word(&worker), 0xC0FFEE);
	request_ok(&ring, ZYGOTE_OP_RUN, ENTER, STORE, 0, &done);
	cr_assert_eq(done.values[0], SIGSEGV);
	cr_assert_eq(done.values[1], STORE + 5);

	/* Writable: the host sees the store. */
	cr_assert_eq(request_ok(&ring, ZYGOTE_OP_PROTECT, DATA, 4096, ZYGOTE_ACCESS_WRITE, NULL), 0);
	request_ok(&ring, ZYGOTE_OP_RUN, ENTER, STORE, 0, &done);
	cr_assert_eq(done.values[0], 0);
	uint32_t stored;
	memcpy(&stored, worker.guest + DATA, 4);
	cr_assert_eq(stored, 0x12345678);

	/* An illegal instruction in the code is reported too. */
	request_ok(&ring, ZYGOTE_OP_RUN, ENTER, BAD_OP, 0, &done);
	cr_assert_eq(done.values[0], SIGILL);
	cr_assert_eq(done.values[1], BAD_OP);

	/* Replacing the code works, and the zygote keeps serving. */
	send_code(&worker);
	cr_assert_eq(request_ok(&ring, ZYGOTE_OP_MAP_CODE, CODE_SIZE, FAULT, 0, NULL), 0);
	request_ok(&ring, ZYGOTE_OP_RUN, ENTER, LOAD, 0, &done);
	cr_assert_eq(done.values[0], 0);

	/* Guest memory is never executable: jumping there is a fault
	 * outside the code, which ends the zygote. */
	corral_error error;
	cr_assert_neq(request(&ring, ZYGOTE_OP_RUN, ENTER, JUMP_TO_GUEST, 0, &done, &error), CORRAL_OK);
	cr_assert(worker.dead);
	cr_assert_eq(worker.exit_code, CLD_EXITED);
	cr_assert_eq(worker.exit_status, ZYGOTE_EXIT_FAULT_BASE + SIGSEGV);
	assert_contains(error.message, "SIGSEGV outside compiled code");
	host_worker_kill(&worker);
}

Test(worker, refuses_protections_outside_guest_memory)
{
	struct host_worker worker;
	spawn(&worker, NULL, 0);
	struct host_ring ring;
	host_ring_init(&ring, &worker);
	static const struct {
		uint64_t address, length, access;
	} bad[] = {
		{DATA + 1, 4096, ZYGOTE_ACCESS_READ},         /* unaligned */
		{DATA, 100, ZYGOTE_ACCESS_READ},              /* unaligned length */
		{0, 4096, ZYGOTE_ACCESS_READ},                /* below ZYGOTE_GUEST_LOW */
		{ZYGOTE_GUEST_END, 4096, ZYGOTE_ACCESS_READ}, /* the guard */
		{ZYGOTE_GUEST_END - 4096, 8192, ZYGOTE_ACCESS_READ},
		{DATA, ~0ull << 12, ZYGOTE_ACCESS_READ}, /* wraps around */
		{DATA, 4096, ZYGOTE_ACCESS_WRITE + 1},   /* execute, say */
		{ZYGOTE_CODE_ADDRESS, 4096, ZYGOTE_ACCESS_WRITE},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(request_ok(&ring, ZYGOTE_OP_PROTECT, bad[i].address, bad[i].length, bad[i].access, NULL),
			     -EINVAL, "protect %#llx + %#llx to %llu", (unsigned long long)bad[i].address,
			     (unsigned long long)bad[i].length, (unsigned long long)bad[i].access);
	cr_assert_eq(request_ok(&ring, ZYGOTE_OP_PROTECT, ZYGOTE_GUEST_LOW, ZYGOTE_GUEST_END - ZYGOTE_GUEST_LOW,
				ZYGOTE_ACCESS_WRITE, NULL),
		     0);
	host_worker_kill(&worker);
}

Test(worker, the_filter_is_built_once_and_checks_the_architecture_first)
{
	const struct zygote_filter_insn *filter, *again;
	size_t length, length_again;
	corral_error error;
	cr_assert_eq(host_seccomp_filter(&filter, &length, &error), CORRAL_OK, "%s", error.message);
	cr_assert_eq(host_seccomp_filter(&again, &length_again, &error), CORRAL_OK);
	cr_assert_eq(filter, again);
	cr_assert_eq(length, length_again);
	cr_assert(length > 10 && length <= ZYGOTE_FILTER_MAX, "%zu instructions", length);
	/* ld [4] (seccomp_data.arch); jeq AUDIT_ARCH_X86_64 */
	cr_assert_eq(filter[0].code, 0x20);
	cr_assert_eq(filter[0].k, 4);
	cr_assert_eq(filter[1].code, 0x15);
	cr_assert_eq(filter[1].k, 0xc000003e);
}

/* Linux 6.15: how a process that is not our child ended, from its pidfd. */
struct pidfd_info {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
	uint32_t coredump_mask, spare;
};
#define PIDFD_INFO_EXIT (1u << 3)
#define PIDFD_GET_INFO  _IOWR(0xFF, 11, struct pidfd_info)

Test(worker, exits_by_itself_when_its_host_is_gone_and_not_before, .timeout = 20)
{
	/* Idle past its first look at the channel, it still answers. */
	struct host_worker worker;
	spawn(&worker, NULL, 0);
	struct host_ring ring;
	host_ring_init(&ring, &worker);
	usleep(1500000);
	cr_assert_eq(request_ok(&ring, ZYGOTE_OP_NOP, 0, 0, 0, NULL), 0);
	host_worker_kill(&worker);

	int pipe_fds[2];
	cr_assert_eq(pipe(pipe_fds), 0);
	pid_t host = fork();
	cr_assert(host >= 0);
	if (host == 0) {
		struct host_worker orphan;
		pid_t pid = host_worker_spawn(&orphan, NULL, NULL) == CORRAL_OK ? orphan.pid : -1;
		(void)!write(pipe_fds[1], &pid, sizeof pid);
		_exit(0);
	}
	pid_t zygote = -1;
	cr_assert_eq(read(pipe_fds[0], &zygote, sizeof zygote), (ssize_t)sizeof zygote);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	int pidfd = zygote > 0 ? (int)syscall(SYS_pidfd_open, zygote, 0) : -1;
	waitpid(host, NULL, 0);
	cr_assert(pidfd >= 0, "the orphan's zygote: %s", zygote > 0 ? strerror(errno) : "did not start");
	struct pollfd exited = {.fd = pidfd, .events = POLLIN};
	cr_assert_eq(poll(&exited, 1, 5000), 1, "the orphaned zygote %d is still running after 5 s", (int)zygote);
	struct pidfd_info info = {.mask = PIDFD_INFO_EXIT};
	if (ioctl(pidfd, PIDFD_GET_INFO, &info) == 0 && (info.mask & PIDFD_INFO_EXIT))
		cr_assert(WIFEXITED(info.exit_code) && WEXITSTATUS(info.exit_code) == ZYGOTE_EXIT_ORPHANED,
			  "the orphaned zygote ended with wait status %#x", (unsigned)info.exit_code);
	close(pidfd);
}

/* ---- attacks ------------------------------------------------------------------ */

enum outcome {
	KILLED_BY_SECCOMP, /* SIGSYS */
	REFUSED,           /* the call is allowed but the kernel says no */
	FAULTED,           /* exits as on a fault of its own */
	HUNG,              /* no answer: the host times out */
	BROKE_THE_RING,    /* the host sees a completion tail out of range */
	EXITED,            /* exit_group(0) mid-job */
};

static enum outcome expected_outcome(enum zygote_attack attack)
{
	switch (attack) {
	case ZYGOTE_ATTACK_MMAP_CHANNEL:
		return REFUSED;
	case ZYGOTE_ATTACK_RDTSC:
		return FAULTED;
	case ZYGOTE_ATTACK_HANG:
		return HUNG;
	case ZYGOTE_ATTACK_GARBAGE:
		return BROKE_THE_RING;
	case ZYGOTE_ATTACK_EXIT:
		return EXITED;
	default:
		return KILLED_BY_SECCOMP;
	}
}

/* Signals the host must not receive, counted while an attack runs; but
 * for the one SIGCHLD of the zygote's own death (exec gave it SIGCHLD as
 * its exit signal, host/worker.c says why). */
static const int watched_signals[] = {SIGCHLD, SIGPIPE, SIGSYS,  SIGHUP,  SIGURG,  SIGIO,   SIGUSR1,
				      SIGUSR2, SIGALRM, SIGXCPU, SIGXFSZ, SIGTTIN, SIGTTOU, SIGWINCH};
static volatile sig_atomic_t signals_received, last_signal, zygote_deaths;
static volatile pid_t zygote_pid;

static void count_signal(int signal, siginfo_t *info, void *context)
{
	(void)context;
	if (signal == SIGCHLD && info->si_pid == zygote_pid && info->si_code != CLD_STOPPED &&
	    info->si_code != CLD_CONTINUED) {
		zygote_deaths++;
		return;
	}
	signals_received++;
	last_signal = signal;
}

ParameterizedTestParameters(worker, every_attack_ends_as_it_must_and_leaves_the_host_untouched)
{
	static int attacks[ZYGOTE_ATTACK_COUNT];
	for (int i = 0; i < ZYGOTE_ATTACK_COUNT; i++)
		attacks[i] = i;
	return cr_make_param_array(int, attacks, ZYGOTE_ATTACK_COUNT);
}

ParameterizedTest(int *number, worker, every_attack_ends_as_it_must_and_leaves_the_host_untouched, .timeout = 30)
{
	enum zygote_attack attack = (enum zygote_attack) * number;
	const char *name = zygote_attack_names[attack];
	enum outcome expected = expected_outcome(attack);
	struct host_worker worker;
	spawn(&worker, &test_zygote_attacks, 0); /* the image memfd and the event loop, once */
	host_worker_kill(&worker);

	char file[128];
	snprintf(file, sizeof file, "/tmp/corral-attack-%d-%d", (int)getpid(), *number);
	unlink(file);
	int fds = count_fds();
	struct sigaction counter = {.sa_sigaction = count_signal, .sa_flags = SA_SIGINFO | SA_RESTART},
			 saved[sizeof watched_signals / sizeof *watched_signals];
	sigemptyset(&counter.sa_mask);
	for (size_t i = 0; i < sizeof watched_signals / sizeof *watched_signals; i++)
		sigaction(watched_signals[i], &counter, &saved[i]);

	spawn(&worker, &test_zygote_attacks, 0);
	zygote_pid = worker.pid;
	struct host_ring ring;
	host_ring_init(&ring, &worker);
	/* The file the create attack tries to make, named in guest memory. */
	memcpy(worker.guest + ZYGOTE_GUEST_LOW, file, strlen(file) + 1);
	request_ok(&ring, ZYGOTE_OP_PROTECT, ZYGOTE_GUEST_LOW, 4096, ZYGOTE_ACCESS_WRITE, NULL);

	struct zygote_sqe *sqe = host_ring_post(&ring, ZYGOTE_OP_ATTACK);
	sqe->args[0] = (uint64_t)attack;
	sqe->args[1] = ZYGOTE_GUEST_LOW;
	struct host_ring_limits limits = {.wall_ns = expected == HUNG ? 300000000ull : 3000000000ull};
	struct zygote_cqe done[ZYGOTE_RING_ENTRIES];
	size_t count;
	corral_error error;
	corral_result result = host_ring_complete(&ring, &limits, done, &count, &error);
	uint32_t head = worker.control->completion.head, tail = worker.control->completion.tail;
	host_worker_exited(&worker);
	uint64_t mark;
	memcpy(&mark, worker.guest + ZYGOTE_GUEST_LOW + ZYGOTE_ATTACK_MARK, sizeof mark);
	cr_expect_eq(mark, (uint64_t)attack + 1, "%s: the zygote never got to try it", name);
	char how[128];
	host_worker_describe_exit(&worker, how, sizeof how);

	switch (expected) {
	case KILLED_BY_SECCOMP:
		cr_expect_neq(result, CORRAL_OK, "%s: survived, returning %d", name, count ? done[0].result : 0);
		cr_expect(worker.dead && worker.exit_code == CLD_KILLED && worker.exit_status == SIGSYS,
			  "%s: the zygote %s, not killed by SIGSYS", name, how);
		break;
	case REFUSED:
		cr_expect_eq(result, CORRAL_OK, "%s: %s", name, error.message);
		cr_expect(count == 1 && done[0].result < 0, "%s: returned %d", name, count ? done[0].result : 0);
		cr_expect(!worker.dead, "%s: the zygote %s", name, how);
		break;
	case FAULTED:
		cr_expect(worker.dead && worker.exit_code == CLD_EXITED &&
				  worker.exit_status == ZYGOTE_EXIT_FAULT_BASE + SIGSEGV,
			  "%s: the zygote %s", name, how);
		break;
	case HUNG:
		cr_expect_neq(result, CORRAL_OK, "%s: it answered", name);
		assert_contains(error.message, "did not answer");
		cr_expect(!worker.dead, "%s: the zygote %s", name, how);
		break;
	case BROKE_THE_RING:
		cr_expect_neq(result, CORRAL_OK, "%s: the host took the garbage", name);
		assert_contains(error.message, "broke the ring protocol");
		cr_expect_gt(tail - head, ZYGOTE_RING_ENTRIES, "%s: completion tail %u, head %u", name, tail, head);
		break;
	case EXITED:
		cr_expect_neq(result, CORRAL_OK, "%s: it answered", name);
		cr_expect(worker.dead && worker.exit_code == CLD_EXITED && worker.exit_status == 0, "%s: the zygote %s",
			  name, how);
		break;
	}
	host_worker_kill(&worker);

	for (size_t i = 0; i < sizeof watched_signals / sizeof *watched_signals; i++)
		sigaction(watched_signals[i], &saved[i], NULL);
	cr_expect_eq(signals_received, 0, "%s: the host received %d signals (the last %d)", name, (int)signals_received,
		     (int)last_signal);
	cr_expect_leq(zygote_deaths, 1, "%s: %d SIGCHLDs for one zygote", name, (int)zygote_deaths);
	struct stat status;
	cr_expect_neq(stat(file, &status), 0, "%s: %s was created", name, file);
	unlink(file);
	cr_expect_eq(count_fds(), fds, "%s: %d fds before, %d after", name, fds, count_fds());
}

Test(worker, the_cpu_time_limit_is_a_backstop_for_a_spinning_zygote, .timeout = 20)
{
	struct host_worker worker;
	spawn(&worker, &test_zygote_attacks, 1);
	struct host_ring ring;
	host_ring_init(&ring, &worker);
	struct zygote_sqe *sqe = host_ring_post(&ring, ZYGOTE_OP_ATTACK);
	sqe->args[0] = ZYGOTE_ATTACK_HANG;
	struct host_ring_limits limits = {.wall_ns = 10000000000ull};
	struct zygote_cqe done[ZYGOTE_RING_ENTRIES];
	size_t count;
	corral_error error;
	cr_assert_neq(host_ring_complete(&ring, &limits, done, &count, &error), CORRAL_OK);
	cr_assert(worker.dead, "%s", error.message);
	cr_assert_eq(worker.exit_code, CLD_EXITED, "killed by signal %d", worker.exit_status);
	cr_assert_eq(worker.exit_status, ZYGOTE_EXIT_CPU_TIME);
	assert_contains(error.message, "CPU-time limit");
	host_worker_kill(&worker);
}
