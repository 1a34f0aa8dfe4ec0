/* corral validate: asks a `corral serve` daemon for one validation and
 * prints its verdict, reason, output and timings. Exit status: 0 valid,
 * 3 invalid, 4 no verdict, 1 when the daemon cannot be asked, 2 on usage
 * errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/pvf.h"
#include "host/pvf_wire.h"

#define STATUS_INVALID    3
#define STATUS_NO_VERDICT 4

struct validate_options {
	const char *socket_path;
	const char *program_path;
	const char *input_path;
	corral_pvf_mode mode;
	int64_t gas;
};

static int parse(int argc, char **argv, struct validate_options *options)
{
	const struct command *self = cli_command("validate");
	const char *value;
	int status;
	options->mode = CORRAL_PVF_APPROVAL;
	for (int i = 1; i < argc; i++) {
		if (cli_option(argc, argv, &i, "--socket", &value)) {
			if (!value)
				return cli_usage_error(self, "--socket takes a path");
			options->socket_path = value;
		} else if (cli_option(argc, argv, &i, "--input", &value)) {
			if (!value)
				return cli_usage_error(self, "--input takes a file");
			options->input_path = value;
		} else if (cli_option(argc, argv, &i, "--mode", &value)) {
			if (!value || !cli_parse_pvf_mode(value, &options->mode))
				return cli_usage_error(self, "--mode takes precheck, backing or approval");
		} else if (cli_option(argc, argv, &i, "--gas", &value)) {
			if (!value || !cli_parse_i64(value, &options->gas) || options->gas <= 0)
				return cli_usage_error(self, "--gas takes a positive number");
		} else if ((status = cli_input_argument(self, argv[i], &options->program_path))) {
			return status;
		}
	}
	if (!options->socket_path)
		return cli_usage_error(self, "which daemon? (--socket PATH)");
	if (!options->program_path)
		return cli_usage_error(self, "which program?");
	if (!options->input_path && options->mode != CORRAL_PVF_PRECHECK)
		return cli_usage_error(self, "what input? (--input FILE; only --mode precheck needs none)");
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof address.sun_path)
		return -cli_error("%s: a socket path may have at most %zu bytes", path, sizeof address.sun_path - 1);
	strcpy(address.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address)) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		return -cli_error("%s: cannot reach the daemon (corral serve --socket %s): %s", path, path,
				  strerror(saved));
	}
	return fd;
}

/* Sends the request and reads the reply into *body / *reply. */
static int ask(const struct validate_options *options, const struct host_pvf_wire_request *request, uint8_t **body,
	       struct host_pvf_wire_reply *reply)
{
	char why[640];
	size_t length;
	uint8_t *frame = host_pvf_wire_encode_request(request, &length, why, sizeof why);
	if (!frame)
		return cli_error("%s: %s", options->program_path, why);
	int fd = connect_to(options->socket_path);
	if (fd < 0) {
		free(frame);
		return 1;
	}
	bool eof;
	int failed = host_pvf_wire_write(fd, frame, length, why, sizeof why) ||
		     host_pvf_wire_read(fd, HOST_PVF_WIRE_MAX_OUTPUT + 4096, body, &length, &eof, why, sizeof why) ||
		     host_pvf_wire_decode_reply(*body, length, reply, why, sizeof why);
	close(fd);
	free(frame);
	if (failed)
		return cli_error("%s: the daemon's answer: %s", options->socket_path, why);
	if (reply->refused)
		return cli_error("%s: the daemon refused the request: %s", options->socket_path, reply->refusal);
	return 0;
}

static const int verdict_status[] = {
	[CORRAL_PVF_VALID] = 0,
	[CORRAL_PVF_INVALID] = STATUS_INVALID,
	[CORRAL_PVF_NO_VERDICT] = STATUS_NO_VERDICT,
};

int cmd_validate(int argc, char **argv)
{
	struct validate_options options = {0};
	int status = parse(argc, argv, &options);
	if (status)
		return status;
	size_t program_length, input_length = 0;
	uint8_t *program = cli_read_file(options.program_path, &program_length);
	uint8_t *input = program && options.input_path ? cli_read_file(options.input_path, &input_length) : NULL;
	if (!program || (options.input_path && !input)) {
		free(program);
		return 1;
	}
	struct host_pvf_wire_request request = {
		.mode = options.mode,
		.gas = options.gas,
		.program = program,
		.program_length = program_length,
		.input = input,
		.input_length = input_length,
	};
	const char *slash = strrchr(options.program_path, '/');
	snprintf(request.name, sizeof request.name, "%s", slash ? slash + 1 : options.program_path);
	for (char *c = request.name; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	uint8_t *body = NULL;
	struct host_pvf_wire_reply reply;
	status = ask(&options, &request, &body, &reply);
	if (!status) {
		cli_pvf_report(stdout, &reply.result);
		status = verdict_status[reply.result.verdict];
	}
	free(body);
	free(program);
	free(input);
	return status;
}
