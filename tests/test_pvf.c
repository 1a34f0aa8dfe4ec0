/* The validation pipeline (host/pvf*.c, corral_pvf_* in corral.h), broken
 * on purpose: job processes killed with SIGKILL at random moments,
 * artifacts corrupted and deleted on disk, guests that loop forever,
 * exhaust memory or return garbage, compromised jobs (the test-only attack
 * builds of the zygote and of the prepare job) making a refused system
 * call, a hundred identical requests at once; each must land in its outcome
 * class with exactly the retries the rules allow. After a thousand jobs
 * with faults no process, fd, memfd, temporary file or cgroup may be left.
 * Also: the artifact checks and pruning, the socket protocol's parser, the
 * daemon and its client, SHA-256.
 *
 * The guests are built with the test binary ($CORRAL_BUILD/tests/pvf/:
 * guest/examples/adder.c, tests/pvf/faults.c). The retry rules read a fake
 * clock, so that 15 minutes pass in no time; job limits are real CPU time.
 * Sandboxing needs user namespaces and memory limits need root (CI has
 * both): elsewhere the tests that need them skip, saying why. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/features.h"
#include "host/internal.h"
#include "host/pool.h"
#include "host/pvf_artifact.h"
#include "host/pvf_test.h"
#include "host/pvf_wire.h"
#include "host/ring_client.h"
#include "host/sha256.h"
#include "tests/guest_run.h"
#include "tests/support.h"
#include "zygote/attacks.h"

extern const struct host_zygote_image test_zygote_attacks;
extern const struct host_zygote_image test_pvf_prepare_attacks;

#define MINUTE_NS (60ull * 1000000000ull)
#define BLOCK     "parent 41\nblock 41\nadd 1\nadd 2\n"

/* ---- helpers ---------------------------------------------------------------------- */

/* The retry rules' clock: sleeping moves it, nothing else does. */
struct fake_clock {
	uint64_t now;
};

static uint64_t fake_now(void *context)
{
	return __atomic_load_n(&((struct fake_clock *)context)->now, __ATOMIC_SEQ_CST);
}

static void fake_sleep(void *context, uint64_t ns)
{
	__atomic_add_fetch(&((struct fake_clock *)context)->now, ns, __ATOMIC_SEQ_CST);
}

struct pipeline {
	corral_pvf *pvf;
	char dir[PATH_MAX];
	struct fake_clock clock;
	corral_pvf_config config;
};

static const char *build_folder(void)
{
	const char *build = getenv("CORRAL_BUILD");
	return build && *build ? build : "build";
}

/* A guest of tests/pvf/ built with the test binary. */
static uint8_t *guest(const char *name, size_t *length)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/tests/pvf/%s", build_folder(), name);
	if (access(path, R_OK))
		cr_skip_test("%s is not built (make builds it with the test binary)", path);
	return support_read_file(path, length);
}

/* A configuration with a fresh cache folder and the fake clock. */
static void pipeline_config(struct pipeline *pipeline)
{
	support_require_sandbox();
	const char *base = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(pipeline->dir, sizeof pipeline->dir, "%s/corral-pvf-test-XXXXXX", base);
	cr_assert_not_null(mkdtemp(pipeline->dir), "cannot make a temporary folder");
	corral_pvf_config_init(&pipeline->config);
	pipeline->config.cache_dir = pipeline->dir;
	pipeline->config.clock = (corral_pvf_clock){fake_now, fake_sleep, &pipeline->clock};
	pipeline->clock.now = 1000 * MINUTE_NS;
}

static void pipeline_start(struct pipeline *pipeline, const struct host_pvf_test_hooks *hooks)
{
	corral_error error;
	corral_result result = host_pvf_new_with_hooks(&pipeline->config, hooks, &pipeline->pvf, &error);
	cr_assert_eq(result, CORRAL_OK, "corral_pvf_new: %s", error.message);
}

static void pipeline_stop(struct pipeline *pipeline)
{
	corral_pvf_free(pipeline->pvf);
	pipeline->pvf = NULL;
}

static void remove_folder(const char *dir)
{
	char command[PATH_MAX + 16];
	snprintf(command, sizeof command, "rm -rf '%s'", dir);
	cr_expect_eq(system(command), 0);
}

/* Stops the pipeline and removes its cache folder. */
static void pipeline_finish(struct pipeline *pipeline)
{
	pipeline_stop(pipeline);
	remove_folder(pipeline->dir);
}

static corral_pvf_result run(struct pipeline *pipeline, const uint8_t *program, size_t length, const char *input,
			     corral_pvf_mode mode)
{
	corral_pvf_request request = {
		.program = program,
		.program_length = length,
		.input = (const uint8_t *)input,
		.input_length = input ? strlen(input) : 0,
		.mode = mode,
		.name = "test.jam",
	};
	corral_pvf_result result;
	corral_error error;
	cr_assert_eq(corral_pvf_validate(pipeline->pvf, &request, &result, &error), CORRAL_OK, "%s", error.message);
	return result;
}

static void expect_outcome(const corral_pvf_result *result, corral_pvf_verdict verdict, corral_pvf_reason reason,
			   uint32_t execute_attempts, const char *what)
{
	cr_expect_eq(result->verdict, verdict, "%s: verdict %s, not %s (%s: %s)", what,
		     corral_pvf_verdict_name(result->verdict), corral_pvf_verdict_name(verdict),
		     corral_pvf_reason_name(result->reason), result->message);
	cr_expect_eq(result->reason, reason, "%s: reason %s, not %s (%s)", what, corral_pvf_reason_name(result->reason),
		     corral_pvf_reason_name(reason), result->message);
	cr_expect_eq(result->execute_attempts, execute_attempts, "%s: %u executions, not %u (%s)", what,
		     result->execute_attempts, execute_attempts, result->message);
}

static corral_pvf_stats stats_of(struct pipeline *pipeline)
{
	corral_pvf_stats stats;
	corral_pvf_get_stats(pipeline->pvf, &stats);
	return stats;
}

static void artifact_file(struct pipeline *pipeline, const uint8_t *program, size_t length, char *path)
{
	uint8_t hash[HOST_SHA256_SIZE], key[HOST_PVF_KEY_SIZE];
	host_sha256(program, length, hash);
	host_pvf_key(hash, &pipeline->config.module, key);
	host_pvf_artifact_path(pipeline->dir, key, path);
}

/* Overwrites one byte of a file in place (its size stays). */
static void flip_byte(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	cr_assert_geq(fd, 0, "cannot open %s: %s", path, strerror(errno));
	uint8_t byte;
	cr_assert_eq(pread(fd, &byte, 1, at), 1);
	byte ^= 0x5a;
	cr_assert_eq(pwrite(fd, &byte, 1, at), 1);
	close(fd);
}

static void require_cgroups(void)
{
	support_require_sandbox();
	if (geteuid() != 0)
		cr_skip_test("memory limits need root to make cgroups (uid %u)", (unsigned)geteuid());
	struct host_feature_report reports[HOST_FEATURE_COUNT];
	host_features_probe(reports);
	if (!reports[HOST_FEATURE_CGROUP].available)
		cr_skip_test("cgroups cannot be used here: %s", reports[HOST_FEATURE_CGROUP].detail);
}

/* ---- valid, and the program's faults --------------------------------------------- */

