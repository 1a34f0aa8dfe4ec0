/* corral serve: the validation pipeline as a daemon on a Unix socket.
 *
 * One thread per connection (64 at most) reads request frames
 * (host/pvf_wire.h), validates each through the pipeline, logs one line
 * per validation on stdout and answers with a reply frame; a frame that
 * fails a check is refused with the reason and the connection closed.
 * SIGINT, SIGTERM or SIGHUP stop it: no new connection is taken, each
 * connection finishes the validation it is in, the pipeline stops, and the
 * socket file is removed. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/pvf.h"
#include "host/pvf_wire.h"

#define MAX_CONNECTIONS 64

struct serve_options {
	const char *socket_path;
	char cache[4096];
	corral_pvf_config pvf;
};

struct connection {
	int fd;
	pthread_t thread;
	bool running, done;
	corral_pvf *pvf;
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t validations;

static bool parse_u32(const char *text, uint32_t *value)
{
	uint64_t wide;
	if (!text || !cli_parse_u64(text, &wide) || wide > UINT32_MAX)
		return false;
	*value = (uint32_t)wide;
	return true;
}

/* The options that are a number each, in one table. */
static const struct {
	const char *name;
	size_t offset;
	bool wide; /* uint64_t, else uint32_t */
	bool positive;
} number_options[] = {
	{"--prepare-workers", offsetof(corral_pvf_config, prepare_workers), false, true},
	{"--execute-workers", offsetof(corral_pvf_config, execute_workers), false, true},
	{"--precheck-timeout", offsetof(corral_pvf_config, precheck_timeout_ms), false, true},
	{"--prepare-timeout", offsetof(corral_pvf_config, prepare_timeout_ms), false, true},
	{"--execute-timeout", offsetof(corral_pvf_config, execute_timeout_ms), false, true},
	{"--memory-limit", offsetof(corral_pvf_config, execute_memory_limit), true, false},
	{"--prepare-memory-limit", offsetof(corral_pvf_config, prepare_memory_limit), true, false},
	{"--max-output", offsetof(corral_pvf_config, max_output), false, false},
};

/* 0 when argv[*i] was one of number_options, -1 when not, else a usage error. */
static int number_option(const struct command *self, int argc, char **argv, int *i, corral_pvf_config *config)
{
	const char *value;
	for (size_t k = 0; k < sizeof number_options / sizeof *number_options; k++) {
		if (!cli_option(argc, argv, i, number_options[k].name, &value))
			continue;
		uint8_t *field = (uint8_t *)config + number_options[k].offset;
		uint64_t wide = 0;
		uint32_t narrow = 0;
		bool ok = number_options[k].wide ? value && cli_parse_u64(value, &wide) : parse_u32(value, &narrow);
		if (ok && number_options[k].positive && !narrow)
			ok = false;
		if (!ok)
			return cli_usage_error(self, "%s takes a %snumber", number_options[k].name,
					       number_options[k].positive ? "positive " : "");
		if (number_options[k].wide)
			memcpy(field, &wide, sizeof wide);
		else
			memcpy(field, &narrow, sizeof narrow);
		return 0;
	}
	return -1;
}

static void default_cache(char *path, size_t size)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(path, size, "%s/corral/artifacts", xdg);
	else
		snprintf(path, size, "%s/.cache/corral/artifacts", home && *home ? home : "/tmp");
}

