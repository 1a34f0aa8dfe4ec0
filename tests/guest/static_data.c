/*
 * static_data.c: everything the linker lays out before main runs, with no constructors:
 * constant tables, initialised writable globals, zero-initialised arrays, pointers to
 * strings, to functions and into other globals, and function-local statics.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const uint16_t squares[64] = {
	0,    1,    4,    9,    16,   25,   36,   49,   64,   81,   100,  121,  144,  169,  196,  225,
	256,  289,  324,  361,  400,  441,  484,  529,  576,  625,  676,  729,  784,  841,  900,  961,
	1024, 1089, 1156, 1225, 1296, 1369, 1444, 1521, 1600, 1681, 1764, 1849, 1936, 2025, 2116, 2209,
	2304, 2401, 2500, 2601, 2704, 2809, 2916, 3025, 3136, 3249, 3364, 3481, 3600, 3721, 3844, 3969,
};

struct planet {
	const char *name;
	uint32_t radius_km;
	uint8_t moons;
};

static const struct planet planets[] = {
	{"Mercury", 2440, 0},   {"Venus", 6052, 0},     {"Earth", 6371, 1},    {"Mars", 3390, 2},
	{"Jupiter", 69911, 95}, {"Saturn", 58232, 146}, {"Uranus", 25362, 28}, {"Neptune", 24622, 16},
};

/* Initialised and writable. */
static int counter = 100;
static int64_t big_numbers[] = {INT64_MAX, INT64_MIN, 0x0123456789abcdefLL, -42};
static char greeting[32] = "hello, static data";
unsigned char small_initialised = 0x5a;

/* Zero-initialised: the bss. */
static uint32_t zeros[10000];
static struct planet scratch_planet;
static const char *null_pointer;

/* Pointers the linker fills in. */
static const char *const colours[] = {"red", "green", "blue", "cyan", "magenta", "yellow"};
static int *const counter_address = &counter;
static int64_t *middle = &big_numbers[2];
static const struct planet *const gas_giants[] = {&planets[4], &planets[5]};
static char *greeting_tail = greeting + 7;

static int twice(int x)
{
	return 2 * x;
}

static int square(int x)
{
	return x * x;
}

static int negate(int x)
{
	return -x;
}

static int (*const transforms[])(int) = {twice, square, negate};
static int (*current_transform)(int) = square;

static const struct {
	const char *name;
	int (*fn)(int);
} named_transforms[] = {{"twice", twice}, {"square", square}, {"negate", negate}};

/* A table big enough to cross a few pages of read-only data. */
static const uint32_t large_table[4096] = {[0] = 1, [1000] = 2, [2048] = 3, [4095] = 4};

static int next_id(void)
{
	static int id = 1000;
	return id++;
}

static int call_count(void)
{
	static int calls;
	return ++calls;
}

int main(void)
{
	uint32_t sum = 0;
	for (int i = 0; i < 64; i++)
		sum += squares[i];
	printf("squares: sum %u, squares[63] = %u\n", sum, squares[63]);

	for (unsigned i = 0; i < sizeof planets / sizeof planets[0]; i++)
		printf("%-8s radius %6u km, %3u moons\n", planets[i].name, planets[i].radius_km, planets[i].moons);

	printf("counter = %d, through pointer %d\n", counter, *counter_address);
	counter += 23;
	*counter_address *= 2;
	printf("counter after writes = %d\n", counter);

	for (int i = 0; i < 4; i++)
		printf("big_numbers[%d] = %lld\n", i, (long long)big_numbers[i]);
	*middle += 1;
	middle[1] -= 1;
	printf("after writes through middle: %llx %lld\n", (unsigned long long)big_numbers[2],
	       (long long)big_numbers[3]);

	printf("greeting = \"%s\", tail = \"%s\"\n", greeting, greeting_tail);
	strcpy(greeting_tail, "changed");
	printf("greeting now \"%s\" (%zu bytes)\n", greeting, strlen(greeting));
	printf("small_initialised = 0x%02x\n", small_initialised);

	uint32_t nonzero = 0;
	for (int i = 0; i < 10000; i++)
		nonzero += zeros[i] != 0;
	printf("bss: %u nonzero words, scratch planet %s, null pointer %s\n", nonzero,
	       scratch_planet.name == NULL && scratch_planet.radius_km == 0 ? "empty" : "NOT EMPTY",
	       null_pointer == NULL ? "null" : "NOT NULL");
	for (int i = 0; i < 10000; i++)
		zeros[i] = (uint32_t)i * 3;
	sum = 0;
	for (int i = 0; i < 10000; i++)
		sum += zeros[i];
	printf("bss after writes: sum %u\n", sum);

	for (unsigned i = 0; i < sizeof colours / sizeof colours[0]; i++)
		printf("colour %u: %s\n", i, colours[i]);
	for (int i = 0; i < 2; i++)
		printf("gas giant: %s with %u moons\n", gas_giants[i]->name, gas_giants[i]->moons);

	for (int i = 0; i < 3; i++)
		printf("transforms[%d](7) = %d, %s(7) = %d\n", i, transforms[i](7), named_transforms[i].name,
		       named_transforms[i].fn(7));
	printf("current_transform(9) = %d\n", current_transform(9));
	current_transform = negate;
	printf("current_transform(9) = %d after reassignment\n", current_transform(9));

	uint64_t weighted = 0;
	for (int i = 0; i < 4096; i++)
		weighted += (uint64_t)large_table[i] * (uint64_t)(i + 1);
	printf("large_table weighted sum = %llu\n", (unsigned long long)weighted);

	int a = next_id();
	int b = next_id();
	int first = call_count();
	call_count();
	int third = call_count();
	printf("ids %d %d, calls %d then %d\n", a, b, first, third);
	return 0;
}