Test(pvf, the_adder_validates_a_block_and_is_compiled_once, .timeout = 60)
{
	struct pipeline p;
	pipeline_config(&p);
	pipeline_start(&p, NULL);
	size_t length, polkavm_length;
	uint8_t *adder = guest("adder.jam", &length), *gp08 = guest("adder-gp08.polkavm", &polkavm_length);
	corral_pvf_mode modes[] = {CORRAL_PVF_APPROVAL, CORRAL_PVF_BACKING, CORRAL_PVF_APPROVAL};
	for (size_t i = 0; i < 3; i++) {
		corral_pvf_result result = run(&p, adder, length, BLOCK, modes[i]);
		expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 1, "the adder");
		cr_expect_eq(result.output_length, 2);
		cr_expect(result.output && !memcmp(result.output, "44", 2), "the new state is not 44");
		cr_expect_eq(result.prepare_attempts, 1, "prepared %u times", result.prepare_attempts);
		cr_expect_eq(result.prepared_now, i == 0);
		corral_pvf_result_free(&result);
	}
	/* GP 0.8 in a .polkavm container: host calls by import name, sbrk as one. */
	corral_pvf_result result = run(&p, gp08, polkavm_length, "parent 7\nblock 7\nadd 5\n", CORRAL_PVF_BACKING);
	expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 1, "the GP 0.8 adder");
	cr_expect(result.output_length == 2 && !memcmp(result.output, "12", 2));
	corral_pvf_result_free(&result);
	corral_pvf_stats stats = stats_of(&p);
	cr_expect_eq(stats.prepare_jobs, 2, "%llu prepare jobs for two programs",
		     (unsigned long long)stats.prepare_jobs);
	cr_expect_eq(stats.execute_jobs, 4);
	cr_expect_eq(stats.retries, 0);
	pipeline_stop(&p);

	/* A new pipeline on the same cache reads the artifact back: no job. */
	pipeline_start(&p, NULL);
	result = run(&p, adder, length, BLOCK, CORRAL_PVF_BACKING);
	expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 1, "the adder from the cache");
	cr_expect_eq(result.prepare_attempts, 0);
	corral_pvf_result_free(&result);
	stats = stats_of(&p);
	cr_expect_eq(stats.prepare_jobs, 0);
	cr_expect_eq(stats.artifact_loads, 1);
	pipeline_finish(&p);
	free(adder);
	free(gp08);
}

/* The program's faults: invalid, and never retried, whatever the mode. */
static const struct {
	const char *input;
	corral_pvf_reason reason;
	const char *says; /* in the message */
} program_faults[] = {
	{"reject", CORRAL_PVF_REJECTED, "faults: rejected: reject"},
	{"trap", CORRAL_PVF_TRAP, "trap at pc"},
	{"garbage", CORRAL_PVF_BAD_OUTPUT, "not a validation result"},
	{"flood", CORRAL_PVF_BAD_OUTPUT, "more than a validation result may be"},
	{"loop", CORRAL_PVF_TIMEOUT, "CPU-time limit of 100 ms"},
};

Test(pvf, the_programs_faults_are_invalid_and_never_retried, .timeout = 60)
{
	struct pipeline p;
	pipeline_config(&p);
	p.config.execute_timeout_ms = 100;
	pipeline_start(&p, NULL);
	size_t length;
	uint8_t *faults = guest("faults.jam", &length);
	corral_pvf_mode modes[] = {CORRAL_PVF_BACKING, CORRAL_PVF_APPROVAL};
	for (size_t i = 0; i < sizeof program_faults / sizeof *program_faults; i++)
		for (size_t m = 0; m < 2; m++) {
			struct timespec start, end;
			clock_gettime(CLOCK_MONOTONIC, &start);
			corral_pvf_result result = run(&p, faults, length, program_faults[i].input, modes[m]);
			clock_gettime(CLOCK_MONOTONIC, &end);
			expect_outcome(&result, CORRAL_PVF_INVALID, program_faults[i].reason, 1,
				       program_faults[i].input);
			cr_expect(strstr(result.message, program_faults[i].says), "%s: \"%s\" does not say \"%s\"",
				  program_faults[i].input, result.message, program_faults[i].says);
			double seconds =
				(double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
			cr_expect_lt(seconds, 2.0, "%s took %.2f s", program_faults[i].input, seconds);
			corral_pvf_result_free(&result);
		}
	corral_pvf_result result = run(&p, faults, length, "valid ok", CORRAL_PVF_BACKING);
	expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 1, "valid");
	corral_pvf_result_free(&result);
	cr_expect_eq(stats_of(&p).retries, 0);
	cr_expect_eq(stats_of(&p).prepare_jobs, 1);
	pipeline_finish(&p);
	free(faults);
}

Test(pvf, a_guest_that_exhausts_memory_is_out_of_memory_retried_once_in_approval, .timeout = 60)
{
	require_cgroups();
	struct pipeline p;
	pipeline_config(&p);
	p.config.execute_memory_limit = 64ull << 20;
	pipeline_start(&p, NULL);
	size_t length;
	uint8_t *faults = guest("faults.jam", &length);
	corral_pvf_result result = run(&p, faults, length, "memory", CORRAL_PVF_APPROVAL);
	expect_outcome(&result, CORRAL_PVF_INVALID, CORRAL_PVF_OUT_OF_MEMORY, 2, "memory, approval");
	cr_expect(strstr(result.message, "memory limit of 64 MiB"), "%s", result.message);
	cr_expect(strstr(result.message, "on the retry"), "%s", result.message);
	cr_expect_geq(result.timings.retry_wait_ns, 0);
	corral_pvf_result_free(&result);
	result = run(&p, faults, length, "memory", CORRAL_PVF_BACKING);
	expect_outcome(&result, CORRAL_PVF_INVALID, CORRAL_PVF_OUT_OF_MEMORY, 1, "memory, backing");
	corral_pvf_result_free(&result);
	cr_expect_eq(stats_of(&p).retries, 1);
	/* The same worker limit leaves a guest within it alone. */
	result = run(&p, faults, length, "valid fine", CORRAL_PVF_BACKING);
	expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 1, "within the limit");
	corral_pvf_result_free(&result);
	pipeline_finish(&p);
	free(faults);
}

/* ---- preparation ------------------------------------------------------------------- */

Test(pvf, a_malformed_program_is_invalid_once_and_for_all, .timeout = 60)
{
	struct pipeline p;
	pipeline_config(&p);
	pipeline_start(&p, NULL);
	/* Not a container at all: refused by the host's container parser, no job. */
	static const uint8_t junk[] = "this is not a program";
	corral_pvf_result result = run(&p, junk, sizeof junk, NULL, CORRAL_PVF_PRECHECK);
	expect_outcome(&result, CORRAL_PVF_INVALID, CORRAL_PVF_MALFORMED, 0, "junk");
	cr_expect_eq(result.prepare_attempts, 0);
	corral_pvf_result_free(&result);
	pipeline_stop(&p);

	/* A program whose blocks the gas table does not cost: the job says so. */
	static const corral_block_cost costs[] = {{0, 5}};
	p.config.module.gas_model = CORRAL_GAS_TABLE;
	p.config.module.block_costs = costs;
	p.config.module.block_cost_count = 1;
	pipeline_start(&p, NULL);
	size_t length;
	uint8_t *adder = guest("adder.jam", &length);
	for (int i = 0; i < 3; i++) {
		result = run(&p, adder, length, BLOCK, i ? CORRAL_PVF_APPROVAL : CORRAL_PVF_PRECHECK);
		expect_outcome(&result, CORRAL_PVF_INVALID, CORRAL_PVF_MALFORMED, 0, "an uncosted block");
		cr_expect(strstr(result.message, "has no cost for the basic block"), "%s", result.message);
		cr_expect_eq(result.prepare_attempts, 1);
		corral_pvf_result_free(&result);
		p.clock.now += 20 * MINUTE_NS; /* the program's fault is never tried again */
	}
	free(adder);
	cr_expect_eq(stats_of(&p).prepare_jobs, 1);
	pipeline_finish(&p);
}

struct crowd {
	struct pipeline *pipeline;
	const uint8_t *program;
	size_t length;
	pthread_barrier_t *start;
	corral_pvf_result result;
};

static void *request_in_crowd(void *argument)
{
	struct crowd *crowd = argument;
	pthread_barrier_wait(crowd->start);
	corral_pvf_request request = {
		.program = crowd->program,
		.program_length = crowd->length,
		.mode = CORRAL_PVF_PRECHECK,
	};
	corral_error error;
	if (corral_pvf_validate(crowd->pipeline->pvf, &request, &crowd->result, &error))
		crowd->result.verdict = CORRAL_PVF_NO_VERDICT;
	return NULL;
}

