/* The host `corral run` gives guests built with the SDK (guest/): standard
 * input and output, an exit code, and for GP 0.8 code (which has no sbrk
 * instruction) a growing heap, so that a guest runs like a native process.
 * A JAM program from `corral link` says it is such a guest in its metadata
 * and calls the host by number; a .polkavm container calls it by import
 * name. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/guest_host.h"
#include "cli/pager.h"
#include "loader/link.h"

/* The numbers guest/include/corral_guest.h gives the host calls. */
enum guest_call {
	GUEST_EXIT = 1000,
	GUEST_WRITE = 1001,
	GUEST_READ = 1002,
	GUEST_SBRK = LINK_SBRK_CALL,
};

static const struct {
	const char *name;
	enum guest_call call;
} guest_calls[] = {
	{"corral_host_exit", GUEST_EXIT},
	{"corral_write", GUEST_WRITE},
	{"corral_read", GUEST_READ},
	{LINK_SBRK_NAME, GUEST_SBRK},
};

#define GUEST_CALL_COUNT (sizeof guest_calls / sizeof guest_calls[0])
#define CHUNK            65536

static bool is_guest_metadata(const uint8_t *metadata, size_t length)
{
	size_t magic = strlen(LINK_METADATA_MAGIC);
	return metadata && length >= magic && !memcmp(metadata, LINK_METADATA_MAGIC, magic);
}

static bool has_guest_metadata(const corral_module *module)
{
	size_t length;
	const uint8_t *metadata = corral_module_metadata(module, &length);
	return is_guest_metadata(metadata, length);
}

bool guest_host_detect(const corral_module *module)
{
	if (has_guest_metadata(module))
		return true;
	for (size_t i = 0; i < corral_module_import_count(module); i++)
		for (size_t j = 0; j < GUEST_CALL_COUNT; j++)
			if (!strcmp(corral_module_import_name(module, i), guest_calls[j].name))
				return true;
	return false;
}

bool guest_metadata_isa(const uint8_t *metadata, size_t length, corral_isa *isa)
{
	size_t magic = strlen(LINK_METADATA_MAGIC), line = strlen(LINK_METADATA_ISA_GP08);
	if (!is_guest_metadata(metadata, length))
		return false;
	*isa = length >= magic + line && !memcmp(metadata + magic, LINK_METADATA_ISA_GP08, line) ? CORRAL_ISA_GP08
												 : CORRAL_ISA_GP07;
	return true;
}

/* "export PC NAME" lines of the guest metadata. */
static bool metadata_export(const corral_module *module, const char *name, uint32_t *pc)
{
	size_t length;
	const char *text = (const char *)corral_module_metadata(module, &length);
	const char *end = text + length;
	size_t name_length = strlen(name);
	for (const char *line = text; line < end;) {
		const char *stop = memchr(line, '\n', (size_t)(end - line));
		if (!stop)
			stop = end;
		unsigned long long value;
		int used = 0;
		if ((size_t)(stop - line) > 7 && !memcmp(line, "export ", 7) &&
		    sscanf(line + 7, "%llu %n", &value, &used) == 1 && used > 0 &&
		    (size_t)(stop - (line + 7 + used)) == name_length && !memcmp(line + 7 + used, name, name_length) &&
		    value <= UINT32_MAX) {
			*pc = (uint32_t)value;
			return true;
		}
		line = stop + 1;
	}
	return false;
}

int guest_host_entry(const corral_module *module, const char *name, uint32_t *pc)
{
	if (corral_module_find_export(module, name, pc) || metadata_export(module, name, pc))
		return 0;
	if (strcmp(name, GUEST_DEFAULT_ENTRY))
		return -1;
	/* Without a _start export, the first export, or pc 0. */
	*pc = corral_module_export_count(module) ? corral_module_export_pc(module, 0) : 0;
	return 0;
}

/* What an ecalli asks for: by number in a JAM program, by name in a
 * .polkavm container. */
static int resolve(const corral_module *module, uint64_t host_call, enum guest_call *call)
{
	if (!corral_module_import_count(module)) {
		for (size_t i = 0; i < GUEST_CALL_COUNT; i++)
			if (host_call == guest_calls[i].call) {
				*call = guest_calls[i].call;
				return 0;
			}
		return -1;
	}
	if (host_call >= corral_module_import_count(module))
		return -1;
	const char *name = corral_module_import_name(module, (size_t)host_call);
	for (size_t i = 0; i < GUEST_CALL_COUNT; i++)
		if (!strcmp(name, guest_calls[i].name)) {
			*call = guest_calls[i].call;
			return 0;
		}
	return -1;
}

