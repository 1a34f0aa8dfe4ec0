/* The daemon's frames (host/pvf_wire.h): a cursor that writes fields, a
 * cursor that reads them with every bound checked, and the two messages
 * as lists of fields over them. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/pvf_wire.h"

#define VERSION        1
#define REQUEST_MAGIC  "CRVQ"
#define REPLY_MAGIC    "CRVR"
#define STATUS_RESULT  0
#define STATUS_REFUSED 1
#define TIMINGS        7

static int fail(char *why, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t size, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(why, size, format, args);
	va_end(args);
	return -1;
}

/* ---- writing ------------------------------------------------------------------- */

struct writer {
	uint8_t *bytes;
	size_t length;
};

static void put(struct writer *w, const void *bytes, size_t length)
{
	if (length) /* bytes may be NULL then */
		memcpy(w->bytes + w->length, bytes, length);
	w->length += length;
}

static void put_number(struct writer *w, uint64_t value, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		w->bytes[w->length++] = (uint8_t)(value >> (8 * i));
}

/* The frame's length field goes first; the body follows. */
static bool start(struct writer *w, size_t body)
{
	w->bytes = malloc(4 + body);
	w->length = 4;
	if (w->bytes)
		put_number(&(struct writer){w->bytes, 0}, body, 4);
	return w->bytes != NULL;
}

static void timings_of(const corral_pvf_timings *timings, uint64_t out[TIMINGS])
{
	const uint64_t values[TIMINGS] = {timings->total_ns,     timings->prepare_ns, timings->prepare_cpu_ns,
					  timings->queue_ns,     timings->execute_ns, timings->execute_cpu_ns,
					  timings->retry_wait_ns};
	memcpy(out, values, sizeof values);
}

static bool printable(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
			return false;
	return true;
}

uint8_t *host_pvf_wire_encode_request(const struct host_pvf_wire_request *request, size_t *length, char *why,
				      size_t why_size)
{
	size_t name = strnlen(request->name, sizeof request->name);
	if (name > HOST_PVF_WIRE_MAX_NAME || !printable(request->name, name)) {
		fail(why, why_size, "the program's name must be at most %u printable characters",
		     HOST_PVF_WIRE_MAX_NAME);
		return NULL;
	}
	if (request->program_length > HOST_PVF_WIRE_MAX_PROGRAM || request->input_length > HOST_PVF_WIRE_MAX_INPUT) {
		fail(why, why_size, "the program (%zu bytes) or the input (%zu bytes) is over the limit (%u and %u)",
		     request->program_length, request->input_length, HOST_PVF_WIRE_MAX_PROGRAM,
		     HOST_PVF_WIRE_MAX_INPUT);
		return NULL;
	}
	if (request->mode > CORRAL_PVF_APPROVAL || request->gas < 0) {
		fail(why, why_size, "an unknown mode or a negative gas");
		return NULL;
	}
	struct writer w;
	if (!start(&w, 4 + 4 + 8 + 1 + name + 4 + request->program_length + 4 + request->input_length)) {
		fail(why, why_size, "no memory for a request");
		return NULL;
	}
	put(&w, REQUEST_MAGIC, 4);
	put_number(&w, VERSION, 1);
	put_number(&w, request->mode, 1);
	put_number(&w, 0, 2);
	put_number(&w, (uint64_t)request->gas, 8);
	put_number(&w, name, 1);
	put(&w, request->name, name);
	put_number(&w, request->program_length, 4);
	put(&w, request->program, request->program_length);
	put_number(&w, request->input_length, 4);
	put(&w, request->input, request->input_length);
	*length = w.length;
	return w.bytes;
}

uint8_t *host_pvf_wire_encode_reply(const struct host_pvf_wire_reply *reply, size_t *length, char *why, size_t why_size)
{
	const corral_pvf_result *result = &reply->result;
	const char *message = reply->refused ? reply->refusal : result->message;
	size_t message_length = strnlen(message, HOST_PVF_WIRE_MAX_MESSAGE);
	size_t output = reply->refused ? 0 : result->output_length;
	if (output > HOST_PVF_WIRE_MAX_OUTPUT) {
		fail(why, why_size, "an output of %zu bytes is over the limit of %u", output, HOST_PVF_WIRE_MAX_OUTPUT);
		return NULL;
	}
	size_t body =
		reply->refused ? 8 + 2 + message_length : 8 + 4 + 8 + 8 * TIMINGS + 2 + message_length + 4 + output;
	struct writer w;
	if (!start(&w, body)) {
		fail(why, why_size, "no memory for a reply");
		return NULL;
	}
	put(&w, REPLY_MAGIC, 4);
	put_number(&w, VERSION, 1);
	put_number(&w, reply->refused ? STATUS_REFUSED : STATUS_RESULT, 1);
	put_number(&w, 0, 2);
	if (!reply->refused) {
		put_number(&w, result->verdict, 1);
		put_number(&w, result->reason, 1);
		put_number(&w, result->prepared_now, 1);
		put_number(&w, 0, 1);
		put_number(&w, result->prepare_attempts, 4);
		put_number(&w, result->execute_attempts, 4);
		uint64_t timings[TIMINGS];
		timings_of(&result->timings, timings);
		for (unsigned i = 0; i < TIMINGS; i++)
			put_number(&w, timings[i], 8);
	}
	put_number(&w, message_length, 2);
	put(&w, message, message_length);
	if (!reply->refused) {
		put_number(&w, output, 4);
		put(&w, result->output, output);
	}
	*length = w.length;
	return w.bytes;
}