Test(pvf, a_hundred_identical_requests_at_once_are_one_compilation, .timeout = 60)
{
	enum { REQUESTS = 100 };
	struct pipeline p;
	pipeline_config(&p);
	p.config.prepare_workers = 2;
	pipeline_start(&p, NULL);
	size_t length;
	uint8_t *adder = guest("adder.jam", &length);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, REQUESTS);
	static struct crowd crowds[REQUESTS];
	pthread_t threads[REQUESTS];
	for (int i = 0; i < REQUESTS; i++) {
		crowds[i] = (struct crowd){&p, adder, length, &start, {0}};
		cr_assert_eq(pthread_create(&threads[i], NULL, request_in_crowd, &crowds[i]), 0);
	}
	int compiled_now = 0;
	for (int i = 0; i < REQUESTS; i++) {
		pthread_join(threads[i], NULL);
		expect_outcome(&crowds[i].result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 0, "one of the crowd");
		cr_expect_eq(crowds[i].result.prepare_attempts, 1);
		compiled_now += crowds[i].result.prepared_now;
	}
	pthread_barrier_destroy(&start);
	corral_pvf_stats stats = stats_of(&p);
	cr_expect_eq(stats.prepare_jobs, 1, "%llu compilations", (unsigned long long)stats.prepare_jobs);
	cr_expect_eq(stats.artifact_writes, 1);
	cr_expect_geq(compiled_now, 1, "no request waited for the compilation");
	pipeline_finish(&p);
	free(adder);
}

/* A compromised prepare job (the attack build) tries openat: the filter
 * kills it. Possibly transient: no verdict, and tried again only on a
 * request 15 minutes after the failure, 5 times at most. */
Test(pvf, a_prepare_job_killed_by_seccomp_is_retried_after_15_minutes_5_times_at_most, .timeout = 60)
{
	struct pipeline p;
	pipeline_config(&p);
	struct host_pvf_test_hooks hooks = {
		.prepare_image = &test_pvf_prepare_attacks,
		.prepare_attack = ZYGOTE_ATTACK_OPENAT + 1,
	};
	pipeline_start(&p, &hooks);
	size_t length;
	uint8_t *adder = guest("adder.jam", &length);
	uint64_t jobs = 0;
	for (int round = 0; round < 8; round++) {
		/* Right after a failure: the failure again, no job. */
		for (int again = 0; again < 2; again++) {
			corral_pvf_result result = run(&p, adder, length, BLOCK, CORRAL_PVF_APPROVAL);
			expect_outcome(&result, CORRAL_PVF_NO_VERDICT, CORRAL_PVF_PREPARE_DIED, 0, "the attack");
			if (round == 0 && again == 0)
				cr_expect(strstr(result.message, "SIGSYS"), "%s", result.message);
			corral_pvf_result_free(&result);
			jobs += round < 6 && again == 0;
			cr_expect_eq(stats_of(&p).prepare_jobs, jobs, "round %d: %llu jobs, not %llu", round,
				     (unsigned long long)stats_of(&p).prepare_jobs, (unsigned long long)jobs);
			p.clock.now += 7 * MINUTE_NS; /* 14 minutes: not yet */
		}
		p.clock.now += MINUTE_NS;
	}
	/* One try and five retries, then never again. */
	cr_expect_eq(stats_of(&p).prepare_jobs, 6);
	pipeline_finish(&p);
	free(adder);
}

/* 200,000 instructions in a raw blob: its compiled code may need some 40 MB. */
static uint8_t *big_program(size_t *length)
{
	enum { LINES = 200000 };
	char *source = malloc((size_t)LINES * 32 + 64), *at = source;
	for (int i = 0; i < LINES; i++)
		at += sprintf(at, "add_imm_64 r7, r7, %d\n", i % 1000);
	strcpy(at, "trap\n");
	uint8_t *program = support_assemble(source, length);
	free(source);
	return program;
}

/* A compilation that needs more than the prepare job's memory: the
 * program's fault, never tried again. */
Test(pvf, a_program_too_big_to_compile_in_the_prepare_jobs_memory_is_invalid, .timeout = 60)
{
	require_cgroups();
	struct pipeline p;
	pipeline_config(&p);
	p.config.prepare_memory_limit = 16ull << 20;
	pipeline_start(&p, NULL);
	size_t length;
	uint8_t *program = big_program(&length);
	for (int i = 0; i < 2; i++) {
		corral_pvf_result result = run(&p, program, length, NULL, CORRAL_PVF_PRECHECK);
		expect_outcome(&result, CORRAL_PVF_INVALID, CORRAL_PVF_PREPARE_OUT_OF_MEMORY, 0, "a compile bomb");
		cr_expect(strstr(result.message, "16 MiB"), "%s", result.message);
		corral_pvf_result_free(&result);
		p.clock.now += 20 * MINUTE_NS;
	}
	cr_expect_eq(stats_of(&p).prepare_jobs, 1);
	pipeline_finish(&p);
	free(program);
}

/* A precheck waits for the strict limit, an execution for the lenient one:
 * a job killed at the strict limit fails the precheck (no verdict), and
 * an execution that comes next prepares it again at once under its own. */
Test(pvf, prepare_timeouts_are_stricter_for_prechecks, .timeout = 60)
{
	struct pipeline p;
	pipeline_config(&p);
	p.config.precheck_timeout_ms = 1;
	pipeline_start(&p, NULL);
	/* Some 20 ms of compiling, far past 1 ms. */
	size_t length;
	uint8_t *program = big_program(&length);
	/* The watchdog kills the job at the limit; or, when the kernel's
	 * accounting (a tick) lets the job finish first, the precheck still
	 * finds it past its limit and the artifact stays for executions. */
	corral_pvf_result result = run(&p, program, length, NULL, CORRAL_PVF_PRECHECK);
	expect_outcome(&result, CORRAL_PVF_NO_VERDICT, CORRAL_PVF_PREPARE_TIMEOUT, 0, "a precheck past 1 ms");
	cr_expect(strstr(result.message, "limit of 1 ms"), "%s", result.message);
	cr_expect_eq(result.prepare_attempts, 1);
	bool killed = strstr(result.message, "was killed") != NULL;
	corral_pvf_result_free(&result);
	corral_error error;
	cr_assert_eq(corral_pvf_prepare(p.pvf, program, length, "big", &result, &error), CORRAL_OK, "%s",
		     error.message);
	expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 0, "preparing it for an execution");
	cr_expect_eq(result.prepare_attempts, killed ? 2 : 1);
	corral_pvf_result_free(&result);
	cr_expect_eq(stats_of(&p).prepare_jobs, killed ? 2 : 1);
	/* Prepared, the artifact answers a precheck at once. */
	result = run(&p, program, length, NULL, CORRAL_PVF_PRECHECK);
	expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 0, "a precheck of what is prepared");
	corral_pvf_result_free(&result);
	pipeline_finish(&p);
	free(program);
}

/* ---- artifacts on disk -------------------------------------------------------------- */