static int parse(int argc, char **argv, struct serve_options *options)
{
	const struct command *self = cli_command("serve");
	const char *value;
	int status;
	corral_pvf_config_init(&options->pvf);
	default_cache(options->cache, sizeof options->cache);
	for (int i = 1; i < argc; i++) {
		if (cli_option(argc, argv, &i, "--socket", &value)) {
			if (!value)
				return cli_usage_error(self, "--socket takes a path");
			options->socket_path = value;
		} else if (cli_option(argc, argv, &i, "--cache", &value)) {
			if (!value)
				return cli_usage_error(self, "--cache takes a folder");
			snprintf(options->cache, sizeof options->cache, "%s", value);
		} else if (cli_option(argc, argv, &i, "--gas", &value)) {
			if (!value || !cli_parse_i64(value, &options->pvf.gas) || options->pvf.gas <= 0)
				return cli_usage_error(self, "--gas takes a positive number");
		} else if (cli_option(argc, argv, &i, "--isa", &value)) {
			if (!value || !cli_parse_isa(value, &options->pvf.module.isa))
				return cli_usage_error(self, "--isa takes gp0.7 or gp0.8");
		} else if (cli_option(argc, argv, &i, "--format", &value)) {
			if (!value || !cli_parse_format(value, &options->pvf.module.format))
				return cli_usage_error(self, "--format takes %s", cli_format_choices);
		} else if (cli_option(argc, argv, &i, "--gas-model", &value)) {
			if (!value || !cli_parse_gas_model(value, &options->pvf.module.gas_model))
				return cli_usage_error(self, "--gas-model takes naive or gp08");
		} else if ((status = number_option(self, argc, argv, &i, &options->pvf)) >= 0) {
			if (status)
				return status;
		} else {
			return cli_usage_error(self, "unknown argument %s", argv[i]);
		}
	}
	if (!options->socket_path)
		return cli_usage_error(self, "where? (--socket PATH)");
	options->pvf.cache_dir = options->cache;
	return 0;
}

/* mkdir -p of the cache's parents: the pipeline makes the folder itself. */
static void make_parents(const char *path)
{
	char partial[4096];
	snprintf(partial, sizeof partial, "%s", path);
	for (char *slash = strchr(partial + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		mkdir(partial, 0755);
		*slash = '/';
	}
}

/* A socket file left by a daemon that is gone is replaced; one a daemon
 * still listens on, or anything that is not a socket, is not. */
static int listen_on(const char *path)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof address.sun_path)
		return -cli_error("%s: a socket path may have at most %zu bytes", path, sizeof address.sun_path - 1);
	strcpy(address.sun_path, path);
	struct stat status;
	if (!lstat(path, &status)) {
		if (!S_ISSOCK(status.st_mode))
			return -cli_error("%s: exists and is not a socket", path);
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = probe >= 0 && !connect(probe, (struct sockaddr *)&address, sizeof address);
		if (probe >= 0)
			close(probe);
		if (live)
			return -cli_error("%s: another daemon is listening on it", path);
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) || listen(fd, MAX_CONNECTIONS)) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		return -cli_error("%s: cannot listen: %s", path, strerror(saved));
	}
	return fd;
}

static void refuse(int fd, const char *why)
{
	struct host_pvf_wire_reply reply = {.refused = true};
	char ignored[160];
	size_t length;
	snprintf(reply.refusal, sizeof reply.refusal, "%s", why);
	uint8_t *frame = host_pvf_wire_encode_reply(&reply, &length, ignored, sizeof ignored);
	if (frame)
		host_pvf_wire_write(fd, frame, length, ignored, sizeof ignored);
	free(frame);
}

/* One request: false when the connection is to close. */
static bool serve_one(struct connection *connection)
{
	char why[640];
	uint8_t *body;
	size_t length;
	bool eof;
	if (host_pvf_wire_read(connection->fd, HOST_PVF_WIRE_MAX_BODY, &body, &length, &eof, why, sizeof why)) {
		if (!eof)
			refuse(connection->fd, why);
		return false;
	}
	struct host_pvf_wire_request request;
	if (host_pvf_wire_decode_request(body, length, &request, why, sizeof why)) {
		refuse(connection->fd, why);
		free(body);
		return false;
	}
	const char *name = request.name[0] ? request.name : "program";
	corral_pvf_request asked = {
		.program = request.program,
		.program_length = request.program_length,
		.input = request.input,
		.input_length = request.input_length,
		.mode = request.mode,
		.gas = request.gas,
		.name = name,
	};
	struct host_pvf_wire_reply reply = {0};
	corral_error error;
	bool ok = corral_pvf_validate(connection->pvf, &asked, &reply.result, &error) == CORRAL_OK;
	free(body);
	if (!ok) {
		refuse(connection->fd, error.message);
		return false;
	}
	pthread_mutex_lock(&log_lock);
	validations++;
	cli_pvf_log(stdout, name, request.mode, &reply.result);
	pthread_mutex_unlock(&log_lock);
	uint8_t *frame = host_pvf_wire_encode_reply(&reply, &length, why, sizeof why);
	ok = frame && !host_pvf_wire_write(connection->fd, frame, length, why, sizeof why);
	free(frame);
	corral_pvf_result_free(&reply.result);
	return ok;
}