/* ---- reading --------------------------------------------------------------------- */

struct reader {
	const uint8_t *bytes;
	size_t length, at;
	const char *failed; /* the first field that did not fit, or NULL */
};

static bool take(struct reader *r, size_t length, const char *field, const uint8_t **out)
{
	if (r->failed || length > r->length - r->at) {
		if (!r->failed)
			r->failed = field;
		*out = NULL;
		return false;
	}
	*out = r->bytes + r->at;
	r->at += length;
	return true;
}

static uint64_t number(struct reader *r, unsigned size, const char *field)
{
	const uint8_t *at;
	uint64_t value = 0;
	if (take(r, size, field, &at))
		for (unsigned i = 0; i < size; i++)
			value |= (uint64_t)at[i] << (8 * i);
	return value;
}

/* The magic, the version and the reserved u16 after the status byte. */
static int header(struct reader *r, const char *magic, uint64_t *status, char *why, size_t why_size)
{
	const uint8_t *at;
	if (!take(r, 4, "magic", &at) || memcmp(at, magic, 4))
		return fail(why, why_size, "not a %s frame (no \"%s\" at its start)",
			    !strcmp(magic, REQUEST_MAGIC) ? "request" : "reply", magic);
	uint64_t version = number(r, 1, "version");
	*status = number(r, 1, "mode or status");
	uint64_t reserved = number(r, 2, "flags");
	if (r->failed)
		return fail(why, why_size, "the frame ends in its %s", r->failed);
	if (version != VERSION)
		return fail(why, why_size, "protocol version %llu; this corral speaks %u", (unsigned long long)version,
			    VERSION);
	if (reserved)
		return fail(why, why_size, "flags 0x%llx where 0 is the only value", (unsigned long long)reserved);
	return 0;
}

/* A u(size) length, then that many bytes, at most `max`. */
static const uint8_t *counted(struct reader *r, unsigned size, uint64_t max, const char *field, size_t *length,
			      char *why, size_t why_size, int *failed)
{
	uint64_t count = number(r, size, field);
	const uint8_t *bytes = NULL;
	if (!r->failed && count > max) {
		*failed = fail(why, why_size, "the %s is %llu bytes, over the limit of %llu", field,
			       (unsigned long long)count, (unsigned long long)max);
		return NULL;
	}
	take(r, (size_t)count, field, &bytes);
	*length = (size_t)count;
	return bytes;
}

static int finish(const struct reader *r, char *why, size_t why_size)
{
	if (r->failed)
		return fail(why, why_size, "the frame ends in its %s", r->failed);
	if (r->at != r->length)
		return fail(why, why_size, "%zu bytes follow the end of the frame", r->length - r->at);
	return 0;
}

int host_pvf_wire_decode_request(const uint8_t *body, size_t length, struct host_pvf_wire_request *request, char *why,
				 size_t why_size)
{
	struct reader r = {body, length, 0, NULL};
	uint64_t mode;
	memset(request, 0, sizeof *request);
	if (header(&r, REQUEST_MAGIC, &mode, why, why_size))
		return -1;
	if (mode > CORRAL_PVF_APPROVAL)
		return fail(why, why_size, "mode %llu; there are precheck (0), backing (1) and approval (2)",
			    (unsigned long long)mode);
	request->mode = (corral_pvf_mode)mode;
	request->gas = (int64_t)number(&r, 8, "gas");
	if (request->gas < 0)
		return fail(why, why_size, "a negative gas (%lld)", (long long)request->gas);
	int failed = 0;
	size_t name_length;
	const uint8_t *name = counted(&r, 1, HOST_PVF_WIRE_MAX_NAME, "name", &name_length, why, why_size, &failed);
	if (failed)
		return -1;
	if (name && !printable((const char *)name, name_length))
		return fail(why, why_size, "the program's name has a character that is not printable ASCII");
	if (name)
		memcpy(request->name, name, name_length);
	request->program =
		counted(&r, 4, HOST_PVF_WIRE_MAX_PROGRAM, "program", &request->program_length, why, why_size, &failed);
	if (!failed)
		request->input = counted(&r, 4, HOST_PVF_WIRE_MAX_INPUT, "input", &request->input_length, why, why_size,
					 &failed);
	if (failed)
		return -1;
	return finish(&r, why, why_size);
}

