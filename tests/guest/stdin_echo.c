/*
 * stdin_echo.c: reads standard input to the end and prints it back numbered and upper-cased.
 * The first lines go through fgets with a small buffer (so long lines arrive in pieces),
 * the rest through getchar; ungetc is tried once.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	char line[16];
	int line_number = 1, pieces = 0, bytes = 0;
	int at_line_start = 1;
	while (pieces < 6 && fgets(line, sizeof line, stdin) != NULL) {
		size_t len = strlen(line);
		bytes += (int)len;
		pieces++;
		if (at_line_start)
			printf("%3d| ", line_number);
		for (size_t i = 0; i < len; i++)
			putchar(toupper((unsigned char)line[i]));
		at_line_start = len > 0 && line[len - 1] == '\n';
		if (at_line_start)
			line_number++;
		else
			printf("\\\n     ");
	}

	int c = getchar();
	if (c != EOF) {
		ungetc(c, stdin);
		printf("[ungetc gave back '%c']\n", c == '\n' ? '$' : c);
	}
	int letters = 0, digits = 0;
	while ((c = getchar()) != EOF) {
		bytes++;
		if (at_line_start)
			printf("%3d| ", line_number);
		letters += isalpha(c) != 0;
		digits += isdigit(c) != 0;
		putchar(toupper(c));
		at_line_start = c == '\n';
		line_number += at_line_start;
	}
	if (!at_line_start)
		printf("\n(no newline at the end)\n");
	printf("%d bytes, %d lines, %d pieces through fgets, %d letters and %d digits through getchar\n", bytes,
	       line_number - 1, pieces, letters, digits);
	printf("end of input: feof %d, ferror %d, fgets %s\n", feof(stdin) != 0, ferror(stdin) != 0,
	       fgets(line, sizeof line, stdin) == NULL ? "NULL" : "data");
	return 0;
}
