/* hello.c: prints a greeting and the arguments it was given. */
#include <stdio.h>
#include <string.h>

/* argv[0] is a path natively and whatever the host passed in a guest; print only its name. */
static void print_program_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	printf("program: %.*s\n", (int)strcspn(name, "."), name);
}

int main(int argc, char **argv)
{
	printf("Hello, world!\n");
	printf("argc = %d\n", argc);
	if (argc > 0)
		print_program_name(argv[0]);
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = \"%s\" (%zu bytes)\n", i, argv[i], strlen(argv[i]));
	return 0;
}
