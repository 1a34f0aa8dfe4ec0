/* exit.c: the ways a guest ends: exit (handlers, then stdio), _Exit, and abort (a PVM trap). */
#include <corral_guest.h>
#include <stdlib.h>

#include "libc.h"

#define MAX_HANDLERS 32

static void (*handlers[MAX_HANDLERS])(void);
static int handler_count;

int atexit(void (*fn)(void))
{
	if (handler_count == MAX_HANDLERS)
		return -1;
	handlers[handler_count++] = fn;
	return 0;
}

void exit(int code)
{
	while (handler_count > 0)
		handlers[--handler_count]();
	__corral_stdio_flush_all();
	corral_exit(code);
}

void _Exit(int code)
{
	corral_exit(code);
}

/* `corral run` reports the trap and exits with 134, as a process killed by SIGABRT. */
void abort(void)
{
	__builtin_trap();
}
