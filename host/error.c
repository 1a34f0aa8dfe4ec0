#include <stdarg.h>
#include <stdio.h>

#include "host/internal.h"

static const char *const result_names[] = {
	[CORRAL_OK] = "ok",
	[CORRAL_ERROR_ARGUMENT] = "invalid argument",
	[CORRAL_ERROR_MALFORMED] = "malformed program",
	[CORRAL_ERROR_OUT_OF_MEMORY] = "out of memory",
	[CORRAL_ERROR_SYSTEM] = "system error",
	[CORRAL_ERROR_ACCESS] = "memory access error",
};

const char *corral_result_name(corral_result result)
{
	return result <= CORRAL_ERROR_ACCESS ? result_names[result] : "?";
}

corral_result host_fail(corral_error *error, corral_result code, const char *format, ...)
{
	if (error) {
		va_list args;
		va_start(args, format);
		error->code = code;
		vsnprintf(error->message, sizeof error->message, format, args);
		va_end(args);
	}
	return code;
}