Test(pvf, a_corrupt_or_foreign_artifact_is_never_executed, .timeout = 60)
{
	struct pipeline p;
	pipeline_config(&p);
	pipeline_start(&p, NULL);
	size_t length, faults_length;
	uint8_t *adder = guest("adder.jam", &length), *faults = guest("faults.jam", &faults_length);
	corral_pvf_result result = run(&p, adder, length, NULL, CORRAL_PVF_PRECHECK);
	result = run(&p, faults, faults_length, NULL, CORRAL_PVF_PRECHECK);
	pipeline_stop(&p);
	char path[HOST_PVF_PATH_MAX], faults_path[HOST_PVF_PATH_MAX];
	artifact_file(&p, adder, length, path);
	artifact_file(&p, faults, faults_length, faults_path);
	struct stat status;
	cr_assert_eq(stat(path, &status), 0, "no artifact at %s", path);

	/* Each damage, on a cold pipeline: detected, removed, compiled again. */
	const char *damages[] = {"a byte of code", "a byte of the header", "truncated", "another program's"};
	for (size_t d = 0; d < 4; d++) {
		if (d == 0)
			flip_byte(path, status.st_size - 10);
		else if (d == 1)
			flip_byte(path, 120);
		else if (d == 2)
			cr_assert_eq(truncate(path, status.st_size / 2), 0);
		else
			cr_assert_eq(rename(faults_path, path), 0);
		pipeline_start(&p, NULL);
		result = run(&p, adder, length, BLOCK, CORRAL_PVF_BACKING);
		expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 1, damages[d]);
		cr_expect_eq(result.output_length, 2);
		corral_pvf_result_free(&result);
		corral_pvf_stats stats = stats_of(&p);
		cr_expect_eq(stats.artifacts_rejected, 1, "%s: %llu rejected", damages[d],
			     (unsigned long long)stats.artifacts_rejected);
		cr_expect_eq(stats.prepare_jobs, 1, "%s: not compiled again", damages[d]);
		cr_expect_eq(stats.artifact_loads, 0);
		pipeline_stop(&p);
		cr_assert_eq(stat(path, &status), 0, "%s: no new artifact", damages[d]);
	}
	remove_folder(p.dir);
	free(adder);
	free(faults);
}

/* Damaged while the pipeline holds the module: the next execution sees the
 * file changed, fails as ARTIFACT_MISSING (local), and approval prepares it
 * again and retries; backing does not retry (no verdict), and the request
 * after it prepares again. */
Test(pvf, an_artifact_deleted_or_changed_under_a_running_pipeline, .timeout = 60)
{
	struct pipeline p;
	pipeline_config(&p);
	pipeline_start(&p, NULL);
	size_t length;
	uint8_t *adder = guest("adder.jam", &length);
	char path[HOST_PVF_PATH_MAX];
	artifact_file(&p, adder, length, path);
	corral_pvf_result result = run(&p, adder, length, BLOCK, CORRAL_PVF_APPROVAL);
	expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 1, "first");
	corral_pvf_result_free(&result);

	cr_assert_eq(unlink(path), 0);
	result = run(&p, adder, length, BLOCK, CORRAL_PVF_APPROVAL);
	expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 2, "deleted, approval");
	cr_expect_eq(result.prepare_attempts, 2);
	corral_pvf_result_free(&result);
	cr_expect_eq(access(path, R_OK), 0, "the artifact was not written again");

	flip_byte(path, 200);
	result = run(&p, adder, length, BLOCK, CORRAL_PVF_BACKING);
	expect_outcome(&result, CORRAL_PVF_NO_VERDICT, CORRAL_PVF_ARTIFACT_MISSING, 1, "changed, backing");
	corral_pvf_result_free(&result);
	result = run(&p, adder, length, BLOCK, CORRAL_PVF_BACKING);
	expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 1, "the next request");
	corral_pvf_result_free(&result);
	corral_pvf_stats stats = stats_of(&p);
	cr_expect_eq(stats.retries, 1);
	cr_expect_eq(stats.prepare_jobs, 3);
	cr_expect_eq(stats.artifacts_rejected, 1, "the changed file was not removed as corrupt");
	pipeline_finish(&p);
	free(adder);
}

static void set_age(const char *path, time_t seconds_ago)
{
	struct timespec times[2];
	clock_gettime(CLOCK_REALTIME, &times[0]);
	times[0].tv_sec -= seconds_ago;
	times[1] = times[0];
	cr_assert_eq(utimensat(AT_FDCWD, path, times, 0), 0);
}

Test(pvf, pruning_removes_old_foreign_and_temporary_files_but_not_a_live_writers, .timeout = 60)
{
	struct pipeline p;
	pipeline_config(&p);
	pipeline_start(&p, NULL);
	size_t length, faults_length;
	uint8_t *adder = guest("adder.jam", &length), *faults = guest("faults.jam", &faults_length);
	corral_pvf_result result = run(&p, adder, length, NULL, CORRAL_PVF_PRECHECK);
	result = run(&p, faults, faults_length, NULL, CORRAL_PVF_PRECHECK);
	char path[HOST_PVF_PATH_MAX], faults_path[HOST_PVF_PATH_MAX];
	artifact_file(&p, adder, length, path);
	artifact_file(&p, faults, faults_length, faults_path);

	/* Unused for longer than the age limit: gone, and prepared again. */
	set_age(path, 2 * 24 * 60 * 60);
	cr_assert_eq(corral_pvf_prune(p.pvf, NULL), CORRAL_OK);
	cr_expect_neq(access(path, F_OK), 0, "an old artifact survived");
	cr_expect_eq(access(faults_path, F_OK), 0, "a fresh artifact was pruned");
	result = run(&p, adder, length, BLOCK, CORRAL_PVF_BACKING);
	expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 1, "after pruning");
	corral_pvf_result_free(&result);
	cr_expect_eq(stats_of(&p).prepare_jobs, 3);
	pipeline_stop(&p);

	/* At start-up: another build's artifact, a dead process's temporary
	 * file go; a live process's temporary file and other files stay; over
	 * the size budget, the least recently used goes. */
	char foreign[PATH_MAX + 80], dead_temp[PATH_MAX + 160], live_temp[PATH_MAX + 160], other[PATH_MAX + 16];
	const char *key = strrchr(path, '/') + 1;
	snprintf(foreign, sizeof foreign, "%.3900s/%.64s-0000000000000000.artifact", p.dir, key);
	snprintf(dead_temp, sizeof dead_temp, "%.3900s/.%.64s-%d-0.part", p.dir, key, 999999999);
	snprintf(live_temp, sizeof live_temp, "%.3900s/.%.64s-%d-0.part", p.dir, key, (int)getppid());
	snprintf(other, sizeof other, "%.3900s/notes.txt", p.dir);
	const char *made[] = {foreign, dead_temp, live_temp, other};
	for (size_t i = 0; i < 4; i++) {
		FILE *file = fopen(made[i], "w");
		cr_assert_not_null(file, "%s", made[i]);
		fclose(file);
	}
	struct stat status;
	cr_assert_eq(stat(path, &status), 0);
	set_age(faults_path, 60 * 60);
	p.config.cache_max_bytes = (uint64_t)status.st_size + 100;
	pipeline_start(&p, NULL);
	cr_expect_neq(access(foreign, F_OK), 0, "another build's artifact survived");
	cr_expect_neq(access(dead_temp, F_OK), 0, "a dead writer's temporary file survived");
	cr_expect_eq(access(live_temp, F_OK), 0, "a live writer's temporary file was removed");
	cr_expect_eq(access(other, F_OK), 0, "a file that is not the cache's was removed");
	cr_expect_neq(access(faults_path, F_OK), 0, "the least recently used survived the size budget");
	cr_expect_eq(access(path, F_OK), 0, "the most recently used was pruned");
	pipeline_finish(&p);
	free(adder);
	free(faults);
}

/* ---- compromised and killed jobs ------------------------------------------------------ */

/* The attack zygote, before the guest runs, tries openat: SIGSYS. */
static void attack_before_run(void *context, corral_instance *instance)
{
	(void)context;
	struct host_ring *ring = &instance->worker->ring;
	struct zygote_sqe *sqe = host_ring_post(ring, ZYGOTE_OP_ATTACK);
	sqe->args[0] = ZYGOTE_ATTACK_OPENAT;
	struct host_ring_limits limits = {.wall_ns = 2000000000ull};
	struct zygote_cqe done[ZYGOTE_RING_ENTRIES];
	size_t count;
	corral_error error;
	host_ring_complete(ring, &limits, done, &count, &error);
}

