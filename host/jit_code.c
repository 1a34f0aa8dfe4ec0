/* Compiled code in executable memory.
 *
 * The compiler writes into a fresh read-write anonymous mapping as large as
 * pvm_jit_capacity says it may need; the unused tail is unmapped and the rest
 * becomes read+execute. No page is ever writable and executable at once.
 *
 * With CORRAL_JIT_DUMP_DIR set, every code buffer compiled is also written to
 * <dir>/<pid>-<n>.bin, so that scripts/jit_scan.sh can disassemble all the
 * code a test run produced and prove no forbidden instruction is in it. */
#define _GNU_SOURCE
#include <cpuid.h>
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/internal.h"
#include "zygote/protocol.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1ul << 1) /* Linux 5.9 */
#endif

#if defined(__x86_64__) && __has_include(<sys/platform/x86.h>)
/* What glibc (2.33 on) read with CPUID at start-up. Under a hypervisor each
 * CPUID is a VM exit: the five the instruction would take here cost ~60 us,
 * 3% of a `corral run` of a small program. */
static void cpu_has(bool *popcnt, bool *lzcnt, bool *bmi1)
{
	*popcnt = CPU_FEATURE_ACTIVE(POPCNT);
	*lzcnt = CPU_FEATURE_ACTIVE(LZCNT);
	*bmi1 = CPU_FEATURE_ACTIVE(BMI1);
}
#elif defined(__x86_64__)
static void cpu_has(bool *popcnt, bool *lzcnt, bool *bmi1)
{
	unsigned a, b, c, d;
	*popcnt = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_POPCNT);
	*lzcnt = __get_cpuid(0x80000001, &a, &b, &c, &d) && (c & bit_LZCNT);
	*bmi1 = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_BMI);
}
#endif

corral_result host_jit_check_cpu(corral_error *error)
{
#if defined(__x86_64__)
	bool popcnt, lzcnt, bmi1;
	cpu_has(&popcnt, &lzcnt, &bmi1);
	const char *missing = !popcnt ? "POPCNT" : !lzcnt ? "LZCNT (ABM)" : !bmi1 ? "BMI1" : NULL;
	if (missing)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "the jit backend needs an x86-64 CPU with POPCNT, LZCNT and BMI1, and this one has no "
				 "%s: use the interpreter backend",
				 missing);
	return CORRAL_OK;
#else
	return host_fail(error, CORRAL_ERROR_ARGUMENT,
			 "the jit backend compiles to x86-64 and this host is not one: use the interpreter backend");
#endif
}

static size_t round_to_pages(size_t bytes)
{
	return (bytes + PVM_PAGE_SIZE - 1) & ~(size_t)(PVM_PAGE_SIZE - 1);
}

corral_result host_jit_dump(const corral_module *module, const struct pvm_jit_code *code, corral_error *error)
{
	static unsigned counter;
	const char *dir = getenv("CORRAL_JIT_DUMP_DIR");
	if (!dir || !*dir)
		return CORRAL_OK;
	char path[4096];
	snprintf(path, sizeof path, "%s/%ld-%u.bin", dir, (long)getpid(),
		 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return host_fail(error, CORRAL_ERROR_SYSTEM, "%s: cannot create %s for CORRAL_JIT_DUMP_DIR: %s",
				 module->name, path, strerror(errno));
	size_t done = 0;
	while (done < code->size) {
		ssize_t wrote = write(fd, code->bytes + done, code->size - done);
		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote <= 0) {
			int problem = wrote < 0 ? errno : ENOSPC;
			close(fd);
			return host_fail(error, CORRAL_ERROR_SYSTEM, "%s: cannot write %s: %s", module->name, path,
					 strerror(problem));
		}
		done += (size_t)wrote;
	}
	close(fd);
	return CORRAL_OK;
}

