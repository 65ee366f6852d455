# pgtrace — PGXS build.
#
#   make demo   install missing Debian packages, build, run a scenario on a throwaway cluster
#   make test   install missing Debian packages, build with -Wall -Wextra -Werror, run every suite
#
# The version is read from pgtrace.control and never typed twice.

EXTENSION  = pgtrace
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)
MODULE_big = pgtrace

# Pure C core (no PostgreSQL headers): linked into the extension, the fuzzers
# and the standalone tools.
CORE_SRCS  = $(sort $(wildcard src/core/*.c)) src/core/gs1_dict.c
CORE_SRCS := $(sort $(CORE_SRCS))
PG_SRCS    = $(sort $(wildcard src/pg/*.c))
OBJS       = $(CORE_SRCS:.c=.o) $(PG_SRCS:.c=.o)

# The install script is assembled from src/sql/*.sql in file-name order; the
# numeric prefix orders dependencies (00 schema, 10 codes, 20 keys, 30 ledger,
# 40 registry, ..., 90 status).
SQL_PARTS  = $(sort $(wildcard src/sql/*.sql))
# ... plus the registry's field catalogue, generated from data/fields.csv (rule below).
SQL_PARTS := $(sort $(SQL_PARTS) src/sql/41_registry_fields.sql)

DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
# the standalone verifier (rule below) is built by `make` and installed next
# to pg_config's programs by `make install`
SCRIPTS_built = tools/pgtrace-verify
PG_CPPFLAGS = -I$(srcdir)/src/core -I$(srcdir)/src/pg
PG_CFLAGS  = -std=gnu99 $(EXTRA_CFLAGS)
SHLIB_LINK = -lcrypto -lqrencode

# pg_regress suites: every sql/*.sql except the generated install script.
REGRESS      = $(sort $(filter-out $(EXTENSION)--%,$(notdir $(basename $(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

EXTRA_CLEAN = src/core/gs1_dict.c sql/$(EXTENSION)--*.sql results/ regression.diffs \
              regression.out test/fuzz/bin

# Bitcode for JIT is not needed and would require clang at build time
# ("override": PGXS sets with_llvm itself when it is included).
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) $(EXTENSION).control Makefile
	@mkdir -p sql
	( echo "-- pgtrace $(EXTVERSION) install script: generated from src/sql/ by make; edit those files."; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; \
	  for f in $(SQL_PARTS); do echo; echo "-- ---- $$f ----"; cat $$f; done ) > $@

# GS1 Barcode Syntax Dictionary (data/) compiled into a C table.
src/core/gs1_dict.c: data/gs1-syntax-dictionary.txt scripts/gen_gs1_dict.pl
	perl scripts/gen_gs1_dict.pl $< > $@

src/core/gs1.o: src/core/gs1_dict.c

# PGXS tracks no header dependencies: rebuild every object when any of our
# headers changes (coarse, but a stale object after a header change crashed
# CREATE EXTENSION once).
$(OBJS): $(wildcard src/core/*.h src/pg/*.h)

# Field catalogue of the registry (Tables 1-3 of the standard) and the pgTAP
# suite derived from it, both generated from data/fields.csv.
EXTRA_CLEAN += src/sql/41_registry_fields.sql test/pgtap/registry_fields.sql
all: test/pgtap/registry_fields.sql
src/sql/41_registry_fields.sql: data/fields.csv scripts/gen_fields.pl
	perl scripts/gen_fields.pl sql $< > $@
test/pgtap/registry_fields.sql: data/fields.csv scripts/gen_fields.pl
	@mkdir -p test/pgtap
	perl scripts/gen_fields.pl pgtap $< > $@

.PHONY: deps demo test fuzz bench werror
deps:
	@scripts/deps.sh

# Build with warnings as errors, from clean. Tests install into a temporary copy
# of the PostgreSQL tree (scripts/tmp-install.sh), never into the system one. -Wno-unused-parameter:
# every fmgr function takes fcinfo whether it reads it or not.
werror:
	$(MAKE) clean
	$(MAKE) EXTRA_CFLAGS="-Wall -Wextra -Werror -Wno-unused-parameter"

test: deps
	$(MAKE) werror
	test/run.sh

demo: deps
	$(MAKE)
	scripts/demo.sh

fuzz: deps src/core/gs1_dict.c
	test/fuzz/run.sh $(FUZZ_SECONDS)

bench: deps
	$(MAKE)
	bench/run.sh

# Standalone verifier of ledger proofs and checkpoints: the core files it needs
# and OpenSSL, nothing else (no PostgreSQL, no libqrencode).
VERIFY_SRCS = src/core/ledger.c src/core/ledger_proof.c src/core/jws.c src/core/jcs.c src/core/b64url.c
EXTRA_CLEAN += tools/pgtrace-verify
tools/pgtrace-verify: tools/pgtrace-verify.c $(VERIFY_SRCS) $(wildcard src/core/*.h)
	$(CC) -std=gnu99 -O2 -Wall -Wextra $(EXTRA_CFLAGS) -Isrc/core -o $@ tools/pgtrace-verify.c $(VERIFY_SRCS) -lcrypto