Test(pvf, an_execute_job_killed_by_seccomp_is_retried_once_in_approval_never_in_backing, .timeout = 60)
{
	struct pipeline p;
	pipeline_config(&p);
	struct host_pvf_test_hooks hooks = {.execute_image = &test_zygote_attacks, .before_run = attack_before_run};
	pipeline_start(&p, &hooks);
	size_t length;
	uint8_t *adder = guest("adder.jam", &length);
	corral_pvf_result result = run(&p, adder, length, BLOCK, CORRAL_PVF_APPROVAL);
	expect_outcome(&result, CORRAL_PVF_INVALID, CORRAL_PVF_SYSCALL_REFUSED, 2, "approval");
	cr_expect(strstr(result.message, "SIGSYS"), "%s", result.message);
	corral_pvf_result_free(&result);
	cr_expect_eq(stats_of(&p).retries, 1);
	result = run(&p, adder, length, BLOCK, CORRAL_PVF_BACKING);
	expect_outcome(&result, CORRAL_PVF_INVALID, CORRAL_PVF_SYSCALL_REFUSED, 1, "backing");
	corral_pvf_result_free(&result);
	cr_expect_eq(stats_of(&p).retries, 1);
	cr_expect_eq(stats_of(&p).execute_jobs, 3);
	pipeline_finish(&p);
	free(adder);
}

/* The retry's pause, on the system's clock: a second. */
Test(pvf, the_execution_retry_waits_one_second, .timeout = 60)
{
	struct pipeline p;
	pipeline_config(&p);
	p.config.clock = (corral_pvf_clock){0};
	struct host_pvf_test_hooks hooks = {.execute_image = &test_zygote_attacks, .before_run = attack_before_run};
	pipeline_start(&p, &hooks);
	size_t length;
	uint8_t *adder = guest("adder.jam", &length);
	corral_pvf_result result = run(&p, adder, length, BLOCK, CORRAL_PVF_APPROVAL);
	expect_outcome(&result, CORRAL_PVF_INVALID, CORRAL_PVF_SYSCALL_REFUSED, 2, "approval");
	cr_expect_geq(result.timings.retry_wait_ns, 1000000000ull, "paused %llu ns",
		      (unsigned long long)result.timings.retry_wait_ns);
	cr_expect_lt(result.timings.retry_wait_ns, 1500000000ull);
	corral_pvf_result_free(&result);
	pipeline_finish(&p);
	free(adder);
}

/* Kills job processes with SIGKILL at random moments (from a thread of its
 * own, through pidfds opened when the job starts). */
struct killer {
	pthread_mutex_t lock;
	pthread_t thread;
	bool stopping;
	unsigned per_mille[2]; /* chance that a prepare, an execute job is killed */
	unsigned max_delay_us;
	unsigned seed;
	struct {
		int pidfd;
		uint64_t due;
	} pending[256];
	size_t count;
	uint64_t killed[2];
};

static uint64_t monotonic_us(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
}

static void maybe_kill(void *context, corral_pvf_job_kind kind, int32_t pid, bool started)
{
	struct killer *killer = context;
	if (!started)
		return;
	pthread_mutex_lock(&killer->lock);
	if ((unsigned)rand_r(&killer->seed) % 1000 < killer->per_mille[kind] &&
	    killer->count < sizeof killer->pending / sizeof *killer->pending) {
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd >= 0 && !killer->max_delay_us) {
			/* At once: before the job can have done anything. */
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
			close(pidfd);
			killer->killed[kind]++;
		} else if (pidfd >= 0) {
			uint64_t delay = (unsigned)rand_r(&killer->seed) % killer->max_delay_us;
			killer->pending[killer->count].pidfd = pidfd;
			killer->pending[killer->count++].due = monotonic_us() + delay;
			killer->killed[kind]++;
		}
	}
	pthread_mutex_unlock(&killer->lock);
}

static void *kill_loop(void *argument)
{
	struct killer *killer = argument;
	pthread_mutex_lock(&killer->lock);
	while (!killer->stopping || killer->count) {
		uint64_t now = monotonic_us();
		for (size_t i = 0; i < killer->count;) {
			if (killer->pending[i].due > now) {
				i++;
				continue;
			}
			syscall(SYS_pidfd_send_signal, killer->pending[i].pidfd, SIGKILL, NULL, 0);
			close(killer->pending[i].pidfd);
			killer->pending[i] = killer->pending[--killer->count];
		}
		pthread_mutex_unlock(&killer->lock);
		usleep(100);
		pthread_mutex_lock(&killer->lock);
	}
	pthread_mutex_unlock(&killer->lock);
	return NULL;
}

static void killer_start(struct killer *killer, unsigned prepare, unsigned execute, unsigned max_delay_us)
{
	memset(killer, 0, sizeof *killer);
	pthread_mutex_init(&killer->lock, NULL);
	killer->per_mille[CORRAL_PVF_PREPARE_JOB] = prepare;
	killer->per_mille[CORRAL_PVF_EXECUTE_JOB] = execute;
	killer->max_delay_us = max_delay_us;
	killer->seed = (unsigned)getpid();
	cr_assert_eq(pthread_create(&killer->thread, NULL, kill_loop, killer), 0);
}

static void killer_stop(struct killer *killer)
{
	pthread_mutex_lock(&killer->lock);
	killer->stopping = true;
	pthread_mutex_unlock(&killer->lock);
	pthread_join(killer->thread, NULL);
	pthread_mutex_destroy(&killer->lock);
}

/* Every execute job killed: approval retries once, then invalid (a job's
 * death is never taken for a local problem); backing never retries. Every
 * prepare job killed: no verdict, retried after 15 minutes. */
Test(pvf, killed_jobs_land_in_their_class_with_their_retries, .timeout = 60)
{
	struct pipeline p;
	pipeline_config(&p);
	struct killer killer;
	killer_start(&killer, 0, 1000, 0);
	p.config.on_job = maybe_kill;
	p.config.on_job_context = &killer;
	pipeline_start(&p, NULL);
	size_t length;
	uint8_t *adder = guest("adder.jam", &length);
	corral_pvf_result result = run(&p, adder, length, BLOCK, CORRAL_PVF_APPROVAL);
	expect_outcome(&result, CORRAL_PVF_INVALID, CORRAL_PVF_JOB_DIED, 2, "execute jobs killed, approval");
	cr_expect(strstr(result.message, "SIGKILL"), "%s", result.message);
	corral_pvf_result_free(&result);
	result = run(&p, adder, length, BLOCK, CORRAL_PVF_BACKING);
	expect_outcome(&result, CORRAL_PVF_INVALID, CORRAL_PVF_JOB_DIED, 1, "execute jobs killed, backing");
	corral_pvf_result_free(&result);

	/* Now prepare jobs die too: a new program gets no verdict. */
	pthread_mutex_lock(&killer.lock);
	killer.per_mille[CORRAL_PVF_PREPARE_JOB] = 1000;
	killer.per_mille[CORRAL_PVF_EXECUTE_JOB] = 0;
	pthread_mutex_unlock(&killer.lock);
	size_t faults_length;
	uint8_t *faults = guest("faults.jam", &faults_length);
	result = run(&p, faults, faults_length, "valid x", CORRAL_PVF_APPROVAL);
	expect_outcome(&result, CORRAL_PVF_NO_VERDICT, CORRAL_PVF_PREPARE_DIED, 0, "prepare job killed");
	corral_pvf_result_free(&result);
	/* Nobody kills any more, but the failure stands for 15 minutes. */
	pthread_mutex_lock(&killer.lock);
	killer.per_mille[CORRAL_PVF_PREPARE_JOB] = 0;
	pthread_mutex_unlock(&killer.lock);
	result = run(&p, faults, faults_length, "valid x", CORRAL_PVF_APPROVAL);
	expect_outcome(&result, CORRAL_PVF_NO_VERDICT, CORRAL_PVF_PREPARE_DIED, 0, "within 15 minutes");
	cr_expect(strstr(result.message, "tried again"), "%s", result.message);
	corral_pvf_result_free(&result);
	p.clock.now += 15 * MINUTE_NS;
	result = run(&p, faults, faults_length, "valid x", CORRAL_PVF_APPROVAL);
	expect_outcome(&result, CORRAL_PVF_VALID, CORRAL_PVF_OK, 1, "15 minutes later");
	cr_expect_eq(result.prepare_attempts, 2);
	corral_pvf_result_free(&result);
	pipeline_stop(&p);
	killer_stop(&killer);
	remove_folder(p.dir);
	free(adder);
	free(faults);
}

