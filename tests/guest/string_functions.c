/* string_functions.c: <string.h> and <ctype.h> at their edges: empty strings, no match, bytes above 127. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static void show(const char *label, const char *s)
{
	printf("%s: %s%s%s\n", label, s ? "\"" : "", s ? s : "NULL", s ? "\"" : "");
}

int main(void)
{
	const char *text = "the quick brown fox jumps over the lazy dog";
	printf("strlen: %zu %zu %zu\n", strlen(text), strlen(""), strlen(text + 40));
	printf("strnlen: %zu %zu %zu\n", strnlen(text, 5), strnlen(text, 100), strnlen("", 3));
	printf("strcmp: %d %d %d %d %d\n", sign(strcmp("abc", "abc")), sign(strcmp("abc", "abd")),
	       sign(strcmp("abd", "abc")), sign(strcmp("ab", "abc")), sign(strcmp("\xe9", "e")));
	printf("strncmp: %d %d %d %d\n", sign(strncmp("abcx", "abcy", 3)), sign(strncmp("abcx", "abcy", 4)),
	       sign(strncmp("a", "b", 0)), sign(strncmp("abc", "ab", 5)));
	printf("memcmp: %d %d %d\n", sign(memcmp("a\x80", "a\x01", 2)), sign(memcmp("xy", "xz", 1)),
	       sign(memcmp("", "", 0)));

	show("strchr o", strchr(text, 'o'));
	show("strchr z", strchr(text, 'z'));
	show("strchr !", strchr(text, '!'));
	printf("strchr NUL is the end: %d\n", strchr(text, 0) == text + strlen(text));
	show("strrchr o", strrchr(text, 'o'));
	show("strrchr t", strrchr(text, 't'));
	show("strstr fox", strstr(text, "fox"));
	show("strstr empty", strstr(text, ""));
	show("strstr cat", strstr(text, "cat"));
	show("strstr dog", strstr(text, "dog"));
	show("strstr the lazy", strstr(text, "the lazy"));
	show("strpbrk xyz", strpbrk(text, "xyz"));
	show("strpbrk 123", strpbrk(text, "123"));
	printf("strspn: %zu %zu, strcspn: %zu %zu\n", strspn(text, "eht "), strspn(text, ""), strcspn(text, "q"),
	       strcspn(text, ""));
	show("memchr q", memchr(text, 'q', strlen(text)));
	show("memchr q short", memchr(text, 'q', 4));

	char buf[64];
	/* volatile lengths: truncating is the point here, and gcc would warn about it. */
	volatile size_t four = 4, eight = 8;
	strcpy(buf, "start");
	strcat(buf, "+more");
	strncat(buf, "+limited-copy", eight);
	show("strcpy/strcat/strncat", buf);
	memset(buf, 'x', sizeof buf);
	strncpy(buf, "abc", 6);
	printf("strncpy pads: %d %d %d %d %c\n", buf[2], buf[3], buf[4], buf[5], buf[6]);
	strncpy(buf, "abcdefgh", four);
	printf("strncpy truncates without NUL: %.6s\n", buf);

	char *copy = strdup(text);
	char *partial = strndup(text, 9);
	show("strdup", copy);
	show("strndup", partial);
	printf("strdup is a copy: %d\n", copy != text && strcmp(copy, text) == 0);

	char *state;
	int words = 0;
	for (char *w = strtok_r(copy, " ", &state); w; w = strtok_r(NULL, " ", &state)) {
		printf("%s%s", words ? "," : "words: ", w);
		words++;
	}
	printf(" (%d)\n", words);
	char fields[] = ",,a,,b;c;;";
	for (char *f = strtok(fields, ",;"); f; f = strtok(NULL, ",;"))
		printf("field [%s]\n", f);
	free(copy);
	free(partial);

	char moving[] = "0123456789abcdef";
	memmove(moving + 4, moving, 8);
	show("memmove right", moving);
	memmove(moving, moving + 6, 10);
	show("memmove left", moving);

	int classes[14] = {0};
	for (int c = -1; c < 256; c++) {
		classes[0] += isalnum(c) != 0;
		classes[1] += isalpha(c) != 0;
		classes[2] += isblank(c) != 0;
		classes[3] += iscntrl(c) != 0;
		classes[4] += isdigit(c) != 0;
		classes[5] += isgraph(c) != 0;
		classes[6] += islower(c) != 0;
		classes[7] += isprint(c) != 0;
		classes[8] += ispunct(c) != 0;
		classes[9] += isspace(c) != 0;
		classes[10] += isupper(c) != 0;
		classes[11] += isxdigit(c) != 0;
		classes[12] += tolower(c) != c;
		classes[13] += toupper(c) != c;
	}
	printf("ctype counts:");
	for (int i = 0; i < 14; i++)
		printf(" %d", classes[i]);
	printf("\n");
	printf("toupper/tolower: %c%c%c %c%c%c\n", toupper('a'), toupper('Z'), toupper('5'), tolower('A'), tolower('z'),
	       tolower('@'));
	return 0;
}
