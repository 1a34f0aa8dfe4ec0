/* The validation daemon's protocol (corral serve, corral validate): one
 * request and one reply after another on a Unix stream socket, each a
 * frame: a u32 little-endian body length, then the body. Every field is
 * checked on reading; anything out of place refuses the frame with a
 * reason, never guesses. All numbers little-endian.
 *
 * A request:
 *   "CRVQ"  u8 version (1)  u8 mode (0 precheck, 1 backing, 2 approval)  u16 flags (0)
 *   i64 gas (0: the daemon's; never negative)
 *   u8 name length (0..255), the name (printable ASCII: it names the program in messages)
 *   u32 program length, the program      (at most 64 MiB)
 *   u32 input length, the input          (at most 16 MiB)
 *   and nothing after.
 *
 * A reply:
 *   "CRVR"  u8 version (1)  u8 status (0: a result, 1: the request was refused)  u16 (0)
 *   status 1: u16 message length (at most 639), the message (why)
 *   status 0: u8 verdict, u8 reason, u8 prepared now (0 or 1), u8 (0)
 *             u32 prepare attempts, u32 execute attempts
 *             u64 total, prepare, prepare CPU, queue, execute, execute CPU and
 *                 retry-wait times, in ns
 *             u16 message length (at most 639), the message
 *             u32 output length (at most 16 MiB), the output
 *   and nothing after. */
#ifndef HOST_PVF_WIRE_H
#define HOST_PVF_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corral.h"

#define HOST_PVF_WIRE_MAX_PROGRAM (64u << 20)
#define HOST_PVF_WIRE_MAX_INPUT   (16u << 20)
#define HOST_PVF_WIRE_MAX_OUTPUT  (16u << 20)
#define HOST_PVF_WIRE_MAX_NAME    255
#define HOST_PVF_WIRE_MAX_MESSAGE 639
#define HOST_PVF_WIRE_MAX_BODY    (HOST_PVF_WIRE_MAX_PROGRAM + HOST_PVF_WIRE_MAX_INPUT + 1024)

struct host_pvf_wire_request {
	corral_pvf_mode mode;
	int64_t gas;
	char name[HOST_PVF_WIRE_MAX_NAME + 1];
	const uint8_t *program; /* borrowed from the body */
	size_t program_length;
	const uint8_t *input;
	size_t input_length;
};

struct host_pvf_wire_reply {
	bool refused;
	char refusal[HOST_PVF_WIRE_MAX_MESSAGE + 1]; /* refused: why */
	corral_pvf_result result;                    /* else; output borrowed from the body when decoded */
};

/* A whole frame (the length, then the body), malloc'd; NULL when a field
 * is over its limit (the message says which). */
uint8_t *host_pvf_wire_encode_request(const struct host_pvf_wire_request *request, size_t *length, char *why,
				      size_t why_size);
uint8_t *host_pvf_wire_encode_reply(const struct host_pvf_wire_reply *reply, size_t *length, char *why,
				    size_t why_size);

/* Reads a body (without its length). 0, or -1 with `why` filled. */
int host_pvf_wire_decode_request(const uint8_t *body, size_t length, struct host_pvf_wire_request *request, char *why,
				 size_t why_size);
int host_pvf_wire_decode_reply(const uint8_t *body, size_t length, struct host_pvf_wire_reply *reply, char *why,
			       size_t why_size);

/* Socket I/O: one frame in (body malloc'd, at most `max` bytes; *eof when
 * the peer closed before a frame began), or all of `bytes` out. 0, or -1
 * with `why` filled. */
int host_pvf_wire_read(int fd, size_t max, uint8_t **body, size_t *length, bool *eof, char *why, size_t why_size);
int host_pvf_wire_write(int fd, const uint8_t *bytes, size_t length, char *why, size_t why_size);

#endif