static const enum pvm_jit_gas gas_of_metering[] = {
	[CORRAL_METERING_SYNC] = PVM_JIT_GAS_SYNC,
	[CORRAL_METERING_ASYNC] = PVM_JIT_GAS_ASYNC,
	[CORRAL_METERING_OFF] = PVM_JIT_GAS_NONE,
};

int32_t host_jit_page_table(const corral_module *module)
{
	if (module->sandboxed)
		return (int32_t)(ZYGOTE_PAGE_TABLE_OFFSET - ZYGOTE_ANCHOR_OFFSET);
	return -(int32_t)(pvm_jit_below_anchor(module->program.blob.jump_count) + PVM_PAGE_COUNT);
}

bool host_jit_fsgsbase(void)
{
	return getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE;
}

/* In this process the anchor goes in GS's base where the kernel lets
 * code set it (FSGSBASE, Linux 5.9): guest memory is then addressed in one
 * instruction and r15 is free for the balance. CORRAL_JIT_NO_FSGSBASE set
 * (to anything) compiles as for a CPU without it, for tests. */
static enum pvm_jit_anchor anchor(const corral_module *module)
{
	bool gs = !module->sandboxed && host_jit_fsgsbase() && !getenv("CORRAL_JIT_NO_FSGSBASE");
	return gs ? PVM_JIT_ANCHOR_GS : PVM_JIT_ANCHOR_R15;
}

/* In a sandbox the balance goes in rsp: the zygote runs every signal
 * handler on an alternate stack. In this process signals are the
 * embedder's and rsp must stay a stack: r15, where the anchor left it. */
static enum pvm_jit_gas_home gas_home(const corral_module *module)
{
	if (module->sandboxed)
		return PVM_JIT_GAS_IN_RSP;
	return anchor(module) == PVM_JIT_ANCHOR_GS ? PVM_JIT_GAS_IN_R15 : PVM_JIT_GAS_IN_CONTEXT;
}

struct pvm_jit_options host_jit_options(const corral_module *module, enum host_jit_variant variant)
{
	return (struct pvm_jit_options){
		.memory = module->sandboxed ? PVM_JIT_MEMORY_ABSOLUTE : PVM_JIT_MEMORY_BASE,
		.gas = gas_of_metering[module->metering],
		.gas_home = gas_home(module),
		.anchor = anchor(module),
		.step = variant == HOST_JIT_STEP,
		.page_table = variant == HOST_JIT_PAGED ? host_jit_page_table(module) : 0,
	};
}

