# corral: a hand-written build.
#
#   make              build/corral, build/libcorral.a, build/libcorral.so
#   make deps         install the Debian packages corral needs (says which)
#   make demo         the main job: C guests compiled and run, a JAM service, the vectors
#   make test         unit tests, conformance vectors (interpreter and JIT), C guests, round
#                     trips, the scan of the JIT's output, fuzz smoke, 20k differential programs
#   make test SANITIZE=1   the same with AddressSanitizer + UBSan
#   make bench        interpreter, decoder and JIT speed; C guests against native code
#   make fuzz         run every fuzzer for FUZZ_SECONDS each
#   make fuzz-diff    the differential fuzzer for FUZZ_DIFF_RUNS (10^6) generated programs,
#                     in FUZZ_DIFF_JOBS processes (one per core)
#   make format       clang-format every C file

# `make` alone builds `all`, whatever rule comes first below.
.DEFAULT_GOAL := all

CC := gcc
FUZZ_CC ?= clang-19
BUILD ?= build
VECTORS ?= $(if $(CORRAL_VECTORS),$(CORRAL_VECTORS),../shared/vectors)
export CORRAL_VECTORS := $(abspath $(VECTORS))
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_RUNS ?= 200000

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
OPT ?= -O2 -g
CFLAGS := $(OPT) -std=gnu11 $(WARNINGS) -fPIC -Iinclude -I. $(EXTRA_CFLAGS)
LDFLAGS := $(EXTRA_LDFLAGS)

ifeq ($(SANITIZE),1)
BUILD := build-sanitize
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

# ---- the sandbox's zygote -------------------------------------------------
#
# A static, freestanding program: musl's headers for types and system call
# numbers, no C library at run time (zygote/zygote.h makes the system
# calls), linked at ZYGOTE_IMAGE_ADDRESS (zygote/protocol.h) so that the low
# 4 GiB stay free for guest memory, and compiled position-independent so
# that its code reaches its data up there. Never built with the sanitizers.
# The release build is embedded in libcorral (host/zygote_image.S); the
# attack build (ZYGOTE_ATTACKS, zygote/attacks.c) only in the test binary.
ZYGOTE_CC := musl-gcc
ZYGOTE_ADDRESS := $(shell sed -n 's/^\#define ZYGOTE_IMAGE_ADDRESS *\(0x[0-9a-f]*\)ull.*/\1/p' zygote/protocol.h)
ZYGOTE_CFLAGS := -std=gnu11 $(WARNINGS) -Os -I. -fpie -ffreestanding -fno-stack-protector -fcf-protection=none \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns
ZYGOTE_LDFLAGS := -static -no-pie -nostdlib -s -Wl,-Ttext-segment=$(ZYGOTE_ADDRESS) -Wl,-z,noexecstack \
	-Wl,-z,norelro -Wl,--build-id=none -Wl,--gc-sections -lgcc
