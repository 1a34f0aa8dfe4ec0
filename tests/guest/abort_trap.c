/*
 * abort_trap.c: a failed assert prints its message to stderr and aborts; `corral run`
 * turns the PVM trap into exit status 134, as a shell reports SIGABRT. Output written
 * and flushed before that survives.
 */
#include <assert.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	(void)argv;
	printf("before the assertion\n");
	fflush(stdout);
	assert(argc == 1);
	assert(argc == 0 && "argc is never 0 here");
	printf("not reached\n");
	return 0;
}
