/* corral-attack: a test helper that make builds beside the tests and never
 * installs. It starts one sandbox worker running the attack zygote
 * (zygote/attacks.c, which the release library does not contain), has it
 * try one escape of zygote/attacks.h, and says how the worker ended, so that
 * `corral audit -- corral-attack openat` shows the audit catching a real
 * attempt (tests/test_audit.c; the README's trace).
 *
 *   corral-attack NAME|NUMBER    one attack, by its name in attacks.h or its number
 *   corral-attack --list         the attacks
 *
 * Exits 0 once the attack was tried, whatever became of the worker; 1
 * when the worker could not be started or never got to try; 2 on usage. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/ring_client.h"
#include "host/worker.h"
#include "zygote/attacks.h"

extern const struct host_zygote_image test_zygote_attacks;

static int find(const char *wanted)
{
	char *end;
	long number = strtol(wanted, &end, 10);
	if (*wanted && !*end)
		return number >= 0 && number < ZYGOTE_ATTACK_COUNT ? (int)number : -1;
	for (int i = 0; i < ZYGOTE_ATTACK_COUNT; i++)
		if (!strcmp(zygote_attack_names[i], wanted))
			return i;
	return -1;
}

/* One request, waited for. */
static corral_result request(struct host_ring *ring, enum zygote_op op, uint64_t a0, uint64_t a1, uint64_t a2,
			     uint64_t wall_ns, struct zygote_cqe *done, corral_error *error)
{
	struct zygote_sqe *sqe = host_ring_post(ring, op);
	sqe->args[0] = a0;
	sqe->args[1] = a1;
	sqe->args[2] = a2;
	struct host_ring_limits limits = {.wall_ns = wall_ns};
	struct zygote_cqe completions[ZYGOTE_RING_ENTRIES];
	size_t count = 0;
	corral_result result = host_ring_complete(ring, &limits, completions, &count, error);
	if (result == CORRAL_OK && count == 1)
		*done = completions[0];
	return result;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (int i = 0; i < ZYGOTE_ATTACK_COUNT; i++)
			printf("%2d  %s\n", i, zygote_attack_names[i]);
		return 0;
	}
	int attack = argc == 2 ? find(argv[1]) : -1;
	if (attack < 0) {
		fprintf(stderr, "usage: corral-attack NAME|NUMBER (corral-attack --list names them)\n");
		return 2;
	}
	struct host_worker worker;
	struct host_worker_options options = {.image = &test_zygote_attacks};
	corral_error error;
	if (host_worker_spawn(&worker, &options, &error)) {
		fprintf(stderr, "corral-attack: %s\n", error.message);
		return 1;
	}
	struct host_ring ring;
	host_ring_init(&ring, &worker);
	/* The page the attack zygote reads the create attack's path from and
	 * marks before it tries. */
	char path[64];
	snprintf(path, sizeof path, "/tmp/corral-attack-%d", (int)getpid());
	memcpy(worker.guest + ZYGOTE_GUEST_LOW, path, strlen(path) + 1);
	struct zygote_cqe done = {0};
	if (request(&ring, ZYGOTE_OP_PROTECT, ZYGOTE_GUEST_LOW, 4096, ZYGOTE_ACCESS_WRITE, 2000000000ull, &done,
		    &error)) {
		fprintf(stderr, "corral-attack: %s\n", error.message);
		host_worker_kill(&worker);
		return 1;
	}
	printf("corral-attack: sandbox worker %d tries attack %d (%s)\n", (int)worker.pid, attack,
	       zygote_attack_names[attack]);
	fflush(stdout);
	corral_result result = request(&ring, ZYGOTE_OP_ATTACK, (uint64_t)attack, ZYGOTE_GUEST_LOW, 0,
				       attack == ZYGOTE_ATTACK_HANG ? 300000000ull : 3000000000ull, &done, &error);
	host_worker_exited(&worker);
	uint64_t mark;
	memcpy(&mark, worker.guest + ZYGOTE_GUEST_LOW + ZYGOTE_ATTACK_MARK, sizeof mark);
	char how[128];
	host_worker_describe_exit(&worker, how, sizeof how);
	if (result == CORRAL_OK)
		printf("corral-attack: it came back with %d; the worker %s\n", (int)done.result, how);
	else
		printf("corral-attack: %s; the worker %s\n", error.message, how);
	host_worker_kill(&worker);
	unlink(path);
	if (mark != (uint64_t)attack + 1) {
		fprintf(stderr, "corral-attack: the worker never got to try it\n");
		return 1;
	}
	return 0;
}