ZYGOTE_SRC := zygote/start.c zygote/serve.c
ZYGOTE_DEPS := $(ZYGOTE_SRC) zygote/attacks.c $(wildcard zygote/*.h)
ZYGOTE := $(BUILD)/zygote/corral-zygote
ZYGOTE_ATTACKS := $(BUILD)/zygote/corral-zygote-attacks
ZYGOTE_IMAGE_OBJ := $(BUILD)/host/zygote_image.o
ZYGOTE_ATTACKS_OBJ := $(BUILD)/tests/zygote_attacks_image.o
# What linking libcorral needs: libseccomp builds the zygote's filter,
# liburing is the host's event loop.
LIB_LIBS := -lseccomp -luring

$(ZYGOTE): $(ZYGOTE_DEPS)
	@mkdir -p $(dir $@)
	$(ZYGOTE_CC) $(ZYGOTE_CFLAGS) -o $@ $(ZYGOTE_SRC) $(ZYGOTE_LDFLAGS)
	@size $@ | awk 'NR == 2 { printf "zygote: %s bytes of code and data, %s in the file\n", $$4, '"$$(stat -c %s $@)"' }'

$(ZYGOTE_ATTACKS): $(ZYGOTE_DEPS)
	@mkdir -p $(dir $@)
	$(ZYGOTE_CC) $(ZYGOTE_CFLAGS) -DZYGOTE_ATTACKS -o $@ $(ZYGOTE_SRC) zygote/attacks.c $(ZYGOTE_LDFLAGS)

$(ZYGOTE_IMAGE_OBJ): host/zygote_image.S $(ZYGOTE)
	@mkdir -p $(dir $@)
	$(CC) -c -DZYGOTE_IMAGE='"$(ZYGOTE)"' -DZYGOTE_SYMBOL=host_zygote_release $< -o $@

$(ZYGOTE_ATTACKS_OBJ): host/zygote_image.S $(ZYGOTE_ATTACKS)
	@mkdir -p $(dir $@)
	$(CC) -c -DZYGOTE_IMAGE='"$(ZYGOTE_ATTACKS)"' -DZYGOTE_SYMBOL=test_zygote_attacks $< -o $@

# ---- end of the zygote ------------------------------------------------------

# core/ is freestanding: no libc headers, and no libc calls but what the
# compiler itself emits (and libgcc's helpers such as __popcountdi2);
# check-freestanding proves it on the objects.
CORE_CFLAGS := -ffreestanding
CORE_ALLOWED_SYMBOLS := memcpy memset memmove memcmp

CORE_SRC := $(wildcard core/*.c)
LIB_SRC := $(wildcard loader/*.c host/*.c)
CLI_SRC := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard bench/*.c)
C_FILES := $(wildcard include/*.h core/*.[ch] loader/*.[ch] host/*.[ch] cli/*.[ch] tests/*.[ch] tests/fuzz/*.[ch] bench/*.[ch] \
	zygote/*.[ch])

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(ZYGOTE_IMAGE_OBJ)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)
# The JSON reader lives in cli/ but its fuzzer and tests need it alone.
JSON_OBJ := $(BUILD)/cli/json.o
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
TEST_BIN := $(BUILD)/tests/corral-tests
BENCH_BIN := $(BUILD)/bench/corral-bench

.PHONY: all sdk clean deps test test-run demo demo-run bench bench-run fuzz fuzz-run fuzz-diff fuzz-diff-run fuzzers format \
	check-format check-freestanding conformance

all: $(BUILD)/corral $(BUILD)/libcorral.a $(BUILD)/libcorral.so sdk

# The guest SDK `corral cc` links against: crt0, the small libc, the linker
# script and the compile flags, beside the corral executable.
SDK := $(BUILD)/sdk
SDK_SRC := $(wildcard guest/*.c guest/libc/*.c guest/libc/*.h guest/include/*.h) guest/corral.ld guest/build.sh

sdk: $(SDK)/cflags

$(SDK)/cflags: $(SDK_SRC)
	guest/build.sh $(SDK)
	cp guest/corral.ld $(SDK)/corral.ld
	guest/build.sh --flags > $@

$(BUILD)/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CORE_CFLAGS) -MMD -MP -c $< -o $@

# The compiler runs only where its code can (host_jit_check_cpu requires
# POPCNT, LZCNT and BMI1), so it may count jump targets with popcnt itself
# rather than through libgcc's __popcountdi2: 2% of a compile.
$(BUILD)/core/jit.o: CORE_CFLAGS += -mpopcnt

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libcorral.a: $(CORE_OBJ) $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libcorral.so: $(CORE_OBJ) $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LIB_LIBS)

# The command links its libraries statically (glibc and libm aside): a run
# of a short guest is a whole process, and binding six shared libraries
# took ~40% of one that runs a small program (0.5-0.8 ms on this machine).
$(BUILD)/corral: $(CLI_OBJ) $(BUILD)/libcorral.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libcorral.a -Wl,-Bstatic $(LIB_LIBS) -Wl,-Bdynamic -lm

# ---- set-up -------------------------------------------------------------

deps:
	@scripts/deps.sh install

# ---- tests --------------------------------------------------------------

$(TEST_BIN): $(TEST_OBJ) $(JSON_OBJ) $(ZYGOTE_ATTACKS_OBJ) $(BUILD)/libcorral.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(JSON_OBJ) $(ZYGOTE_ATTACKS_OBJ) $(BUILD)/libcorral.a -lcriterion $(LIB_LIBS)

test:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory test-run

# Every code buffer the JIT compiles during the tests is written here
# (CORRAL_JIT_DUMP_DIR) and scanned afterwards for instructions it must
# never emit (scripts/jit_scan.sh).
JIT_DUMP := $(BUILD)/jit-dump
# Generated programs the differential fuzzer runs on every backend in make test.
FUZZ_DIFF_TEST_RUNS ?= 20000

test-run: all $(TEST_BIN) fuzzers check-freestanding check-format
	rm -rf $(JIT_DUMP) && mkdir -p $(JIT_DUMP)
	CORRAL_JIT_DUMP_DIR=$(abspath $(JIT_DUMP)) CORRAL_BUILD=$(BUILD) \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(TEST_BIN) --jobs 2 --short-filename
	CORRAL_JIT_DUMP_DIR=$(abspath $(JIT_DUMP)) scripts/conformance.sh $(BUILD)/corral
	scripts/jit_scan.sh $(JIT_DUMP)
	scripts/fuzz.sh smoke $(BUILD)/fuzz $(FUZZ_SMOKE_RUNS)
	scripts/fuzz.sh diff $(BUILD)/fuzz $(FUZZ_DIFF_TEST_RUNS)

conformance: all
	scripts/conformance.sh $(BUILD)/corral

check-freestanding: $(CORE_OBJ)
	@nm -u $(CORE_OBJ) | awk 'NF == 2 { print $$2 }' | sort -u > $(BUILD)/core-needs.txt
	@nm --defined-only $(CORE_OBJ) | awk 'NF == 3 { print $$3 }' | sort -u > $(BUILD)/core-has.txt
	@bad=$$(comm -23 $(BUILD)/core-needs.txt $(BUILD)/core-has.txt | \
		grep -v -x $(addprefix -e ,$(CORE_ALLOWED_SYMBOLS)) -e '__asan_.*' -e '__ubsan_.*' \
		-e '__popcount.*' -e '_GLOBAL_OFFSET_TABLE_' || true); \
	if [ -n "$$bad" ]; then echo "core/ calls outside itself:" $$bad; exit 1; fi; \
	echo "core/ is freestanding: it calls nothing but $(CORE_ALLOWED_SYMBOLS) and compiler helpers"

check-format:
	@if command -v clang-format >/dev/null; then \
		clang-format --dry-run -Werror $(C_FILES) && echo "clang-format: all C files are formatted"; \
	else echo "clang-format: skipped (not installed)"; fi

format:
	clang-format -i $(C_FILES)

# ---- fuzzing ------------------------------------------------------------

# Each harness is built with libFuzzer, ASan and UBSan from the sources
# themselves, so it never depends on the build mode of the rest.
FUZZ_FLAGS := -g -O1 -std=gnu11 -Iinclude -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(BUILD)/fuzz/%: tests/fuzz/%.c $(CORE_SRC) $(LIB_SRC) cli/json.c $(ZYGOTE_IMAGE_OBJ) \
		$(wildcard core/*.h loader/*.h host/*.h cli/*.h tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(CORE_SRC) $(LIB_SRC) cli/json.c $(ZYGOTE_IMAGE_OBJ) $(LIB_LIBS)

fuzzers: $(FUZZ_BIN)

fuzz:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory fuzz-run

# The differential fuzzer alone, for FUZZ_DIFF_RUNS generated programs
# shared among FUZZ_DIFF_JOBS processes (scripts/fuzz.sh: one per core).
FUZZ_DIFF_RUNS ?= 1000000

fuzz-diff:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory fuzz-diff-run

fuzz-diff-run: $(BUILD)/fuzz/fuzz_diff
	scripts/fuzz.sh diff $(BUILD)/fuzz $(FUZZ_DIFF_RUNS)

fuzz-run: fuzzers
	scripts/fuzz.sh run $(BUILD)/fuzz $(FUZZ_SECONDS)

# ---- the main job -------------------------------------------------------

demo:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory demo-run

demo-run: all
	scripts/demo.sh $(BUILD)/corral

# ---- benchmarks ---------------------------------------------------------

$(BENCH_BIN): $(BENCH_OBJ) $(JSON_OBJ) $(BUILD)/cli/guest_host.o $(BUILD)/cli/pager.o $(BUILD)/libcorral.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_OBJ) $(JSON_OBJ) $(BUILD)/cli/guest_host.o $(BUILD)/cli/pager.o $(BUILD)/libcorral.a -lm $(LIB_LIBS)

bench:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory bench-run

# The C guests it times against their native builds: the examples, the
# bench's own (bench/guests/) and a generated large program.
GUEST_BENCH := $(BUILD)/bench/guests
GUEST_BENCH_NAMES := sieve sha256 interp malloc quicksort large
GUEST_BENCH_FILES := $(foreach name,$(GUEST_BENCH_NAMES),$(GUEST_BENCH)/$(name).jam $(GUEST_BENCH)/$(name).native)

$(GUEST_BENCH)/large.c: scripts/large_guest.sh
	@mkdir -p $(dir $@)
	scripts/large_guest.sh > $@

$(GUEST_BENCH)/%.jam: guest/examples/%.c $(BUILD)/corral sdk
	@mkdir -p $(dir $@)
	$(BUILD)/corral cc -O2 $< -o $@

$(GUEST_BENCH)/%.jam: bench/guests/%.c $(BUILD)/corral sdk
	@mkdir -p $(dir $@)
	$(BUILD)/corral cc -O2 $< -o $@

$(GUEST_BENCH)/%.jam: $(GUEST_BENCH)/%.c $(BUILD)/corral sdk
	$(BUILD)/corral cc -O2 $< -o $@

$(GUEST_BENCH)/%.native: guest/examples/%.c
	@mkdir -p $(dir $@)
	gcc -O2 -o $@ $<

$(GUEST_BENCH)/%.native: bench/guests/%.c
	@mkdir -p $(dir $@)
	gcc -O2 -o $@ $<

$(GUEST_BENCH)/%.native: $(GUEST_BENCH)/%.c
	gcc -O2 -o $@ $<

bench-run: $(BENCH_BIN) $(GUEST_BENCH_FILES)
	$(BENCH_BIN) $(GUEST_BENCH) $(BUILD)/corral

# ---- corral bench: the workloads on every target (issue 10) -----------------
#
# bench/workloads/*.c, each built for native code, corral, wasm32-wasi (V8)
# and static rv64 Linux (qemu) by scripts/bench_workloads.sh, which skips a
# kind whose tools are missing; then `corral bench` times them side by side:
# the table on stdout, every figure as JSON, the ratios as a PNG. It runs
# once every other bench program is built, so no compiler runs beside it.
# The tests run it on two workloads built apart (tests/test_bench.c).
BENCH_WORKLOADS := $(BUILD)/bench/workloads
BENCH_WORKLOADS_SRC := $(wildcard bench/workloads/*) scripts/bench_workloads.sh scripts/large_guest.sh
BENCH_TEST_WORKLOADS := $(BUILD)/tests/bench-workloads
BENCH_RUNS ?= 5
C_FILES += $(wildcard bench/workloads/*.[ch])

$(BENCH_WORKLOADS)/built: $(BENCH_WORKLOADS_SRC) $(BUILD)/corral $(SDK)/cflags
	scripts/bench_workloads.sh $(BUILD)/corral $(BENCH_WORKLOADS)
	@touch $@

$(BENCH_TEST_WORKLOADS)/built: $(BENCH_WORKLOADS_SRC) $(BUILD)/corral $(SDK)/cflags
	scripts/bench_workloads.sh $(BUILD)/corral $(BENCH_TEST_WORKLOADS) empty sieve
	@touch $@

bench-compare: $(BENCH_WORKLOADS)/built $(BENCH_BIN) $(GUEST_BENCH_FILES) $(GUEST_BENCH)/adder.jam
	$(BUILD)/corral bench --runs $(BENCH_RUNS) --json $(BUILD)/bench/bench.json --plot $(BUILD)/bench/bench.png

bench-run: bench-compare
$(TEST_BIN): $(BENCH_TEST_WORKLOADS)/built
.PHONY: bench-compare

# ---- end of corral bench ----------------------------------------------------

# ---- eBPF audit -------------------------------------------------------------
#
# bpf/audit.bpf.c is compiled with clang for the BPF target against a
# vmlinux.h dumped from this kernel's BTF (CO-RE: libbpf relocates the
# programs for whichever kernel loads them), linked by bpftool (which drops
# the DWARF) and turned into a skeleton header: host/audit.c includes it, so
# the programs are embedded in libcorral. The system call names the audit
# shows come from the kernel headers. All of it is generated into
# $(BUILD)/bpf/. libbpf (and the libelf and zlib it reads objects with)
# loads the programs.
BPF_CC := clang-19
BPFTOOL ?= bpftool
AUDIT_GEN := $(BUILD)/bpf
AUDIT_SKEL := $(AUDIT_GEN)/audit.skel.h
AUDIT_NAMES := $(AUDIT_GEN)/syscall_names.h
LIB_LIBS += -lbpf -lelf -lz
C_FILES += $(wildcard bpf/*.[ch] tests/helpers/*.c)

$(AUDIT_GEN)/vmlinux.h:
	@mkdir -p $(dir $@)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(AUDIT_GEN)/audit.bpf.o: bpf/audit.bpf.c bpf/audit_event.h $(AUDIT_GEN)/vmlinux.h
	$(BPF_CC) -target bpf -D__TARGET_ARCH_x86 -g -O2 -Wall -Werror -I$(AUDIT_GEN) -I. -c $< -o $@

$(AUDIT_GEN)/audit.o: $(AUDIT_GEN)/audit.bpf.o
	$(BPFTOOL) gen object $@ $<

$(AUDIT_SKEL): $(AUDIT_GEN)/audit.o
	$(BPFTOOL) gen skeleton $< name audit_bpf > $@.tmp && mv $@.tmp $@

$(AUDIT_NAMES): scripts/syscall_names.sh
	@mkdir -p $(dir $@)
	scripts/syscall_names.sh $(CC) > $@.tmp && mv $@.tmp $@

$(BUILD)/host/audit.o $(BUILD)/host/audit_syscalls.o: CFLAGS += -I$(AUDIT_GEN)
$(BUILD)/host/audit.o: $(AUDIT_SKEL)
$(BUILD)/host/audit_syscalls.o: $(AUDIT_NAMES)
$(FUZZ_BIN): FUZZ_FLAGS += -I$(AUDIT_GEN)
$(FUZZ_BIN): $(AUDIT_SKEL) $(AUDIT_NAMES)

# A test helper, never installed: runs one attack of the test zygote in a
# sandbox worker, so that the tests and the README can show `corral audit`
# catching it.
AUDIT_ATTACK := $(BUILD)/tests/corral-attack

$(AUDIT_ATTACK): tests/helpers/attack.c $(ZYGOTE_ATTACKS_OBJ) $(BUILD)/libcorral.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ZYGOTE_ATTACKS_OBJ) $(BUILD)/libcorral.a $(LIB_LIBS)

$(TEST_BIN): $(AUDIT_ATTACK)

# ---- end of the eBPF audit -------------------------------------------------

# ---- the validation pipeline ------------------------------------------------
#
# A prepare job is a zygote image whose serving loop is replaced by one
# validation and compilation (zygote/prepare.c, linked with the zygote's
# start-up and with core/): built like the zygote, but -O2, since it
# compiles. The release build is embedded in libcorral as
# host_pvf_prepare_release; the attack build (a compromised job, for the
# tests) only in the test binary. The tests and the bench run the adder
# (guest/examples/adder.c) and the misbehaving guest of tests/pvf/.
PVF_PREPARE := $(BUILD)/zygote/corral-prepare
PVF_PREPARE_ATTACKS := $(BUILD)/zygote/corral-prepare-attacks
PVF_PREPARE_SRC := zygote/start.c zygote/prepare.c $(CORE_SRC)
PVF_PREPARE_DEPS := $(PVF_PREPARE_SRC) zygote/attacks.c $(wildcard zygote/*.h core/*.h)
PVF_PREPARE_OBJ := $(BUILD)/host/pvf_prepare_image.o
PVF_PREPARE_ATTACKS_OBJ := $(BUILD)/tests/pvf_prepare_attacks_image.o
PVF_GUESTS := $(BUILD)/tests/pvf/adder.jam $(BUILD)/tests/pvf/adder-gp08.polkavm $(BUILD)/tests/pvf/faults.jam

$(PVF_PREPARE): $(PVF_PREPARE_DEPS)
	@mkdir -p $(dir $@)
	$(ZYGOTE_CC) $(ZYGOTE_CFLAGS) -O2 -o $@ $(PVF_PREPARE_SRC) $(ZYGOTE_LDFLAGS)

$(PVF_PREPARE_ATTACKS): $(PVF_PREPARE_DEPS)
	@mkdir -p $(dir $@)
	$(ZYGOTE_CC) $(ZYGOTE_CFLAGS) -O2 -DZYGOTE_ATTACKS -o $@ $(PVF_PREPARE_SRC) zygote/attacks.c $(ZYGOTE_LDFLAGS)

$(PVF_PREPARE_OBJ): host/zygote_image.S $(PVF_PREPARE)
	@mkdir -p $(dir $@)
	$(CC) -c -DZYGOTE_IMAGE='"$(PVF_PREPARE)"' -DZYGOTE_SYMBOL=host_pvf_prepare_release $< -o $@

$(PVF_PREPARE_ATTACKS_OBJ): host/zygote_image.S $(PVF_PREPARE_ATTACKS)
	@mkdir -p $(dir $@)
	$(CC) -c -DZYGOTE_IMAGE='"$(PVF_PREPARE_ATTACKS)"' -DZYGOTE_SYMBOL=test_pvf_prepare_attacks $< -o $@

# The libraries take the image through $^; the fuzzers, which compile
# host/ themselves, link it after their sources.
$(BUILD)/libcorral.a $(BUILD)/libcorral.so: $(PVF_PREPARE_OBJ)
$(FUZZ_BIN): $(PVF_PREPARE_OBJ)
$(FUZZ_BIN): LIB_LIBS += $(PVF_PREPARE_OBJ)
TEST_OBJ += $(PVF_PREPARE_ATTACKS_OBJ)
$(TEST_BIN): $(PVF_PREPARE_ATTACKS_OBJ) $(PVF_GUESTS)

$(BUILD)/tests/pvf/adder.jam: guest/examples/adder.c $(BUILD)/corral $(SDK)/cflags
	@mkdir -p $(dir $@)
	$(BUILD)/corral cc -O2 $< -o $@

$(BUILD)/tests/pvf/adder-gp08.polkavm: guest/examples/adder.c $(BUILD)/corral $(SDK)/cflags
	@mkdir -p $(dir $@)
	$(BUILD)/corral cc -O2 --isa gp0.8 --format polkavm $< -o $@

$(BUILD)/tests/pvf/faults.jam: tests/pvf/faults.c $(BUILD)/corral $(SDK)/cflags
	@mkdir -p $(dir $@)
	$(BUILD)/corral cc -O2 $< -o $@

bench-run: $(GUEST_BENCH)/adder.jam

# ---- end of the validation pipeline -----------------------------------------

clean:
	rm -rf build build-sanitize

-include $(CORE_OBJ:.o=.d) $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BENCH_OBJ:.o=.d)
