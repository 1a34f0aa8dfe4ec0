/*
 * crt0.c: the program's entry point. The host calls _start(args, length) with the
 * arguments as one blob, each followed by a NUL ("prog\0a\0b\0"); argv[0] is the program
 * name. The blob lives in read-only memory and C lets main modify its argv strings, so
 * they are copied to the heap first. A blob without a final NUL ends in one last argument.
 */
#include <corral_guest.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv);
void _start(const char *args, unsigned long length);

/* The first export in link order (crt0.o comes first); the linker puts it at pc 0. */
CORRAL_EXPORT(_start);

void _start(const char *args, unsigned long length)
{
	static char *no_arguments[1];
	char **argv = no_arguments;
	int argc = 0;
	if (length > 0) {
		size_t count = args[length - 1] != 0;
		for (unsigned long i = 0; i < length; i++)
			count += args[i] == 0;
		char *strings = malloc(length + 1);
		argv = malloc((count + 1) * sizeof *argv);
		if (strings == NULL || argv == NULL) {
			static const char message[] = "corral: no heap memory for the program arguments\n";
			corral_write(2, message, sizeof message - 1);
			corral_exit(127);
		}
		memcpy(strings, args, length);
		strings[length] = 0;
		for (char *p = strings; p < strings + length; p += strlen(p) + 1)
			argv[argc++] = p;
		argv[argc] = NULL;
	}
	exit(main(argc, argv));
}
