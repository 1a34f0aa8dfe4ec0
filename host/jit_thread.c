/* The compiler's second thread (struct pvm_jit_helper): a large program is
 * compiled in two parts at once, the second on a thread started for the
 * compile and joined at its end. Starting one costs tens of microseconds,
 * which only programs whose compile takes far longer repay; smaller ones
 * are compiled on the calling thread alone.
 *
 * corral_engine_config.compile_threads chooses: 1 never splits, 2 splits
 * the large ones, 0 (the default) splits them when this process may run on
 * two CPUs or more. CORRAL_JIT_SPLIT_ALWAYS set (to anything) splits every
 * program of two blocks or more, for tests: the conformance vectors and
 * the fuzzers' programs are all far smaller than a split by default. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "host/internal.h"

/* About 0.3 ms of compiling alone on this machine kind. */
#define SPLIT_INSTRUCTIONS 16384u

static void *run(void *argument)
{
	struct host_jit_thread *thread = argument;
	thread->work(thread->argument);
	return NULL;
}

static bool start(void *self, void (*work)(void *argument), void *argument)
{
	struct host_jit_thread *thread = self;
	thread->work = work;
	thread->argument = argument;
	/* On any CPU but this one: left to itself the scheduler sometimes
	 * queues a new thread behind its creator, which then compiles the
	 * first part before the second has begun (measured: half the
	 * compiles, here). */
	pthread_attr_t attributes;
	if (pthread_attr_init(&attributes))
		return false;
	cpu_set_t others;
	int here = sched_getcpu();
	if (here >= 0 && !sched_getaffinity(0, sizeof others, &others)) {
		CPU_CLR(here, &others);
		if (CPU_COUNT(&others))
			pthread_attr_setaffinity_np(&attributes, sizeof others, &others);
	}
	bool started = pthread_create(&thread->thread, &attributes, run, thread) == 0;
	pthread_attr_destroy(&attributes);
	return started;
}

static void wait_for(void *self)
{
	struct host_jit_thread *thread = self;
	pthread_join(thread->thread, NULL);
}

uint32_t host_jit_default_threads(void)
{
	cpu_set_t cpus;
	if (sched_getaffinity(0, sizeof cpus, &cpus))
		return 1;
	return CPU_COUNT(&cpus) >= 2 ? 2 : 1;
}

struct pvm_jit_helper host_jit_thread_helper(struct host_jit_thread *thread)
{
	return (struct pvm_jit_helper){.start = start, .wait = wait_for, .self = thread};
}

const struct pvm_jit_helper *host_jit_helper(const corral_module *module, struct host_jit_thread *thread,
					     struct pvm_jit_helper *helper)
{
	bool always = getenv("CORRAL_JIT_SPLIT_ALWAYS") != NULL;
	uint32_t threads = module->engine->compile_threads;
	if (!always && (threads < 2 || module->program.instruction_count < SPLIT_INSTRUCTIONS))
		return NULL;
	*helper = host_jit_thread_helper(thread);
	return helper;
}