static void *serve_connection(void *argument)
{
	struct connection *connection = argument;
	while (serve_one(connection))
		;
	close(connection->fd);
	__atomic_store_n(&connection->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Joins connection threads that have finished. */
static void reap(struct connection *connections)
{
	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		if (connections[i].running && __atomic_load_n(&connections[i].done, __ATOMIC_ACQUIRE)) {
			pthread_join(connections[i].thread, NULL);
			connections[i].running = false;
		}
}

static void accept_one(int listener, struct connection *connections, corral_pvf *pvf)
{
	int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	reap(connections);
	struct connection *free_slot = NULL;
	for (size_t i = 0; i < MAX_CONNECTIONS && !free_slot; i++)
		if (!connections[i].running)
			free_slot = &connections[i];
	if (!free_slot) {
		refuse(fd, "the daemon is serving as many connections as it takes; try again");
		close(fd);
		return;
	}
	*free_slot = (struct connection){.fd = fd, .pvf = pvf, .running = true};
	if (pthread_create(&free_slot->thread, NULL, serve_connection, free_slot)) {
		free_slot->running = false;
		refuse(fd, "the daemon cannot start a thread for the connection");
		close(fd);
	}
}

int cmd_serve(int argc, char **argv)
{
	struct serve_options options = {0};
	int status = parse(argc, argv, &options);
	if (status)
		return status;
	/* Every thread, the pipeline's included, leaves these to the signalfd. */
	sigset_t stops;
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stops, NULL);
	int signals = signalfd(-1, &stops, SFD_CLOEXEC);
	make_parents(options.cache);
	corral_pvf *pvf;
	corral_error error;
	if (signals < 0 || corral_pvf_new(&options.pvf, &pvf, &error) != CORRAL_OK) {
		if (signals >= 0)
			close(signals);
		return cli_error("serve: %s", signals < 0 ? strerror(errno) : error.message);
	}
	int listener = listen_on(options.socket_path);
	if (listener < 0) {
		corral_pvf_free(pvf);
		close(signals);
		return 1;
	}
	const corral_pvf_config *c = &options.pvf;
	char prepare_memory[32] = "none", execute_memory[32] = "none";
	if (c->prepare_memory_limit)
		snprintf(prepare_memory, sizeof prepare_memory, "%llu MiB",
			 (unsigned long long)(c->prepare_memory_limit >> 20));
	if (c->execute_memory_limit)
		snprintf(execute_memory, sizeof execute_memory, "%llu MiB",
			 (unsigned long long)(c->execute_memory_limit >> 20));
	printf("corral serve: listening on %s; artifacts in %s; %u prepare and %u execute workers; CPU limits: "
	       "precheck %u ms, prepare %u ms, execute %u ms; memory limits (cgroup): prepare %s, execute %s\n",
	       options.socket_path, options.cache, c->prepare_workers, c->execute_workers, c->precheck_timeout_ms,
	       c->prepare_timeout_ms, c->execute_timeout_ms, prepare_memory, execute_memory);
	fflush(stdout);
	struct connection *connections = calloc(MAX_CONNECTIONS, sizeof *connections);
	for (bool stopping = !connections; !stopping;) {
		struct pollfd watched[2] = {{.fd = listener, .events = POLLIN}, {.fd = signals, .events = POLLIN}};
		if (poll(watched, 2, -1) < 0 && errno != EINTR)
			break;
		if (watched[1].revents)
			stopping = true;
		else if (watched[0].revents)
			accept_one(listener, connections, pvf);
	}
	close(listener);
	unlink(options.socket_path);
	/* Each connection ends after the validation it is in. */
	for (size_t i = 0; connections && i < MAX_CONNECTIONS; i++)
		if (connections[i].running) {
			shutdown(connections[i].fd, SHUT_RD);
			pthread_join(connections[i].thread, NULL);
		}
	free(connections);
	corral_pvf_free(pvf);
	close(signals);
	printf("corral serve: stopped after %llu validations\n", (unsigned long long)validations);
	return 0;
}
