#include <stdlib.h>

#include "host/internal.h"

void corral_engine_config_init(corral_engine_config *config)
{
	*config = (corral_engine_config){.backend = CORRAL_BACKEND_INTERPRETER};
}

corral_result corral_engine_new(const corral_engine_config *config, corral_engine **engine, corral_error *error)
{
	corral_engine_config defaults;
	if (!config) {
		corral_engine_config_init(&defaults);
		config = &defaults;
	}
	if (config->backend != CORRAL_BACKEND_INTERPRETER)
		return host_fail(error, CORRAL_ERROR_ARGUMENT, "unknown backend %u; this build has the interpreter (0)",
				 (unsigned)config->backend);
	*engine = calloc(1, sizeof **engine);
	if (!*engine)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "cannot allocate an engine");
	(*engine)->config = *config;
	return CORRAL_OK;
}

void corral_engine_free(corral_engine *engine)
{
	free(engine);
}
