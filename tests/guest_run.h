/* Building and running C programs for the guest tests: natively with gcc,
 * and as guests with `corral cc` and `corral run`, through the corral
 * executable of this build ($CORRAL_BUILD/corral, build/ by default). */
#ifndef TESTS_GUEST_RUN_H
#define TESTS_GUEST_RUN_H

#include <stdbool.h>
#include <stddef.h>

struct process_result {
	int status;   /* exit status, or 128 + signal */
	char *output; /* stdout, NUL-terminated, malloc'd */
	size_t length;
	char *errors; /* stderr */
};

/* Why guests cannot be built here (no clang-19, ld.lld-19 or SDK), or NULL. */
const char *guest_toolchain_missing(void);

/* Skips the calling Criterion test, saying why, when guests cannot be built. */
#define REQUIRE_TOOLCHAIN()                                      \
	do {                                                     \
		const char *missing = guest_toolchain_missing(); \
		if (missing)                                     \
			cr_skip_test("%s", missing);             \
	} while (0)

/* A fresh temporary folder for one test; removed by guest_cleanup. */
void guest_workspace(char *folder, size_t size);
void guest_cleanup(const char *folder);

/* Runs `command` through sh with `input` on stdin (NULL: none), collecting
 * stdout, stderr and the exit status. */
void guest_shell(const char *folder, const char *command, const char *input, struct process_result *result);
void guest_result_free(struct process_result *result);

/* The corral executable under test. */
const char *guest_corral(void);

#endif