uint64_t host_jit_next_id(void)
{
	static uint64_t counter;
	return __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

/* A program this long (4 to 12 bytes of x86-64 an instruction, 11 for the
 * generated 100k-instruction guest, so 130 KB of code and more) is
 * compiled into 2 MiB pages where transparent huge pages may be had: a
 * first write to a fresh 4 KiB page costs ~1.3 us on this machine kind (a
 * hypervisor backs it), one to a 2 MiB page ~50 us, so from ~160 KB of code
 * on, one large page is cheaper than the small ones: that guest's 1.1 MB
 * took 327 page faults, now 37. Smaller programs keep small pages, a few
 * of which cost less than zeroing 2 MiB. What the trim cuts off the last
 * large page goes back when the kernel splits it. */
#define HUGE_CODE_INSTRUCTIONS 32768u
#define HUGE_PAGE_SIZE         (2ul << 20)

static bool huge_code(const corral_module *module)
{
	return !module->sandboxed && module->program.instruction_count >= HUGE_CODE_INSTRUCTIONS;
}

/* The size of the writable mapping the compiler gets. */
static size_t mapping_size(const corral_module *module, size_t capacity)
{
	return huge_code(module) ? (capacity + HUGE_PAGE_SIZE - 1) & ~(HUGE_PAGE_SIZE - 1) : round_to_pages(capacity);
}

/* In this process: a private anonymous mapping, written, trimmed, then
 * made read+execute. For huge code it starts on a 2 MiB boundary (more is
 * mapped, and the ends cut off), so that each 2 MiB of it may be one page. */
static corral_result map_private(corral_module *module, const char *variant, size_t capacity, uint8_t **buffer,
				 corral_error *error)
{
	size_t mapped = mapping_size(module, capacity);
	size_t slack = huge_code(module) ? HUGE_PAGE_SIZE : 0;
	uint8_t *reserved = mmap(NULL, mapped + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (reserved == MAP_FAILED)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: cannot map %zu bytes for the compiled %s: %s",
				 module->name, mapped, variant, strerror(errno));
	*buffer = reserved;
	if (slack) {
		*buffer = (uint8_t *)(((uintptr_t)reserved + HUGE_PAGE_SIZE - 1) & ~(uintptr_t)(HUGE_PAGE_SIZE - 1));
		if (*buffer > reserved)
			munmap(reserved, (size_t)(*buffer - reserved));
		munmap(*buffer + mapped, (size_t)(reserved + slack - *buffer));
		/* Advice only: without transparent huge pages the code gets
		 * small pages, as any other. */
		madvise(*buffer, mapped, MADV_HUGEPAGE);
	}
	return CORRAL_OK;
}

static corral_result finish_private(corral_module *module, const char *variant, size_t capacity, struct host_jit *jit,
				    corral_error *error)
{
	size_t mapped = mapping_size(module, capacity), used = round_to_pages(jit->code.size);
	if (used < mapped)
		munmap(jit->code.bytes + used, mapped - used);
	jit->mapped = used;
	jit->address = (uint64_t)(uintptr_t)jit->code.bytes;
	if (mprotect(jit->code.bytes, used, PROT_READ | PROT_EXEC))
		return host_fail(error, CORRAL_ERROR_SYSTEM, "%s: cannot make the compiled %s executable: %s",
				 module->name, variant, strerror(errno));
	return CORRAL_OK;
}

/* For a sandbox worker: a memfd, written through a shared mapping, cut to
 * size and sealed so that no one (the zygote included) can map it
 * writable again; we keep a read-only mapping of it. */
static corral_result map_memfd(corral_module *module, const char *variant, size_t capacity, struct host_jit *jit,
			       uint8_t **buffer, corral_error *error)
{
	size_t mapped = round_to_pages(capacity);
	if (mapped > ZYGOTE_CODE_MAX)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "%s: the compiled %s may need %zu bytes, over the sandbox's limit of %llu",
				 module->name, variant, mapped, (unsigned long long)ZYGOTE_CODE_MAX);
	jit->memfd = memfd_create("corral-code", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (jit->memfd < 0)
		return host_fail(error, CORRAL_ERROR_SYSTEM, "%s: cannot create a memfd for the compiled %s: %s",
				 module->name, variant, strerror(errno));
	if (ftruncate(jit->memfd, (off_t)mapped))
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: cannot size the compiled %s's memfd: %s",
				 module->name, variant, strerror(errno));
	*buffer = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, jit->memfd, 0);
	if (*buffer == MAP_FAILED)
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: cannot map the compiled %s's memfd: %s",
				 module->name, variant, strerror(errno));
	return CORRAL_OK;
}

static corral_result finish_memfd(corral_module *module, const char *variant, size_t capacity, struct host_jit *jit,
				  corral_error *error)
{
	size_t used = round_to_pages(jit->code.size);
	/* F_SEAL_WRITE refuses while a writable shared mapping exists. */
	munmap(jit->code.bytes, round_to_pages(capacity));
	jit->code.bytes = NULL;
	const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
	if (ftruncate(jit->memfd, (off_t)used) || fcntl(jit->memfd, F_ADD_SEALS, seals))
		return host_fail(error, CORRAL_ERROR_SYSTEM, "%s: cannot seal the compiled %s's memfd: %s",
				 module->name, variant, strerror(errno));
	uint8_t *view = mmap(NULL, used, PROT_READ, MAP_SHARED, jit->memfd, 0);
	if (view == MAP_FAILED)
		return host_fail(error, CORRAL_ERROR_SYSTEM, "%s: cannot map the sealed compiled %s: %s", module->name,
				 variant, strerror(errno));
	jit->code.bytes = view;
	jit->mapped = used;
	jit->address = ZYGOTE_CODE_ADDRESS;
	return CORRAL_OK;
}

