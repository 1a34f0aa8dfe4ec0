/* exit_code.c: main's return value becomes the exit status, after stdout is flushed. */
#include <stdio.h>

int main(void)
{
	printf("returning 42 from main\n");
	printf("this line is still in the stdout buffer when main returns");
	return 42;
}
