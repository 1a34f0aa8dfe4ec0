/* A program in two files (with util.c): calls, a global and string data
 * across translation units. */
#include <stdio.h>

#include "util.h"

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		printf("%s: checksum %ld, %s\n", argv[i], checksum(argv[i]), describe(i));
	printf("%d calls across files\n", call_count);
	return call_count;
}