static const char *const variant_names[] = {
	[HOST_JIT_PLAIN] = "code",
	[HOST_JIT_STEP] = "step-mode code",
	[HOST_JIT_PAGED] = "page-checking code",
};

corral_result host_jit_compile(corral_module *module, enum host_jit_variant which, struct host_jit *jit,
			       corral_error *error)
{
	const char *variant = variant_names[which];
	struct pvm_jit_options options = host_jit_options(module, which);
	*jit = (struct host_jit){.memfd = -1, .id = host_jit_next_id()};
	if (module->sandboxed && module->program.blob.jump_count > ZYGOTE_JUMP_TABLE_MAX)
		return host_fail(error, CORRAL_ERROR_ARGUMENT,
				 "%s: %u jump-table entries are over the sandbox's limit of %u", module->name,
				 module->program.blob.jump_count, ZYGOTE_JUMP_TABLE_MAX);
	size_t capacity = pvm_jit_capacity(&module->program, &options);
	uint8_t *buffer;
	corral_result result = module->sandboxed ? map_memfd(module, variant, capacity, jit, &buffer, error)
						 : map_private(module, variant, capacity, &buffer, error);
	if (result != CORRAL_OK) {
		if (jit->memfd >= 0)
			close(jit->memfd);
		*jit = (struct host_jit){.memfd = -1};
		return result;
	}
	struct pvm_error problem;
	if (pvm_jit_compile(&jit->code, &module->program, &options, buffer, capacity, &libc_allocator, &problem)) {
		munmap(buffer, mapping_size(module, capacity));
		if (jit->memfd >= 0)
			close(jit->memfd);
		*jit = (struct host_jit){.memfd = -1};
		return host_fail(error, CORRAL_ERROR_OUT_OF_MEMORY, "%s: cannot compile the %s: %s", module->name,
				 variant, problem.message);
	}
	jit->ready = true;
	jit->mapped = mapping_size(module, capacity);
	result = module->sandboxed ? finish_memfd(module, variant, capacity, jit, error)
				   : finish_private(module, variant, capacity, jit, error);
	if (result == CORRAL_OK)
		result = host_jit_dump(module, &jit->code, error);
	if (result != CORRAL_OK)
		host_jit_release(jit);
	return result;
}

void host_jit_release(struct host_jit *jit)
{
	if (!jit->ready)
		return;
	if (jit->code.bytes)
		munmap(jit->code.bytes, jit->mapped);
	if (jit->memfd >= 0)
		close(jit->memfd);
	pvm_jit_free(&jit->code, &libc_allocator);
	*jit = (struct host_jit){.memfd = -1};
}

/* Compiled once per module, the first time any of its instances needs it:
 * most modules never step or page, and compiling every variant up front
 * would multiply the cost of every module. Instances of one module may run
 * on several threads, hence the lock. */
const struct host_jit *host_jit_variant_code(corral_module *module, enum host_jit_variant variant)
{
	struct host_lazy_jit *lazy = variant == HOST_JIT_STEP ? &module->step : &module->paged;
	if (__atomic_load_n(&lazy->ready, __ATOMIC_ACQUIRE))
		return &lazy->jit;
	const struct host_jit *code = NULL;
	pthread_mutex_lock(&module->lazy_lock);
	if (lazy->ready) {
		code = &lazy->jit;
	} else if (!lazy->failed) {
		if (host_jit_compile(module, variant, &lazy->jit, &lazy->error) == CORRAL_OK) {
			__atomic_store_n(&lazy->ready, true, __ATOMIC_RELEASE);
			code = &lazy->jit;
		} else {
			lazy->failed = true;
		}
	}
	pthread_mutex_unlock(&module->lazy_lock);
	return code;
}
