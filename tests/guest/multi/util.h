/* The part of the two-file program that main.c uses. */
#ifndef MULTI_UTIL_H
#define MULTI_UTIL_H

extern int call_count;
long checksum(const char *text);
const char *describe(long value);

#endif
