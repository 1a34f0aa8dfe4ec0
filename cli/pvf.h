/* The validation pipeline on the command line: `corral serve` (the daemon,
 * cli/serve.c), `corral validate` (its client, cli/validate.c), and how
 * both print a result (cli/pvf_report.c). */
#ifndef CLI_PVF_H
#define CLI_PVF_H

#include <stdio.h>

#include "corral.h"

int cmd_serve(int argc, char **argv);
int cmd_validate(int argc, char **argv);

/* precheck, backing or approval. */
bool cli_parse_pvf_mode(const char *text, corral_pvf_mode *mode);

/* The client's report: verdict, reason and message, output, timings and
 * attempts, one per line. */
void cli_pvf_report(FILE *out, const corral_pvf_result *result);

/* The daemon's log: one line per validation. */
void cli_pvf_log(FILE *out, const char *name, corral_pvf_mode mode, const corral_pvf_result *result);

#endif
