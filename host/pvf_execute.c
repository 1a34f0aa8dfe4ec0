/* Execute jobs (host/pvf_execute.h): the host side of an SDK guest whose
 * stdin is the request's input and whose stdout is its verdict, run to the
 * end in a worker of its own, and every way it can end turned into one of
 * the pipeline's reasons. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/internal.h"
#include "host/pool.h"
#include "host/pvf_execute.h"
#include "host/pvf_reason.h"

/* The host functions, by number (guest/include/corral_guest.h) and by
 * import name (.polkavm containers). */
enum call {
	CALL_EXIT,
	CALL_WRITE,
	CALL_READ,
	CALL_SBRK,
	CALL_COUNT,
};

static const struct {
	uint64_t number;
	const char *name;
} calls[CALL_COUNT] = {
	[CALL_EXIT] = {1000, "corral_host_exit"},
	[CALL_WRITE] = {1001, "corral_write"},
	[CALL_READ] = {1002, "corral_read"},
	[CALL_SBRK] = {1003, "corral_sbrk"},
};

/* What stderr keeps for the message: the reason a guest gives. */
#define STDERR_KEPT 256
/* A read or write moves at most this much per call. */
#define CHUNK 65536

struct streams {
	const uint8_t *input;
	size_t input_length, input_at;
	uint8_t *output; /* HOST_PVF_RESULT_HEADER + max_output at most */
	size_t output_length, output_limit;
	char errors[STDERR_KEPT];
	size_t errors_length;
	bool flooded; /* it wrote past output_limit */
};

static void say(struct host_pvf_execution *execution, corral_pvf_reason reason, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct host_pvf_execution *execution, corral_pvf_reason reason, const char *format, ...)
{
	int used = snprintf(execution->message, sizeof execution->message, "%s: ", execution->name);
	va_list args;
	va_start(args, format);
	vsnprintf(execution->message + used, sizeof execution->message - (size_t)used, format, args);
	va_end(args);
	execution->reason = reason;
}

static bool resolve(const corral_module *module, uint64_t index, enum call *call)
{
	size_t imports = corral_module_import_count(module);
	const char *name = imports ? corral_module_import_name(module, (size_t)index) : NULL;
	for (unsigned i = 0; i < CALL_COUNT; i++)
		if (imports ? name && !strcmp(name, calls[i].name) : index == calls[i].number) {
			*call = (enum call)i;
			return true;
		}
	return false;
}

static int64_t guest_write(corral_instance *instance, struct streams *streams, uint64_t fd, uint64_t address,
			   uint64_t length)
{
	if ((fd != 1 && fd != 2) || address > UINT32_MAX || length > UINT32_MAX - address + 1)
		return -1;
	if (fd == 2) {
		size_t keep = STDERR_KEPT - streams->errors_length;
		if (keep > length)
			keep = (size_t)length;
		if (corral_instance_read(instance, (uint32_t)address, streams->errors + streams->errors_length, keep,
					 NULL))
			return -1;
		streams->errors_length += keep;
		return (int64_t)length;
	}
	if (length > streams->output_limit - streams->output_length) {
		streams->flooded = true;
		return -1;
	}
	if (corral_instance_read(instance, (uint32_t)address, streams->output + streams->output_length, (size_t)length,
				 NULL))
		return -1;
	streams->output_length += (size_t)length;
	return (int64_t)length;
}

static int64_t guest_read(corral_instance *instance, struct streams *streams, uint64_t fd, uint64_t address,
			  uint64_t length)
{
	if (fd != 0 || address > UINT32_MAX)
		return -1;
	size_t left = streams->input_length - streams->input_at;
	size_t n = length < left ? (size_t)length : left;
	if (n > CHUNK)
		n = CHUNK;
	if (n && corral_instance_write(instance, (uint32_t)address, streams->input + streams->input_at, n, NULL))
		return -1;
	streams->input_at += n;
	return (int64_t)n;
}

/* The program's own ways to stop that are not an exit. */
static const corral_pvf_reason stop_reasons[] = {
	[CORRAL_TRAP] = CORRAL_PVF_TRAP,
	[CORRAL_OUT_OF_GAS] = CORRAL_PVF_OUT_OF_GAS,
	[CORRAL_PAGE_FAULT] = CORRAL_PVF_PAGE_FAULT,
};

/* Runs to an exit: its status in *status, or false with the execution's
 * reason set. */
