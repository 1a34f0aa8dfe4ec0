/* corral audit, and corral run --audit: an eBPF audit of the sandboxes a
 * run creates, printed as a trace per sandbox and a summary
 * (cli/audit.c runs it, cli/audit_trace.c prints it). */
#ifndef CLI_AUDIT_H
#define CLI_AUDIT_H

#include <stdbool.h>
#include <stdio.h>

#include "corral.h"

/* --audit=required|optional: what to do when the audit cannot run (not
 * root, no BTF): stop, or say why and go on unaudited. */
enum cli_audit_need {
	CLI_AUDIT_OFF = 0,
	CLI_AUDIT_REQUIRED,
	CLI_AUDIT_OPTIONAL,
};

/* "required" or "optional". */
bool cli_parse_audit_need(const char *text, enum cli_audit_need *need);

/* An audit running in a thread of its own, printing each event as it
 * comes. */
struct cli_audit;

/* corral run --audit: starts one that watches the sandboxes this process
 * starts, printing to stderr. Returns NULL when `need` is off, or when the
 * audit cannot run: then *status is 0 to go on unaudited (optional; the
 * reason was printed) or the exit status to stop with (required). */
struct cli_audit *cli_audit_run_start(enum cli_audit_need need, int *status);
/* Waits a little for the sandboxes still alive to end, prints the
 * summary, and frees everything. NULL is fine. */
void cli_audit_finish(struct cli_audit *audit);

/* ---- the trace (cli/audit_trace.c) --------------------------------------- */

struct audit_trace;

struct audit_trace *audit_trace_new(FILE *out, bool json, bool color);
/* One event: a line of the trace, and its place in the summary. */
void audit_trace_event(struct audit_trace *trace, const corral_audit_event *event);
/* Sandboxes seen whose first process has not ended. */
unsigned audit_trace_alive(const struct audit_trace *trace);
/* The table per sandbox (or, with json, one summary object per sandbox),
 * and how many events were lost. */
void audit_trace_summary(struct audit_trace *trace, uint64_t dropped);
void audit_trace_free(struct audit_trace *trace);

int cmd_audit(int argc, char **argv);

#endif
