# rstcraft build. `make` builds ./rstcraft; `make check` runs unit and lab tests;
# `make demo` plays every reset case in a throwaway lab. Both install Debian
# packages that are missing (scripts/deps) before building.
CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CSTD      = -std=c11 -D_GNU_SOURCE
WARN      = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes
OPT      ?= -O2 -g
CFLAGS   += $(CSTD) $(WARN) $(OPT) -Iinclude
LDLIBS   += -lpcap -lnet
PY        = /usr/bin/python3

# One static library per layer, linked from the top down: a lower layer that called up
# into a higher one would fail to link (crafter/ is the wire and its commands; responder/
# and explain/ build on it, never the other way, and not on each other).
CRAFTER_SRC   = $(wildcard crafter/*.c crafter/*/*.c)
EXPLAIN_SRC   = $(wildcard explain/*.c)
RESPONDER_SRC = $(filter-out responder/main.c,$(wildcard responder/*.c responder/*/*.c))
LAYER_LIBS    = $(BUILD)/libresponder.a $(BUILD)/libexplain.a $(BUILD)/libcrafter.a
LIB_SRC   = $(CRAFTER_SRC) $(EXPLAIN_SRC) $(RESPONDER_SRC)
MAIN_OBJ  = $(BUILD)/responder/main.o
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
CLIENT_SRC= $(wildcard tests/clients/*.c)
CLIENT_BIN= $(CLIENT_SRC:tests/clients/%.c=$(BUILD)/clients/%)
FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all deps check unit integration asan fuzz demo bench install uninstall clean lint clients

all: rstcraft clients

rstcraft: $(MAIN_OBJ) $(LAYER_LIBS) $(BUILD)/layers.ok $(BUILD)/includes.ok $(BUILD)/calls.ok
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LAYER_LIBS) $(LDLIBS)

# The direction, enforced: every object of crafter/ linked alone (whole archive, a stub
# main) must resolve by itself, and explain/ with crafter/ alone; a call upward, or from
# explain/ into responder/, is an undefined reference here.
$(BUILD)/layers.ok: $(BUILD)/libcrafter.a $(BUILD)/libexplain.a
	@printf 'int main(void) { return 0; }\n' > $(BUILD)/layer-stub.c
	@$(CC) $(LDFLAGS) -o $(BUILD)/layer-crafter $(BUILD)/layer-stub.c -Wl,--whole-archive \
	  $(BUILD)/libcrafter.a -Wl,--no-whole-archive $(LDLIBS) -lm \
	  || { echo "crafter/ calls up into another layer (see above)"; exit 1; }
	@$(CC) $(LDFLAGS) -o $(BUILD)/layer-explain $(BUILD)/layer-stub.c -Wl,--whole-archive \
	  $(BUILD)/libexplain.a -Wl,--no-whole-archive $(BUILD)/libcrafter.a $(LDLIBS) -lm \
	  || { echo "explain/ calls into responder/ (see above)"; exit 1; }
	@touch $@

# The same direction in the includes, and no include cycle anywhere (scripts/check-includes).
$(BUILD)/includes.ok: scripts/check-includes $(LIB_SRC) $(wildcard include/*.h */*.h */*/*.h)
	@mkdir -p $(@D)
	@scripts/check-includes
	@touch $@

# No call cycle between files, in any layer (scripts/check-calls, nm of the objects): each
# file has those it uses below it, as the TCP core has engine.c above it.
$(BUILD)/calls.ok: scripts/check-calls $(LAYER_LIBS)
	@scripts/check-calls $(LIB_SRC:%.c=$(BUILD)/%.o)
	@touch $@

$(BUILD)/libcrafter.a: $(CRAFTER_SRC:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libexplain.a: $(EXPLAIN_SRC:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libresponder.a: $(RESPONDER_SRC:%.c=$(BUILD)/%.o)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/%.o: %.c $(wildcard include/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

clients: $(CLIENT_BIN)
$(BUILD)/clients/%: tests/clients/%.c tests/clients/client.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LAYER_LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

deps:
	@scripts/deps

# Every suite runs even when one fails, so a report shows all failures at once.
unit: $(UNIT_BIN)
	@failed=""; for t in $(UNIT_BIN); do echo "== $$t"; $$t || failed="$$failed $${t##*/}"; done; \
	if [ -n "$$failed" ]; then echo "unit: failed:$$failed"; exit 1; fi

integration: rstcraft clients
	@tests/run-integration

check: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

# AddressSanitizer + UBSan: a separate build tree, same tests.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all unit integration

# libFuzzer targets, one per parser; FUZZ_TIME seconds each.
FUZZ_TIME ?= 60
fuzz: deps $(FUZZ_SRC)
	@scripts/fuzz $(FUZZ_TIME)

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo

bench: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench

install: rstcraft
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 rstcraft $(DESTDIR)$(PREFIX)/bin/rstcraft
	install -m 0644 man/rstcraft.1 $(DESTDIR)$(PREFIX)/share/man/man1/rstcraft.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/rstcraft $(DESTDIR)$(PREFIX)/share/man/man1/rstcraft.1

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --suppress=missingIncludeSystem -Iinclude crafter explain responder tests/clients
	clang-tidy --quiet $(LIB_SRC) responder/main.c -- $(CSTD) -Iinclude

clean:
	rm -rf build build-asan build-fuzz rstcraft