static bool run(struct host_pvf_execution *execution, corral_instance *instance, struct streams *streams, int *status)
{
	for (;;) {
		corral_interrupt stop = corral_instance_run(instance);
		switch (stop.kind) {
		case CORRAL_FINISHED:
			*status = (int)(corral_instance_reg(instance, 7) & 0xFF);
			return true;
		case CORRAL_HOST_CALL:
			break;
		case CORRAL_TRAP:
			/* A trap for corral's own reasons (a fault the page table
			 * allows) rests on what the worker reported: not the
			 * program's fault, and not taken for a local one. */
			if (corral_instance_divergence(instance)) {
				say(execution, CORRAL_PVF_JOB_DIED, "the execute job reported what cannot be: %s",
				    corral_instance_divergence(instance));
				return false;
			}
			/* fall through */
		case CORRAL_OUT_OF_GAS:
			say(execution, stop_reasons[stop.kind], "%s at pc %u", corral_interrupt_name(stop.kind),
			    stop.pc);
			return false;
		case CORRAL_PAGE_FAULT:
			say(execution, CORRAL_PVF_PAGE_FAULT, "page fault at address 0x%x (pc %u)", stop.address,
			    stop.pc);
			return false;
		case CORRAL_ABORTED:
			execution->reason = CORRAL_PVF_JOB_DIED; /* settled by the caller, who knows the watch */
			return false;
		default:
			say(execution, CORRAL_PVF_INTERNAL, "the run stopped for %s", corral_interrupt_name(stop.kind));
			return false;
		}
		enum call call;
		if (!resolve(execution->module, stop.host_call, &call)) {
			say(execution, CORRAL_PVF_BAD_HOST_CALL,
			    "host call %llu at pc %u is not one the pipeline provides",
			    (unsigned long long)stop.host_call, stop.pc);
			return false;
		}
		uint64_t a0 = corral_instance_reg(instance, 7), a1 = corral_instance_reg(instance, 8),
			 a2 = corral_instance_reg(instance, 9);
		int64_t result = 0;
		switch (call) {
		case CALL_EXIT:
			*status = (int)(a0 & 0xFF);
			return true;
		case CALL_WRITE:
			result = guest_write(instance, streams, a0, a1, a2);
			if (streams->flooded) {
				say(execution, CORRAL_PVF_BAD_OUTPUT,
				    "it wrote more than a validation result may be (%u bytes)", execution->max_output);
				return false;
			}
			break;
		case CALL_READ:
			result = guest_read(instance, streams, a0, a1, a2);
			break;
		case CALL_SBRK:
			result = (int64_t)corral_instance_sbrk(instance, a0);
			break;
		case CALL_COUNT:
			break;
		}
		corral_instance_set_reg(instance, 7, (uint64_t)result);
	}
}

/* Exit status 0 and exactly one validation result on stdout: valid. */
static void settle_exit(struct host_pvf_execution *execution, struct streams *streams, int status)
{
	char errors[STDERR_KEPT + 1];
	host_pvf_printable(streams->errors, streams->errors_length, errors, sizeof errors);
	if (status != 0) {
		say(execution, CORRAL_PVF_REJECTED, "the program rejected the input (exit status %d)%s%s", status,
		    errors[0] ? ": " : "", errors);
		return;
	}
	const uint8_t *out = streams->output;
	size_t length = streams->output_length;
	uint64_t declared = length >= HOST_PVF_RESULT_HEADER ? (uint64_t)out[4] | (uint64_t)out[5] << 8 |
								       (uint64_t)out[6] << 16 | (uint64_t)out[7] << 24
							     : 0;
	if (length < HOST_PVF_RESULT_HEADER || memcmp(out, HOST_PVF_RESULT_MAGIC, 4)) {
		say(execution, CORRAL_PVF_BAD_OUTPUT,
		    "its output (%zu bytes) is not a validation result (no \"%s\" at its start)", length,
		    HOST_PVF_RESULT_MAGIC);
		return;
	}
	if (declared != length - HOST_PVF_RESULT_HEADER) {
		say(execution, CORRAL_PVF_BAD_OUTPUT, "its result says %llu bytes of head data but %zu follow",
		    (unsigned long long)declared, length - HOST_PVF_RESULT_HEADER);
		return;
	}
	execution->output_length = length - HOST_PVF_RESULT_HEADER;
	execution->output = malloc(execution->output_length ? execution->output_length : 1);
	if (!execution->output) {
		say(execution, CORRAL_PVF_INTERNAL, "no memory for its result");
		return;
	}
	memcpy(execution->output, out + HOST_PVF_RESULT_HEADER, execution->output_length);
	execution->reason = CORRAL_PVF_OK;
	snprintf(execution->message, sizeof execution->message, "%s: valid", execution->name);
}

