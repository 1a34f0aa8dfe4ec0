/* System call names for the audit's events: the tables are generated at
 * build time from the kernel headers (scripts/syscall_names.sh), so a
 * number newer than those headers has no name and gets syscall_N. */
#include <stdio.h>

#include "corral.h"
#include "syscall_names.h"

#define COUNT(table) (sizeof table / sizeof *table)

static const struct {
	const char *const *names;
	size_t count;
} tables[] = {
	[CORRAL_AUDIT_X86_64] = {syscall_names_x86_64, COUNT(syscall_names_x86_64)},
	[CORRAL_AUDIT_I386] = {syscall_names_i386, COUNT(syscall_names_i386)},
	[CORRAL_AUDIT_X32] = {syscall_names_x32, COUNT(syscall_names_x32)},
};

const char *corral_audit_syscall_name(corral_audit_abi abi, int32_t number, char *buffer, size_t size)
{
	if ((unsigned)abi < COUNT(tables) && number >= 0 && (size_t)number < tables[abi].count &&
	    tables[abi].names[number])
		return tables[abi].names[number];
	snprintf(buffer, size, "syscall_%d", (int)number);
	return buffer;
}
