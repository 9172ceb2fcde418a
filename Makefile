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

LIB_SRC   = $(wildcard crafter/*.c explain/*.c) $(filter-out responder/main.c,$(wildcard responder/*.c))
LIB_OBJ   = $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ  = $(BUILD)/responder/main.o
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
CLIENT_SRC= $(wildcard tests/clients/*.c)
CLIENT_BIN= $(CLIENT_SRC:tests/clients/%.c=$(BUILD)/clients/%)
FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all deps check unit integration asan fuzz demo bench install uninstall clean lint clients

all: rstcraft clients

rstcraft: $(MAIN_OBJ) $(BUILD)/librstcraft.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/librstcraft.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c $(wildcard include/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

clients: $(CLIENT_BIN)
$(BUILD)/clients/%: tests/clients/%.c tests/clients/client.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/librstcraft.a
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
