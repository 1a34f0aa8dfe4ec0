/* What the tests may change in a pipeline, and nothing else may: the
 * images its jobs run (the test-only attack builds, to play a compromised
 * job) and a look at each execution before it runs. */
#ifndef HOST_PVF_TEST_H
#define HOST_PVF_TEST_H

#include "corral.h"
#include "host/worker.h"

struct host_pvf_test_hooks {
	const struct host_zygote_image *prepare_image; /* NULL: the release build */
	const struct host_zygote_image *execute_image; /* NULL: the release zygote */
	/* With an attack build of the prepare job: every job tries this escape
	 * (zygote/attacks.h's number + 1; 0: none) before it compiles. */
	uint64_t prepare_attack;
	/* Called on the execute thread with each execution's instance, before
	 * its first run (its worker is instance->worker). */
	void (*before_run)(void *context, corral_instance *instance);
	void *context;
};

corral_result host_pvf_new_with_hooks(const corral_pvf_config *config, const struct host_pvf_test_hooks *hooks,
				      corral_pvf **pvf, corral_error *error);

#endif