/* A run that was aborted: how the worker ended decides. */
static void settle_abort(struct host_pvf_execution *execution, corral_instance *instance, enum host_pvf_fired fired)
{
	struct host_worker *worker = &instance->worker->process;
	host_worker_exited(worker);
	corral_pvf_reason reason = host_pvf_death_reason(CORRAL_PVF_EXECUTE_JOB, fired, worker);
	char how[384];
	host_pvf_describe_death(CORRAL_PVF_EXECUTE_JOB, fired, worker, execution->cpu_limit_ns, how, sizeof how);
	/* The sandbox's own account too, when it is more than the death
	 * (a protocol violation, what failed when the worker was gone). */
	const char *divergence = corral_instance_divergence(instance);
	bool more = !fired && divergence && !strstr(divergence, " died: ");
	say(execution, reason, "%s%s%s", how, more ? "; the sandbox: " : "", more ? divergence : "");
}

static void instance_failed(struct host_pvf_execution *execution, const corral_error *error)
{
	/* The machine's own trouble (memory, a worker that would not start)
	 * is local; anything else about making the instance is the artifact's. */
	bool local = error->code == CORRAL_ERROR_SYSTEM || error->code == CORRAL_ERROR_OUT_OF_MEMORY;
	say(execution, local ? CORRAL_PVF_INTERNAL : CORRAL_PVF_RUNTIME_CONSTRUCTION, "cannot make an instance: %s",
	    error->message);
}

void host_pvf_execute(struct host_pvf_execution *execution)
{
	execution->reason = CORRAL_PVF_INTERNAL;
	execution->instance = NULL;
	execution->output = NULL;
	execution->output_length = 0;
	execution->cpu_ns = 0;
	struct streams streams = {
		.input = execution->input,
		.input_length = execution->input_length,
		.output_limit = (size_t)execution->max_output + HOST_PVF_RESULT_HEADER,
	};
	streams.output = malloc(streams.output_limit);
	if (!streams.output) {
		say(execution, CORRAL_PVF_INTERNAL, "no memory for its output");
		return;
	}
	corral_instance_config config;
	corral_instance_config_init(&config);
	config.gas = execution->gas;
	corral_instance *instance;
	corral_error error;
	if (corral_instance_new(execution->module, &config, &instance, &error) != CORRAL_OK) {
		instance_failed(execution, &error);
		free(streams.output);
		return;
	}
	uint32_t entry;
	if (corral_module_find_export(execution->module, "_start", &entry))
		corral_instance_set_pc(instance, entry);
	/* One job per process: the worker is killed, never wiped, after. */
	struct host_sandbox_worker *worker = instance->worker;
	worker->broken = true;
	struct host_pvf_watch watch = {.cpu_limit_ns = execution->cpu_limit_ns};
	if (host_pvf_watch_start(execution->watchdog, &watch, worker->process.pid, worker->process.pidfd, &error)) {
		say(execution, CORRAL_PVF_INTERNAL, "%s", error.message);
		corral_instance_free(instance);
		free(streams.output);
		return;
	}
	pid_t pid = worker->process.pid;
	if (execution->on_job)
		execution->on_job(execution->on_job_context, CORRAL_PVF_EXECUTE_JOB, pid, true);
	if (execution->before_run)
		execution->before_run(execution->before_run_context, instance);
	int status = 0;
	bool exited = run(execution, instance, &streams, &status);
	enum host_pvf_fired fired = host_pvf_watch_stop(execution->watchdog, &watch);
	execution->cpu_ns = watch.cpu_used_ns;
	if (execution->on_job)
		execution->on_job(execution->on_job_context, CORRAL_PVF_EXECUTE_JOB, pid, false);
	/* The watchdog's kill can land after the guest's last exit: a verdict
	 * reached in time stands. Any other abort is settled by the death. */
	if (exited)
		settle_exit(execution, &streams, status);
	else if (corral_instance_aborted(instance))
		settle_abort(execution, instance, fired);
	free(streams.output);
	execution->instance = instance;
}

void host_pvf_execute_finish(struct host_pvf_execution *execution)
{
	corral_instance_free(execution->instance);
	execution->instance = NULL;
}

void host_pvf_execute_refill(corral_engine *engine)
{
	struct host_sandbox_worker *worker;
	corral_error ignored;
	if (engine->pool && host_pool_take(engine->pool, &worker, &ignored) == CORRAL_OK)
		host_pool_give(engine->pool, worker);
}
