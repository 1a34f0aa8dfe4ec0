/* How a validation's result is printed (cli/pvf.h): the same figures by
 * the daemon, one line per request, and by the client, one per field. */
#include <stdio.h>
#include <string.h>

#include "cli/pvf.h"

bool cli_parse_pvf_mode(const char *text, corral_pvf_mode *mode)
{
	for (corral_pvf_mode m = CORRAL_PVF_PRECHECK; m <= CORRAL_PVF_APPROVAL; m++)
		if (!strcmp(text, corral_pvf_mode_name(m))) {
			*mode = m;
			return true;
		}
	return false;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* "prepare 0.05 ms, queue 0.01 ms, execute 1.41 ms (CPU 0.31 ms)" and,
 * when there was one, the prepare job's CPU time and the retry's pause.
 * An execution's CPU time is what the kernel had accounted when the
 * verdict came (at scheduler ticks): a short one may have none yet, and
 * then none is shown. */
static void timings(FILE *out, const corral_pvf_result *result)
{
	const corral_pvf_timings *t = &result->timings;
	fprintf(out, "total %.2f ms: prepare %.2f ms", ms(t->total_ns), ms(t->prepare_ns));
	if (result->prepared_now)
		fprintf(out, " (compiled now, CPU %.2f ms)", ms(t->prepare_cpu_ns));
	if (result->execute_attempts)
		fprintf(out, ", queue %.2f ms, execute %.2f ms", ms(t->queue_ns), ms(t->execute_ns));
	if (t->execute_cpu_ns)
		fprintf(out, " (CPU %.2f ms)", ms(t->execute_cpu_ns));
	if (t->retry_wait_ns)
		fprintf(out, ", retry pause %.2f ms", ms(t->retry_wait_ns));
}

/* Text as it is when it is all printable, else hex (the first 64 bytes). */
static void output(FILE *out, const uint8_t *bytes, size_t length)
{
	bool text = true;
	for (size_t i = 0; i < length; i++)
		text &= bytes[i] >= 0x20 && bytes[i] < 0x7f;
	if (text) {
		fprintf(out, "\"%.*s\" (%zu bytes)", (int)length, (const char *)bytes, length);
		return;
	}
	for (size_t i = 0; i < length && i < 64; i++)
		fprintf(out, "%02x", bytes[i]);
	fprintf(out, "%s (%zu bytes)", length > 64 ? "..." : "", length);
}

void cli_pvf_report(FILE *out, const corral_pvf_result *result)
{
	fprintf(out, "verdict:  %s\n", corral_pvf_verdict_name(result->verdict));
	fprintf(out, "reason:   %s: %s\n", corral_pvf_reason_name(result->reason), result->message);
	if (result->verdict == CORRAL_PVF_VALID && result->execute_attempts) {
		fprintf(out, "output:   ");
		output(out, result->output, result->output_length);
		fputc('\n', out);
	}
	fprintf(out, "timings:  ");
	timings(out, result);
	fprintf(out, "\nattempts: prepare %u, execute %u\n", result->prepare_attempts, result->execute_attempts);
}

void cli_pvf_log(FILE *out, const char *name, corral_pvf_mode mode, const corral_pvf_result *result)
{
	fprintf(out, "%s %s: %s (%s), ", name, corral_pvf_mode_name(mode), corral_pvf_verdict_name(result->verdict),
		corral_pvf_reason_name(result->reason));
	timings(out, result);
	fprintf(out, "; attempts %u/%u", result->prepare_attempts, result->execute_attempts);
	if (result->verdict != CORRAL_PVF_VALID || !result->execute_attempts)
		fprintf(out, "; %s", result->message);
	fputc('\n', out);
	fflush(out);
}
