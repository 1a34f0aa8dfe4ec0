/* Fuzzing the validation daemon's protocol (host/pvf_wire.c): what
 * `corral serve` reads from anyone who can reach its socket.
 *
 * Input: any bytes, taken three ways: as a request body, as a reply body
 * (what `corral validate` reads), and as the fields of a request to encode
 * (so that deep fields are reached without guessing the magic).
 *
 * Checks: a refused frame says why; an accepted request's fields are
 * within their limits, point into the body, and encode back into exactly
 * the bytes read; an accepted reply encodes back into the same bytes; every
 * request made from fields reads back as those fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/pvf_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void failed(const char *what)
{
	fprintf(stderr, "fuzz_pvf_request: %s\n", what);
	abort();
}

static bool inside(const uint8_t *pointer, size_t length, const uint8_t *body, size_t size)
{
	return length == 0 || (pointer >= body && pointer <= body + size && length <= (size_t)(body + size - pointer));
}

static void as_request(const uint8_t *data, size_t size)
{
	struct host_pvf_wire_request request;
	char why[640] = "";
	if (host_pvf_wire_decode_request(data, size, &request, why, sizeof why)) {
		if (!why[0])
			failed("a refused request without a reason");
		return;
	}
	if (request.mode > CORRAL_PVF_APPROVAL || request.gas < 0 || strlen(request.name) > HOST_PVF_WIRE_MAX_NAME ||
	    request.program_length > HOST_PVF_WIRE_MAX_PROGRAM || request.input_length > HOST_PVF_WIRE_MAX_INPUT)
		failed("an accepted request has a field past its limit");
	if (!inside(request.program, request.program_length, data, size) ||
	    !inside(request.input, request.input_length, data, size))
		failed("an accepted request points outside its body");
	size_t length;
	uint8_t *frame = host_pvf_wire_encode_request(&request, &length, why, sizeof why);
	if (!frame)
		failed("an accepted request does not encode");
	if (length != size + 4 || memcmp(frame + 4, data, size))
		failed("an accepted request encodes into other bytes");
	free(frame);
}

static void as_reply(const uint8_t *data, size_t size)
{
	struct host_pvf_wire_reply reply;
	char why[640] = "";
	if (host_pvf_wire_decode_reply(data, size, &reply, why, sizeof why)) {
		if (!why[0])
			failed("a refused reply without a reason");
		return;
	}
	if (!inside(reply.result.output, reply.result.output_length, data, size))
		failed("an accepted reply's output points outside its body");
	/* A message with a NUL inside reads back shorter: only a message that
	 * is all text must round-trip. */
	const char *message = reply.refused ? reply.refusal : reply.result.message;
	size_t length;
	uint8_t *frame = host_pvf_wire_encode_reply(&reply, &length, why, sizeof why);
	if (!frame)
		failed("an accepted reply does not encode");
	size_t message_at = reply.refused ? 8 : 8 + 4 + 8 + 8 * 7;
	size_t declared = data[message_at] | (size_t)data[message_at + 1] << 8;
	if (strlen(message) == declared && (length != size + 4 || memcmp(frame + 4, data, size)))
		failed("an accepted reply encodes into other bytes");
	free(frame);
}

/* The input as fields: mode, gas, a name, and the rest split into a
 * program and an input. */
static void from_fields(const uint8_t *data, size_t size)
{
	if (size < 10)
		return;
	struct host_pvf_wire_request request = {.mode = (corral_pvf_mode)(data[0] % 3)};
	memcpy(&request.gas, data + 1, sizeof request.gas);
	if (request.gas < 0)
		request.gas = -(request.gas + 1);
	size_t name = data[9] % 32 < size - 10 ? data[9] % 32 : size - 10;
	for (size_t i = 0; i < name; i++)
		request.name[i] = (char)(0x20 + data[10 + i] % 0x5f);
	const uint8_t *rest = data + 10 + name;
	size_t left = size - 10 - name, split = left ? rest[0] % (left + 1) : 0;
	request.program = rest;
	request.program_length = split;
	request.input = rest + split;
	request.input_length = left - split;
	char why[640];
	size_t length;
	uint8_t *frame = host_pvf_wire_encode_request(&request, &length, why, sizeof why);
	if (!frame)
		failed("a request within every limit does not encode");
	struct host_pvf_wire_request back;
	if (host_pvf_wire_decode_request(frame + 4, length - 4, &back, why, sizeof why))
		failed(why);
	if (back.mode != request.mode || back.gas != request.gas || strcmp(back.name, request.name) ||
	    back.program_length != request.program_length || back.input_length != request.input_length ||
	    memcmp(back.program, request.program, request.program_length) ||
	    memcmp(back.input, request.input, request.input_length))
		failed("a request reads back as other fields");
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_request(data, size);
	as_reply(data, size);
	from_fields(data, size);
	return 0;
}