/* ---- a thousand jobs, then nothing left ---------------------------------------------- */

struct census {
	int fds, memfds, children, groups, temporary;
};

static void count_dir(const char *dir, const char *prefix, const char *suffix, int *count)
{
	DIR *folder = opendir(dir);
	if (!folder)
		return;
	for (struct dirent *entry; (entry = readdir(folder));) {
		size_t n = strlen(entry->d_name), m = suffix ? strlen(suffix) : 0;
		if ((!prefix || !strncmp(entry->d_name, prefix, strlen(prefix))) &&
		    (!suffix || (n >= m && !strcmp(entry->d_name + n - m, suffix))))
			(*count)++;
	}
	closedir(folder);
}

static struct census take_census(const char *cache)
{
	struct census census = {0};
	DIR *fds = opendir("/proc/self/fd");
	cr_assert_not_null(fds);
	for (struct dirent *entry; (entry = readdir(fds));) {
		if (entry->d_name[0] == '.' || atoi(entry->d_name) == dirfd(fds))
			continue;
		census.fds++;
		char link[PATH_MAX], target[PATH_MAX];
		snprintf(link, sizeof link, "/proc/self/fd/%s", entry->d_name);
		ssize_t n = readlink(link, target, sizeof target - 1);
		census.memfds += n > 7 && !strncmp(target, "/memfd:", 7);
	}
	closedir(fds);
	DIR *proc = opendir("/proc");
	for (struct dirent *entry; proc && (entry = readdir(proc));) {
		char path[300], line[512];
		if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
		FILE *file = fopen(path, "r");
		if (!file)
			continue;
		int ppid = 0;
		if (fgets(line, sizeof line, file)) {
			char *close_paren = strrchr(line, ')');
			if (close_paren)
				sscanf(close_paren + 2, "%*c %d", &ppid);
		}
		fclose(file);
		census.children += ppid == getpid();
	}
	if (proc)
		closedir(proc);
	char home[PATH_MAX], prefix[64];
	bool v2;
	snprintf(prefix, sizeof prefix, "corral-%ld-", (long)getpid());
	if (host_cgroup_home("memory", home, sizeof home, &v2))
		count_dir(home, prefix, NULL, &census.groups);
	count_dir(cache, NULL, ".part", &census.temporary);
	return census;
}

/* The adder with other metadata: another program to the pipeline. */
static uint8_t *variant(const uint8_t *program, size_t length, unsigned number, size_t *variant_length)
{
	/* E(|m|) m: the metadata is under 128 bytes plus what we add, so its
	 * length is one or two bytes of the natural-number encoding. */
	size_t old = program[0] < 128 ? program[0] : (size_t)(program[0] & 0x3f) << 8 | program[1];
	size_t prefix = program[0] < 128 ? 1 : 2;
	char extra[32];
	int added = snprintf(extra, sizeof extra, "\nvariant %u", number);
	size_t metadata = old + (size_t)added;
	cr_assert_lt(metadata, 0x3fff);
	uint8_t *out = malloc(length + (size_t)added + 2);
	size_t at = 0;
	if (metadata < 128) {
		out[at++] = (uint8_t)metadata;
	} else {
		out[at++] = (uint8_t)(0x80 | (metadata >> 8));
		out[at++] = (uint8_t)metadata;
	}
	memcpy(out + at, program + prefix, old);
	at += old;
	memcpy(out + at, extra, (size_t)added);
	at += (size_t)added;
	memcpy(out + at, program + prefix + old, length - prefix - old);
	*variant_length = at + length - prefix - old;
	return out;
}

struct load {
	struct pipeline *pipeline;
	const uint8_t *adder, *faults;
	size_t adder_length, faults_length;
	bool memory;
	char artifact[HOST_PVF_PATH_MAX];
	unsigned thread;
	unsigned requests;
	unsigned verdicts[3];
	unsigned mismatches;
};

enum job { JOB_VALID, JOB_REJECT, JOB_GARBAGE, JOB_TRAP, JOB_LOOP, JOB_MEMORY, JOB_VARIANT, JOB_CORRUPT };

static const enum job mix[20] = {
	JOB_VALID, JOB_VALID,  JOB_VALID,   JOB_VALID,   JOB_VALID,  JOB_VALID,   JOB_VALID,
	JOB_VALID, JOB_VALID,  JOB_VALID,   JOB_VALID,   JOB_REJECT, JOB_GARBAGE, JOB_TRAP,
	JOB_LOOP,  JOB_MEMORY, JOB_VARIANT, JOB_CORRUPT, JOB_VALID,  JOB_VALID,
};

/* Whether a result is one the job may have (kills make the exact one a
 * matter of timing): its class must fit its verdict, and what the program
 * decides must be what it decided. */
static bool plausible(enum job job, const corral_pvf_result *result)
{
	corral_pvf_class class = corral_pvf_reason_class(result->reason);
	if (result->verdict == CORRAL_PVF_NO_VERDICT)
		return class == CORRAL_PVF_CLASS_PREPARE_TRANSIENT || class == CORRAL_PVF_CLASS_LOCAL;
	if (class == CORRAL_PVF_CLASS_EXECUTE_TRANSIENT)
		return result->verdict == CORRAL_PVF_INVALID;
	static const corral_pvf_reason decided[] = {
		[JOB_VALID] = CORRAL_PVF_OK,           [JOB_REJECT] = CORRAL_PVF_REJECTED,
		[JOB_GARBAGE] = CORRAL_PVF_BAD_OUTPUT, [JOB_TRAP] = CORRAL_PVF_TRAP,
		[JOB_LOOP] = CORRAL_PVF_TIMEOUT,       [JOB_MEMORY] = CORRAL_PVF_OUT_OF_MEMORY,
		[JOB_VARIANT] = CORRAL_PVF_OK,         [JOB_CORRUPT] = CORRAL_PVF_OK,
	};
	/* Touching 32 MiB may take it past 50 ms of CPU on a busy machine:
	 * whichever limit comes first decides. */
	if (result->reason != decided[job] && !(job == JOB_MEMORY && result->reason == CORRAL_PVF_TIMEOUT))
		return false;
	return result->verdict ==
	       (job == JOB_VALID || job == JOB_VARIANT || job == JOB_CORRUPT ? CORRAL_PVF_VALID : CORRAL_PVF_INVALID);
}