static int64_t guest_write(corral_instance *instance, struct cli_pager *pager, uint64_t fd, uint64_t address,
			   uint64_t length)
{
	FILE *out = fd == 1 ? stdout : fd == 2 ? stderr : NULL;
	if (!out || address > UINT32_MAX || length > UINT32_MAX - address + 1)
		return -1;
	corral_error error;
	if (pager && cli_pager_serve_range(pager, instance, (uint32_t)address, length, &error))
		return -1;
	static uint8_t buffer[CHUNK];
	for (uint64_t done = 0; done < length;) {
		size_t n = length - done < CHUNK ? (size_t)(length - done) : CHUNK;
		if (corral_instance_read(instance, (uint32_t)(address + done), buffer, n, NULL))
			return done ? (int64_t)done : -1;
		if (fwrite(buffer, 1, n, out) != n)
			return -1;
		done += n;
	}
	if (out == stderr)
		fflush(stderr);
	return (int64_t)length;
}

static int64_t guest_read(corral_instance *instance, struct cli_pager *pager, uint64_t fd, uint64_t address,
			  uint64_t length)
{
	if (fd != 0 || address > UINT32_MAX)
		return -1;
	corral_error error;
	if (pager && cli_pager_serve_range(pager, instance, (uint32_t)address, length < CHUNK ? length : CHUNK, &error))
		return -1;
	fflush(stdout); /* a prompt shows before the program waits for its answer */
	static uint8_t buffer[CHUNK];
	size_t n = length < CHUNK ? (size_t)length : CHUNK;
	ssize_t got;
	do
		got = read(STDIN_FILENO, buffer, n);
	while (got < 0 && errno == EINTR);
	if (got <= 0)
		return got;
	if (corral_instance_write(instance, (uint32_t)address, buffer, (size_t)got, NULL))
		return -1;
	return got;
}

static const char *stop_reason(corral_interrupt interrupt, char *buffer, size_t size)
{
	switch (interrupt.kind) {
	case CORRAL_TRAP:
		snprintf(buffer, size, "trap (panic) at pc %u", interrupt.pc);
		break;
	case CORRAL_OUT_OF_GAS:
		snprintf(buffer, size, "out of gas at pc %u", interrupt.pc);
		break;
	case CORRAL_PAGE_FAULT:
		snprintf(buffer, size, "page fault at address 0x%x (pc %u): the guest touched memory it does not have",
			 interrupt.address, interrupt.pc);
		break;
	default:
		snprintf(buffer, size, "%s at pc %u", corral_interrupt_name(interrupt.kind), interrupt.pc);
		break;
	}
	return buffer;
}

int guest_host_run(corral_instance *instance, const corral_module *module, const char *path, struct cli_pager *pager)
{
	char reason[160];
	for (;;) {
		corral_interrupt interrupt = cli_pager_run(pager, instance);
		switch (interrupt.kind) {
		case CORRAL_FINISHED:
			fflush(stdout);
			return (int)(corral_instance_reg(instance, 7) & 0xFF);
		case CORRAL_HOST_CALL:
			break;
		case CORRAL_TRAP:
		case CORRAL_OUT_OF_GAS:
		case CORRAL_PAGE_FAULT:
		case CORRAL_STEP:
		case CORRAL_ABORTED:
			fflush(stdout);
			fprintf(stderr, "corral: %s: %s\n", path, stop_reason(interrupt, reason, sizeof reason));
			return interrupt.kind == CORRAL_OUT_OF_GAS   ? GUEST_STATUS_OUT_OF_GAS
			       : interrupt.kind == CORRAL_PAGE_FAULT ? GUEST_STATUS_FAULT
								     : GUEST_STATUS_TRAP;
		}
		enum guest_call call;
		if (resolve(module, interrupt.host_call, &call)) {
			fflush(stdout);
			fprintf(stderr, "corral: %s: host call %" PRIu64 " at pc %u is not one corral run provides\n",
				path, interrupt.host_call, interrupt.pc);
			return GUEST_STATUS_TRAP;
		}
		uint64_t a0 = corral_instance_reg(instance, 7), a1 = corral_instance_reg(instance, 8),
			 a2 = corral_instance_reg(instance, 9);
		int64_t result = 0;
		switch (call) {
		case GUEST_EXIT:
			fflush(stdout);
			return (int)(a0 & 0xFF);
		case GUEST_WRITE:
			result = guest_write(instance, pager, a0, a1, a2);
			break;
		case GUEST_READ:
			result = guest_read(instance, pager, a0, a1, a2);
			break;
		case GUEST_SBRK:
			result = (int64_t)corral_instance_sbrk(instance, a0);
			break;
		}
		corral_instance_set_reg(instance, 7, (uint64_t)result);
	}
}
