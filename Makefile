# corral: hand-written build. `make` builds build/corral, build/libcorral.a
# and build/libcorral.so; `make test`, `make demo`, `make bench`, `make fuzz`.

CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
FUZZ_CC ?= clang-19
BUILD ?= build
VECTORS ?= $(if $(CORRAL_VECTORS),$(CORRAL_VECTORS),../shared/vectors)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARNINGS) -fPIC -Iinclude -I.
LDFLAGS ?=

ifeq ($(SANITIZE),1)
BUILD := build-sanitize
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

# core/ is freestanding: no libc headers, no libc calls but what the compiler
# itself emits (memcpy, memset); `make check-freestanding` proves it.
CORE_CFLAGS := -ffreestanding

CORE_SRC := $(wildcard core/*.c)
LIB_SRC := $(wildcard loader/*.c host/*.c)
CLI_SRC := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

.PHONY: all clean test demo bench fuzz deps check-deps check-freestanding format vectors

all: $(BUILD)/corral $(BUILD)/libcorral.a $(BUILD)/libcorral.so

$(BUILD)/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CORE_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libcorral.a: $(CORE_OBJ) $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libcorral.so: $(CORE_OBJ) $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^

$(BUILD)/corral: $(CLI_OBJ) $(BUILD)/libcorral.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libcorral.a

clean:
	rm -rf build build-sanitize

-include $(CORE_OBJ:.o=.d) $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