static void *load_loop(void *argument)
{
	struct load *load = argument;
	for (unsigned i = 0; i < load->requests; i++) {
		enum job job = mix[(i * 7 + load->thread) % 20];
		if (job == JOB_MEMORY && !load->memory)
			job = JOB_REJECT;
		const uint8_t *program = job == JOB_VALID || job == JOB_CORRUPT ? load->adder : load->faults;
		size_t length = program == load->adder ? load->adder_length : load->faults_length;
		static const char *const inputs[] = {
			[JOB_VALID] = BLOCK, [JOB_REJECT] = "reject", [JOB_GARBAGE] = "garbage", [JOB_TRAP] = "trap",
			[JOB_LOOP] = "loop", [JOB_MEMORY] = "memory", [JOB_VARIANT] = BLOCK,     [JOB_CORRUPT] = BLOCK,
		};
		uint8_t *owned = NULL;
		if (job == JOB_VARIANT) {
			owned = variant(load->adder, load->adder_length, load->thread * 1000 + i, &length);
			program = owned;
		}
		if (job == JOB_CORRUPT) {
			int fd = open(load->artifact, O_RDWR);
			if (fd >= 0) {
				uint8_t byte = 0xff;
				if (pwrite(fd, &byte, 1, 300) != 1)
					load->mismatches++;
				close(fd);
			}
		}
		corral_pvf_request request = {
			.program = program,
			.program_length = length,
			.input = (const uint8_t *)inputs[job],
			.input_length = strlen(inputs[job]),
			.mode = i % 3 ? CORRAL_PVF_APPROVAL : CORRAL_PVF_BACKING,
			.name = "load",
		};
		corral_pvf_result result;
		corral_error error;
		if (corral_pvf_validate(load->pipeline->pvf, &request, &result, &error) != CORRAL_OK) {
			load->mismatches++;
			free(owned);
			continue;
		}
		load->verdicts[result.verdict]++;
		bool output_ok = result.verdict != CORRAL_PVF_VALID || job == JOB_GARBAGE ||
				 (result.output_length == 2 && !memcmp(result.output, "44", 2));
		if (!plausible(job, &result) || !output_ok) {
			if (load->mismatches++ < 5)
				fprintf(stderr, "job %d: %s (%s): %s\n", job, corral_pvf_verdict_name(result.verdict),
					corral_pvf_reason_name(result.reason), result.message);
		}
		corral_pvf_result_free(&result);
		free(owned);
		/* Minutes pass, so that killed preparations are tried again. */
		__atomic_add_fetch(&load->pipeline->clock.now, 2 * MINUTE_NS, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

Test(pvf, a_thousand_jobs_with_faults_leave_no_process_fd_memfd_temporary_file_or_cgroup, .timeout = 180)
{
	enum { THREADS = 4, REQUESTS = 250 };
	struct pipeline p;
	pipeline_config(&p);
	bool memory = geteuid() == 0;
	if (memory) {
		struct host_feature_report reports[HOST_FEATURE_COUNT];
		host_features_probe(reports);
		memory = reports[HOST_FEATURE_CGROUP].available;
	}
	p.config.execute_timeout_ms = 50;
	p.config.execute_memory_limit = memory ? 32ull << 20 : 0;
	p.config.prepare_memory_limit = memory ? 256ull << 20 : 0;
	size_t adder_length, faults_length;
	uint8_t *adder = guest("adder.jam", &adder_length), *faults = guest("faults.jam", &faults_length);
	/* Once, so that what a process keeps for good (the images' memfds, the
	 * event loop of this thread) is in the census. */
	pipeline_start(&p, NULL);
	corral_pvf_result result = run(&p, adder, adder_length, BLOCK, CORRAL_PVF_BACKING);
	corral_pvf_result_free(&result);
	pipeline_stop(&p);
	struct census before = take_census(p.dir);

	struct killer killer;
	killer_start(&killer, 50, 50, 3000);
	p.config.on_job = maybe_kill;
	p.config.on_job_context = &killer;
	pipeline_start(&p, NULL);
	struct load loads[THREADS];
	pthread_t threads[THREADS];
	for (unsigned t = 0; t < THREADS; t++) {
		loads[t] =
			(struct load){&p, adder, faults, adder_length, faults_length, memory, {0}, t, REQUESTS, {0}, 0};
		artifact_file(&p, adder, adder_length, loads[t].artifact);
		cr_assert_eq(pthread_create(&threads[t], NULL, load_loop, &loads[t]), 0);
	}
	unsigned verdicts[3] = {0}, mismatches = 0;
	for (unsigned t = 0; t < THREADS; t++) {
		pthread_join(threads[t], NULL);
		for (int v = 0; v < 3; v++)
			verdicts[v] += loads[t].verdicts[v];
		mismatches += loads[t].mismatches;
	}
	corral_pvf_stats stats = stats_of(&p);
	pipeline_stop(&p);
	killer_stop(&killer);
	struct census after = take_census(p.dir);

	fprintf(stderr,
		"pvf: %u validations: %u valid, %u invalid, %u no verdict; %llu execute and %llu prepare jobs, %llu "
		"killed, %llu retries, %llu artifacts rejected\n",
		THREADS * REQUESTS, verdicts[0], verdicts[1], verdicts[2], (unsigned long long)stats.execute_jobs,
		(unsigned long long)stats.prepare_jobs, (unsigned long long)(killer.killed[0] + killer.killed[1]),
		(unsigned long long)stats.retries, (unsigned long long)stats.artifacts_rejected);
	cr_expect_eq(mismatches, 0, "%u results out of their class (see stderr)", mismatches);
	cr_expect_eq(verdicts[0] + verdicts[1] + verdicts[2], THREADS * REQUESTS);
	cr_expect_geq(stats.execute_jobs + stats.prepare_jobs, 1000, "%llu jobs",
		      (unsigned long long)(stats.execute_jobs + stats.prepare_jobs));
	cr_expect_gt(killer.killed[0] + killer.killed[1], 0, "nothing was killed");
	cr_expect_gt(stats.retries, 0);
	cr_expect_eq(after.children, 0, "%d child processes left", after.children);
	cr_expect_eq(after.fds, before.fds, "%d fds before, %d after", before.fds, after.fds);
	cr_expect_eq(after.memfds, before.memfds, "%d memfds before, %d after", before.memfds, after.memfds);
	cr_expect_eq(after.temporary, 0, "%d temporary files left in the cache", after.temporary);
	cr_expect_eq(after.groups, 0, "%d cgroups left", after.groups);
	remove_folder(p.dir);
	free(adder);
	free(faults);
}

/* ---- the socket protocol -------------------------------------------------------------- */

static uint8_t *frame_body(const struct host_pvf_wire_request *request, size_t *length)
{
	char why[256];
	size_t frame_length;
	uint8_t *frame = host_pvf_wire_encode_request(request, &frame_length, why, sizeof why);
	cr_assert_not_null(frame, "%s", why);
	*length = frame_length - 4;
	return frame;
}

Test(pvf, the_protocol_reads_back_what_it_writes_and_refuses_everything_out_of_place)
{
	static const uint8_t program[] = {1, 2, 3}, input[] = "in";
	struct host_pvf_wire_request request = {
		.mode = CORRAL_PVF_BACKING,
		.gas = 1234,
		.program = program,
		.program_length = sizeof program,
		.input = input,
		.input_length = 2,
	};
	strcpy(request.name, "adder.jam");
	size_t length;
	uint8_t *frame = frame_body(&request, &length);
	const uint8_t *body = frame + 4;
	struct host_pvf_wire_request read;
	char why[256];
	cr_assert_eq(host_pvf_wire_decode_request(body, length, &read, why, sizeof why), 0, "%s", why);
	cr_expect_eq(read.mode, CORRAL_PVF_BACKING);
	cr_expect_eq(read.gas, 1234);
	cr_expect_str_eq(read.name, "adder.jam");
	cr_expect(read.program_length == 3 && !memcmp(read.program, program, 3));
	cr_expect(read.input_length == 2 && !memcmp(read.input, "in", 2));

	/* Every cut is refused, and so is every byte changed in the fixed fields. */
	for (size_t cut = 0; cut < length; cut++)
		cr_expect_neq(host_pvf_wire_decode_request(body, cut, &read, why, sizeof why), 0, "cut at %zu", cut);
	static const struct {
		size_t at;
		uint8_t value;
		const char *says;
	} damages[] = {
		{0, 'X', "not a request"}, {4, 2, "version"},       {5, 3, "mode"},          {6, 1, "flags"},
		{15, 0x80, "negative"},    {17, 0x01, "printable"}, {16, 200, "frame ends"},
	};
	for (size_t d = 0; d < sizeof damages / sizeof *damages; d++) {
		uint8_t copy[256];
		memcpy(copy, body, length);
		copy[damages[d].at] = damages[d].value;
		cr_expect_neq(host_pvf_wire_decode_request(copy, length, &read, why, sizeof why), 0, "byte %zu",
			      damages[d].at);
		cr_expect(strstr(why, damages[d].says), "byte %zu: \"%s\"", damages[d].at, why);
	}
	uint8_t longer[256];
	memcpy(longer, body, length);
	longer[length] = 0;
	cr_expect_neq(host_pvf_wire_decode_request(longer, length + 1, &read, why, sizeof why), 0);
	cr_expect(strstr(why, "follow the end"), "%s", why);
	free(frame);

	/* A reply, both kinds. */
	struct host_pvf_wire_reply reply = {0}, back;
	reply.result.verdict = CORRAL_PVF_INVALID;
	reply.result.reason = CORRAL_PVF_TIMEOUT;
	reply.result.execute_attempts = 2;
	reply.result.timings.execute_ns = 77;
	strcpy(reply.result.message, "it looped");
	frame = host_pvf_wire_encode_reply(&reply, &length, why, sizeof why);
	cr_assert_not_null(frame);
	cr_assert_eq(host_pvf_wire_decode_reply(frame + 4, length - 4, &back, why, sizeof why), 0, "%s", why);
	cr_expect(!back.refused && back.result.verdict == CORRAL_PVF_INVALID &&
		  back.result.reason == CORRAL_PVF_TIMEOUT);
	cr_expect(back.result.execute_attempts == 2 && back.result.timings.execute_ns == 77);
	cr_expect_str_eq(back.result.message, "it looped");
	free(frame);
	reply = (struct host_pvf_wire_reply){.refused = true};
	strcpy(reply.refusal, "no");
	frame = host_pvf_wire_encode_reply(&reply, &length, why, sizeof why);
	cr_assert_eq(host_pvf_wire_decode_reply(frame + 4, length - 4, &back, why, sizeof why), 0, "%s", why);
	cr_expect(back.refused);
	cr_expect_str_eq(back.refusal, "no");
	free(frame);
}

/* ---- the daemon and its client ---------------------------------------------------------- */

static pid_t start_daemon(const char *dir, const char *socket_path)
{
	char corral[PATH_MAX], cache[PATH_MAX + 16], log[PATH_MAX + 16];
	snprintf(corral, sizeof corral, "%s", guest_corral());
	snprintf(cache, sizeof cache, "%s/artifacts", dir);
	snprintf(log, sizeof log, "%s/serve.log", dir);
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&actions, 1, 2);
	char *argv[] = {corral, "serve", "--socket", (char *)socket_path, "--cache", cache, NULL};
	pid_t pid;
	cr_assert_eq(posix_spawn(&pid, corral, &actions, NULL, argv, environ), 0, "cannot start %s", corral);
	posix_spawn_file_actions_destroy(&actions);
	for (int i = 0; i < 500 && access(socket_path, F_OK); i++)
		usleep(10000);
	cr_assert_eq(access(socket_path, F_OK), 0, "the daemon made no socket (see %s)", log);
	return pid;
}

Test(pvf, the_daemon_and_its_client, .timeout = 60)
{
	support_require_sandbox();
	REQUIRE_TOOLCHAIN();
	char dir[PATH_MAX], socket_path[PATH_MAX + 16], command[7 * PATH_MAX];
	guest_workspace(dir, sizeof dir);
	snprintf(socket_path, sizeof socket_path, "%s/pvf.sock", dir);
	size_t length;
	free(guest("adder.jam", &length));
	pid_t daemon = start_daemon(dir, socket_path);
	char corral[PATH_MAX], adder[PATH_MAX], relative[PATH_MAX];
	snprintf(relative, sizeof relative, "%s/tests/pvf/adder.jam", build_folder());
	cr_assert_not_null(realpath(guest_corral(), corral));
	cr_assert_not_null(realpath(relative, adder));
	static const struct {
		const char *input, *mode;
		int status;
		const char *says;
	} cases[] = {
		{"parent 41\\nblock 41\\nadd 1\\nadd 2\\n", "approval", 0, "output:   \"44\""},
		{"parent 41\\nblock 40\\n", "backing", 3, "its parent's is 41"},
		{"", "precheck", 0, "prepared"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct process_result result;
		snprintf(command, sizeof command,
			 "printf '%s' > '%s/block' && '%s' validate --socket '%s' '%s' --input '%s/block' --mode %s",
			 cases[i].input, dir, corral, socket_path, adder, dir, cases[i].mode);
		guest_shell(dir, command, NULL, &result);
		cr_expect_eq(result.status, cases[i].status, "%s: exit %d: %s%s", cases[i].mode, result.status,
			     result.output, result.errors);
		cr_expect(strstr(result.output, cases[i].says), "%s: %s", cases[i].mode, result.output);
		cr_expect(strstr(result.output, "timings:"), "%s", result.output);
		guest_result_free(&result);
	}

	/* A frame that is not a request: refused, saying why. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	cr_assert_lt(strlen(socket_path), sizeof address.sun_path, "%s: too long for a socket", socket_path);
	memcpy(address.sun_path, socket_path, strlen(socket_path) + 1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&address, sizeof address), 0);
	static const uint8_t garbage[] = {8, 0, 0, 0, 'N', 'O', 'P', 'E', 1, 0, 0, 0};
	char why[256];
	cr_assert_eq(host_pvf_wire_write(fd, garbage, sizeof garbage, why, sizeof why), 0);
	uint8_t *body;
	bool eof;
	cr_assert_eq(host_pvf_wire_read(fd, 1 << 20, &body, &length, &eof, why, sizeof why), 0, "%s", why);
	struct host_pvf_wire_reply reply;
	cr_assert_eq(host_pvf_wire_decode_reply(body, length, &reply, why, sizeof why), 0, "%s", why);
	cr_expect(reply.refused);
	cr_expect(strstr(reply.refusal, "not a request frame"), "%s", reply.refusal);
	free(body);
	close(fd);

	cr_assert_eq(kill(daemon, SIGTERM), 0);
	int status;
	cr_assert_eq(waitpid(daemon, &status, 0), daemon);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the daemon ended with status 0x%x", status);
	cr_expect_neq(access(socket_path, F_OK), 0, "the socket outlived the daemon");
	char log[PATH_MAX + 16];
	snprintf(log, sizeof log, "%s/serve.log", dir);
	size_t log_length;
	char *text = (char *)support_read_file(log, &log_length);
	text[log_length] = 0;
	cr_expect(strstr(text, "adder.jam approval: valid (ok)"), "%s", text);
	cr_expect(strstr(text, "adder.jam backing: invalid (rejected)"), "%s", text);
	cr_expect(strstr(text, "stopped after 3 validations"), "%s", text);
	free(text);
	guest_cleanup(dir);
}

/* ---- SHA-256 ------------------------------------------------------------------------ */

Test(pvf, sha256_matches_the_fips_examples)
{
	static const struct {
		const char *text;
		const char *digest;
	} examples[] = {
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	for (size_t i = 0; i < sizeof examples / sizeof *examples; i++) {
		uint8_t digest[HOST_SHA256_SIZE];
		char hex[2 * HOST_SHA256_SIZE + 1];
		host_sha256(examples[i].text, strlen(examples[i].text), digest);
		host_hex(digest, sizeof digest, hex);
		cr_expect_str_eq(hex, examples[i].digest, "\"%s\"", examples[i].text);
	}
	/* A million 'a', fed in uneven pieces. */
	struct host_sha256 hash;
	host_sha256_init(&hash);
	char piece[997];
	memset(piece, 'a', sizeof piece);
	size_t left = 1000000;
	for (size_t step = 1; left; step = step * 7 % 997 + 1) {
		size_t n = step < left ? step : left;
		host_sha256_update(&hash, piece, n);
		left -= n;
	}
	uint8_t digest[HOST_SHA256_SIZE];
	char hex[2 * HOST_SHA256_SIZE + 1];
	host_sha256_final(&hash, digest);
	host_hex(digest, sizeof digest, hex);
	cr_expect_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
