/* corral audit [--json] [--audit=required|optional] [-o FILE] -- COMMAND...,
 * and the audit behind corral run --audit.
 *
 * How `corral audit` finds COMMAND's sandboxes: it forks the process that
 * will exec COMMAND and, while that process waits for a byte on a pipe,
 * tells the audit to watch its tree (corral_audit_watch_children). From
 * then on the kernel side follows every fork of the tree and watches each
 * child cloned into a new pid namespace, which is what a sandbox worker
 * is, from before the child runs. Nothing depends on COMMAND's
 * cooperation (no environment variable, no inherited fd), on the cgroups
 * it or its workers are put in, or on the corral it runs: any sandbox it
 * or its descendants start is seen, and nothing else is.
 *
 * corral run --audit watches the workers its own engine starts
 * (corral_audit_config.watch_own_sandboxes). Either way a thread polls the
 * ring buffer and prints each event as it comes; the summary follows once
 * the sandboxes seen have ended (or after FINISH_WAIT_MS). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/audit.h"
#include "cli/cli.h"

#define POLL_MS        50
#define FINISH_WAIT_MS 3000

struct cli_audit {
	corral_audit *audit;
	struct audit_trace *trace;
	pthread_t thread;
	bool polling;
	int stop;
};

bool cli_parse_audit_need(const char *text, enum cli_audit_need *need)
{
	if (!strcmp(text, "required"))
		*need = CLI_AUDIT_REQUIRED;
	else if (!strcmp(text, "optional"))
		*need = CLI_AUDIT_OPTIONAL;
	else
		return false;
	return true;
}

static void on_event(const corral_audit_event *event, void *context)
{
	audit_trace_event(context, event);
}

/* An audit of the sandboxes this process starts (`own`), or of none until
 * told; NULL as cli_audit_run_start says. */
static struct cli_audit *start(enum cli_audit_need need, bool own, bool json, FILE *out, int *status)
{
	*status = 0;
	if (need == CLI_AUDIT_OFF)
		return NULL;
	struct cli_audit *audit = calloc(1, sizeof *audit);
	struct audit_trace *trace = audit_trace_new(out, json, isatty(fileno(out)));
	if (!audit || !trace) {
		free(audit);
		audit_trace_free(trace);
		*status = cli_error("out of memory");
		return NULL;
	}
	corral_audit_config config;
	corral_audit_config_init(&config);
	config.callback = on_event;
	config.context = trace;
	config.watch_own_sandboxes = own;
	corral_error error;
	if (corral_audit_new(&config, &audit->audit, &error)) {
		if (need == CLI_AUDIT_REQUIRED)
			*status = cli_error("%s (--audit=optional runs unaudited instead)", error.message);
		else
			cli_error("%s; running unaudited (--audit=optional)", error.message);
		audit_trace_free(trace);
		free(audit);
		return NULL;
	}
	audit->trace = trace;
	return audit;
}

static void *poll_loop(void *argument)
{
	struct cli_audit *audit = argument;
	corral_error error;
	while (!__atomic_load_n(&audit->stop, __ATOMIC_ACQUIRE))
		if (corral_audit_poll(audit->audit, POLL_MS, NULL, &error)) {
			cli_error("%s", error.message);
			break;
		}
	return NULL;
}

/* Starts printing events as they come, on a thread of the audit's own. */
static void start_polling(struct cli_audit *audit)
{
	int failed = audit ? pthread_create(&audit->thread, NULL, poll_loop, audit) : 0;
	if (failed)
		cli_error("cannot start the audit's thread: %s (the events will come at the end)", strerror(failed));
	else if (audit)
		audit->polling = true;
}

void cli_audit_finish(struct cli_audit *audit)
{
	if (!audit)
		return;
	/* A worker's end reaches us after its host has reaped it, or, when
	 * the host died first, once the zygote notices it is orphaned. */
	for (int waited = 0; audit->polling && audit_trace_alive(audit->trace) && waited < FINISH_WAIT_MS;
	     waited += POLL_MS)
		usleep(POLL_MS * 1000);
	if (audit->polling) {
		__atomic_store_n(&audit->stop, 1, __ATOMIC_RELEASE);
		pthread_join(audit->thread, NULL);
	}
	corral_error error;
	size_t count;
	do
		if (corral_audit_poll(audit->audit, 0, &count, &error)) {
			cli_error("%s", error.message);
			break;
		}
	while (count);
	audit_trace_summary(audit->trace, corral_audit_dropped(audit->audit));
	corral_audit_free(audit->audit);
	audit_trace_free(audit->trace);
	free(audit);
}