int host_pvf_wire_decode_reply(const uint8_t *body, size_t length, struct host_pvf_wire_reply *reply, char *why,
			       size_t why_size)
{
	struct reader r = {body, length, 0, NULL};
	uint64_t status;
	memset(reply, 0, sizeof *reply);
	if (header(&r, REPLY_MAGIC, &status, why, why_size))
		return -1;
	if (status > STATUS_REFUSED)
		return fail(why, why_size, "status %llu; there are 0 (a result) and 1 (refused)",
			    (unsigned long long)status);
	reply->refused = status == STATUS_REFUSED;
	corral_pvf_result *result = &reply->result;
	if (!reply->refused) {
		uint64_t verdict = number(&r, 1, "verdict"), reason = number(&r, 1, "reason");
		uint64_t prepared = number(&r, 1, "prepared flag"), reserved = number(&r, 1, "reserved byte");
		if (!r.failed &&
		    (verdict > CORRAL_PVF_NO_VERDICT || reason >= CORRAL_PVF_REASON_COUNT || prepared > 1 || reserved))
			return fail(why, why_size, "verdict %llu, reason %llu, flags %llu and %llu are not all known",
				    (unsigned long long)verdict, (unsigned long long)reason,
				    (unsigned long long)prepared, (unsigned long long)reserved);
		result->verdict = (corral_pvf_verdict)verdict;
		result->reason = (corral_pvf_reason)reason;
		result->prepared_now = prepared;
		result->prepare_attempts = (uint32_t)number(&r, 4, "prepare attempts");
		result->execute_attempts = (uint32_t)number(&r, 4, "execute attempts");
		uint64_t *timings[TIMINGS] = {&result->timings.total_ns,       &result->timings.prepare_ns,
					      &result->timings.prepare_cpu_ns, &result->timings.queue_ns,
					      &result->timings.execute_ns,     &result->timings.execute_cpu_ns,
					      &result->timings.retry_wait_ns};
		for (unsigned i = 0; i < TIMINGS; i++)
			*timings[i] = number(&r, 8, "timings");
	}
	int failed = 0;
	size_t message_length;
	const uint8_t *message =
		counted(&r, 2, HOST_PVF_WIRE_MAX_MESSAGE, "message", &message_length, why, why_size, &failed);
	if (failed)
		return -1;
	char *text = reply->refused ? reply->refusal : result->message;
	if (message)
		memcpy(text, message, message_length);
	text[message ? message_length : 0] = 0;
	if (!reply->refused) {
		size_t output_length;
		const uint8_t *output =
			counted(&r, 4, HOST_PVF_WIRE_MAX_OUTPUT, "output", &output_length, why, why_size, &failed);
		if (failed)
			return -1;
		result->output = (uint8_t *)output;
		result->output_length = output ? output_length : 0;
	}
	return finish(&r, why, why_size);
}

/* ---- the socket ------------------------------------------------------------------- */

/* All `length` bytes; 1 at a clean end before the first, 0, or -1. */
static int read_exactly(int fd, uint8_t *bytes, size_t length, char *why, size_t why_size)
{
	size_t done = 0;
	while (done < length) {
		ssize_t got = read(fd, bytes + done, length - done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return fail(why, why_size, "cannot read from the socket: %s", strerror(errno));
		if (got == 0) {
			if (done == 0)
				return 1;
			return fail(why, why_size, "the peer closed the socket %zu bytes into a %zu-byte read", done,
				    length);
		}
		done += (size_t)got;
	}
	return 0;
}

int host_pvf_wire_read(int fd, size_t max, uint8_t **body, size_t *length, bool *eof, char *why, size_t why_size)
{
	uint8_t prefix[4];
	*body = NULL;
	*eof = false;
	int got = read_exactly(fd, prefix, sizeof prefix, why, why_size);
	if (got == 1) {
		*eof = true;
		return fail(why, why_size, "the peer closed the socket");
	}
	if (got)
		return -1;
	size_t size = (size_t)prefix[0] | (size_t)prefix[1] << 8 | (size_t)prefix[2] << 16 | (size_t)prefix[3] << 24;
	if (size > max)
		return fail(why, why_size, "a frame of %zu bytes is over the limit of %zu", size, max);
	*body = malloc(size ? size : 1);
	if (!*body)
		return fail(why, why_size, "no memory for a frame of %zu bytes", size);
	got = read_exactly(fd, *body, size, why, why_size);
	if (got) {
		if (got == 1)
			fail(why, why_size, "the peer closed the socket after a frame's length");
		free(*body);
		*body = NULL;
		return -1;
	}
	*length = size;
	return 0;
}

int host_pvf_wire_write(int fd, const uint8_t *bytes, size_t length, char *why, size_t why_size)
{
	while (length) {
		ssize_t sent = send(fd, bytes, length, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent <= 0)
			return fail(why, why_size, "cannot write to the socket: %s",
				    strerror(sent < 0 ? errno : EPIPE));
		bytes += sent;
		length -= (size_t)sent;
	}
	return 0;
}
