#include <stdlib.h>

#include "host/internal.h"

void corral_engine_config_init(corral_engine_config *config)
{
	*config = (corral_engine_config){
		.backend = CORRAL_BACKEND_INTERPRETER,
		.sandbox = CORRAL_SANDBOX_AUTO,
		.sandbox_pool_size = 1,
	};
}

static corral_result check_config(const corral_engine_config *config, corral_error *error)
{
	if (config->backend > CORRAL_BACKEND_JIT)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "unknown backend %u; this build has the interpreter (0) and the jit (1)",
				 (unsigned)config->backend);
	if (config->sandbox > CORRAL_SANDBOX_AUTO)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "unknown sandbox %u; there are none (0), linux (1) and auto (2)",
				 (unsigned)config->sandbox);
	bool limits = config->sandbox_memory_limit || config->sandbox_pids_limit;
	if (limits && (config->backend != CORRAL_BACKEND_JIT || config->sandbox == CORRAL_SANDBOX_NONE))
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "sandbox_memory_limit and sandbox_pids_limit limit sandbox workers: they need the jit "
				 "backend and the linux sandbox");
	if (config->cross_check && config->backend != CORRAL_BACKEND_JIT)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "the cross-check compares the jit with the interpreter: it needs the jit backend");
	if (config->backend != CORRAL_BACKEND_JIT)
		return CORRAL_OK;
	corral_result result = host_jit_check_cpu(error);
	if (result == CORRAL_OK)
		result = host_jit_signals_install(error);
	return result;
}

corral_result corral_engine_new(const corral_engine_config *config, corral_engine **engine, corral_error *error)
{
	corral_engine_config defaults;
	*engine = NULL;
	if (!config) {
		corral_engine_config_init(&defaults);
		config = &defaults;
	}
	corral_result result = check_config(config, error);
	if (result != CORRAL_OK)
		return result;
	*engine = calloc(1, sizeof **engine);
	if (!*engine)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate an engine");
	(*engine)->config = *config;
	result = host_sandbox_engine_init(*engine, error);
	if (result != CORRAL_OK) {
		free(*engine);
		*engine = NULL;
	}
	return result;
}

void corral_engine_free(corral_engine *engine)
{
	if (!engine)
		return;
	host_sandbox_engine_free(engine);
	free(engine);
}

corral_sandbox corral_engine_sandbox(const corral_engine *engine)
{
	return engine->sandbox;
}

const char *corral_engine_sandbox_note(const corral_engine *engine)
{
	return engine->sandbox_note[0] ? engine->sandbox_note : NULL;
}