/* ---- corral audit -------------------------------------------------------- */

/* The exit status of a shell running it: its own, or 128 + the signal. */
static int shell_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs `command` with its tree watched from before it execs (or not
 * watched at all when audit is NULL), and waits for it. */
static int run_command(struct cli_audit *audit, char **command)
{
	int go[2];
	if (pipe2(go, O_CLOEXEC))
		return cli_error("cannot make a pipe for %s: %s", command[0], strerror(errno));
	fflush(NULL);
	pid_t child = fork();
	if (child < 0) {
		close(go[0]);
		close(go[1]);
		return cli_error("cannot start %s: %s", command[0], strerror(errno));
	}
	if (child == 0) {
		/* Never unwatched: no byte means the audit could not watch us. */
		char byte;
		close(go[1]);
		if (read(go[0], &byte, 1) != 1)
			_exit(127);
		execvp(command[0], command);
		static const char failed[] = "corral audit: cannot run the command: ";
		const char *why = strerror(errno);
		(void)!write(STDERR_FILENO, failed, sizeof failed - 1);
		(void)!write(STDERR_FILENO, why, strlen(why));
		(void)!write(STDERR_FILENO, "\n", 1);
		_exit(127);
	}
	close(go[0]);
	corral_error error;
	int status = 0;
	if (audit && corral_audit_watch_children(audit->audit, child, &error))
		status = cli_error("%s", error.message);
	else if (write(go[1], "", 1) != 1)
		status = cli_error("cannot start %s: %s", command[0], strerror(errno));
	close(go[1]);
	start_polling(audit);
	/* Like system(): ^C and ^\ are for the command; we stay to summarize. */
	struct sigaction ignore = {.sa_handler = SIG_IGN}, saved_int, saved_quit;
	sigaction(SIGINT, &ignore, &saved_int);
	sigaction(SIGQUIT, &ignore, &saved_quit);
	int waited;
	while (waitpid(child, &waited, 0) < 0)
		if (errno != EINTR) {
			waited = 127 << 8;
			break;
		}
	sigaction(SIGINT, &saved_int, NULL);
	sigaction(SIGQUIT, &saved_quit, NULL);
	return status ? status : shell_status(waited);
}

int cmd_audit(int argc, char **argv)
{
	const struct command *self = cli_command("audit");
	enum cli_audit_need need = CLI_AUDIT_REQUIRED;
	bool json = false;
	const char *output = NULL, *value;
	int i = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (cli_option(argc, argv, &i, "--audit", &value)) {
			if (!value || !cli_parse_audit_need(value, &need))
				return cli_usage_error(self, "--audit takes required or optional");
		} else if (cli_option(argc, argv, &i, "-o", &value) || cli_option(argc, argv, &i, "--output", &value)) {
			if (!value)
				return cli_usage_error(self, "-o takes the file the trace goes to");
			output = value;
		} else if (argv[i][0] == '-') {
			return cli_usage_error(self, "unknown option %s", argv[i]);
		} else {
			break;
		}
	}
	if (i >= argc)
		return cli_usage_error(self, "which command? say, corral audit -- corral run --backend jit --sandbox "
					     "linux prog.jam");
	FILE *out = output ? fopen(output, "w") : stderr;
	if (!out)
		return cli_error("%s: %s", output, strerror(errno));
	int status;
	struct cli_audit *audit = start(need, false, json, out, &status);
	if (audit && !json)
		fprintf(out, "corral audit: tracing every sandbox %s and its children start, from the kernel (eBPF)\n",
			argv[i]);
	if (audit || !status) {
		status = run_command(audit, argv + i);
		cli_audit_finish(audit);
	}
	if (output)
		fclose(out);
	return status;
}

struct cli_audit *cli_audit_run_start(enum cli_audit_need need, int *status)
{
	struct cli_audit *audit = start(need, true, false, stderr, status);
	if (audit)
		fprintf(stderr, "corral run: tracing every sandbox of this run, from the kernel (eBPF)\n");
	start_polling(audit);
	return audit;
}
