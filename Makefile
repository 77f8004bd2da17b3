# Tern top-level build.
#
#   make            build the library, every program, unit tests
#   make check      install missing Debian packages, build, run every test
#   make asan       the same suite under AddressSanitizer + UBSan (build-asan/)
#   make install    install under $(DESTDIR) with the compiled-in layout
#   make run        build and start a local instance under ./run/
#   make deps       install (as root) or name the Debian packages the build needs
#   make fuzz       build the libFuzzer targets; make fuzz-long runs them longer
#
# Each program directory holds a build.mk fragment that declares its binaries:
#   COMMANDS += name      (installed in command_directory)
#   DAEMONS  += name      (installed in daemon_directory)
#   name_SRCS := dir/file.c ...
#   LINKS += alias:target (alias installed as a hard link to target)
#   TEST_PROGS += name    (test-only program, built in $(O)/tests/bin, never installed)
# so adding a program never needs an edit here.

PREFIX      ?= /usr
DESTDIR     ?=
O           ?= build
CC          ?= gcc
FUZZ_CC     ?= clang
PYTHON      ?= /usr/bin/python3

command_directory   ?= $(PREFIX)/sbin
daemon_directory    ?= $(PREFIX)/libexec/tern
config_directory    ?= /etc/postfix
queue_directory     ?= /var/spool/postfix
data_directory      ?= /var/lib/postfix
meta_directory      ?= /etc/postfix
shlib_directory     ?= no
sendmail_path       ?= $(PREFIX)/sbin/sendmail
newaliases_path     ?= $(PREFIX)/bin/newaliases
mailq_path          ?= $(PREFIX)/bin/mailq
manpage_directory   ?= $(PREFIX)/share/man

WARN     = -Wall -Wextra -Werror
HARDEN   = -fstack-protector-strong -fPIE
CPPFLAGS = -Ilib -D_GNU_SOURCE \
	-DDEF_COMMAND_DIR='"$(command_directory)"' \
	-DDEF_DAEMON_DIR='"$(daemon_directory)"' \
	-DDEF_CONFIG_DIR='"$(config_directory)"' \
	-DDEF_QUEUE_DIR='"$(queue_directory)"' \
	-DDEF_DATA_DIR='"$(data_directory)"' \
	-DDEF_META_DIR='"$(meta_directory)"' \
	-DDEF_SHLIB_DIR='"$(shlib_directory)"' \
	-DDEF_SENDMAIL_PATH='"$(sendmail_path)"' \
	-DDEF_NEWALIAS_PATH='"$(newaliases_path)"' \
	-DDEF_MAILQ_PATH='"$(mailq_path)"' \
	-DDEF_MANPAGE_DIR='"$(manpage_directory)"'
ifeq ($(SAN),1)
CFLAGS   = -std=gnu11 $(WARN) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined $(HARDEN)
LDFLAGS  = -fsanitize=address,undefined -pie -Wl,-z,relro,-z,now
else
CFLAGS   = -std=gnu11 $(WARN) -O2 -g $(HARDEN) -D_FORTIFY_SOURCE=2
LDFLAGS  = -pie -Wl,-z,relro,-z,now
endif
# Berkeley DB and PCRE2 are linked statically too: every command starts without
# loading shared libraries other than libc (see bench/).
LIBS     = -Wl,-Bstatic -ldb -lpcre2-8 -Wl,-Bdynamic -lpthread

# Quiet by default; "make V=1" shows full command lines.
Q := $(if $(V),,@)

LIB_SRCS := $(sort $(wildcard lib/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
LIBTERN  := $(O)/libtern.a

COMMANDS :=
DAEMONS  :=
LINKS    :=
TEST_PROGS :=
include $(sort $(wildcard */build.mk))
PROGS := $(COMMANDS) $(DAEMONS)
BINS  := $(PROGS:%=$(O)/bin/%) $(foreach l,$(LINKS),$(O)/bin/$(firstword $(subst :, ,$(l))))
TEST_BINS := $(TEST_PROGS:%=$(O)/tests/bin/%)

UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/unit/%)
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/fuzz/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(O)/fuzz/obj/%.o)

# Keep object files of unit tests (they are intermediates of a pattern rule).
.SECONDARY:

.PHONY: all deps deps-build check asan install run fuzz fuzz-long unit clean bench
all: $(BINS) $(UNIT_BINS) $(TEST_BINS)

deps:
	@sh tools/deps.sh all

deps-build:
	@sh tools/deps.sh build

$(O)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIBTERN): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

define prog_template
$(O)/bin/$(1): $$(patsubst %.c,$(O)/%.o,$$($(1)_SRCS)) $(LIBTERN)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_template,$(p))))

define test_prog_template
$(O)/tests/bin/$(1): $$(patsubst %.c,$(O)/%.o,$$($(1)_SRCS)) $(LIBTERN)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach p,$(TEST_PROGS),$(eval $(call test_prog_template,$(p))))

define link_template
$(O)/bin/$(1): $(O)/bin/$(2)
	ln -f $$< $$@
endef
$(foreach l,$(LINKS),$(eval $(call link_template,$(firstword $(subst :, ,$(l))),$(lastword $(subst :, ,$(l))))))

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(LIBTERN)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

# libFuzzer targets: the library is rebuilt with clang and coverage instrumentation.
$(O)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<
$(O)/fuzz/libtern-fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(O)/fuzz/%: tests/fuzz/%.c $(O)/fuzz/libtern-fuzz.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -MMD -MP -MT $@ -MF $@.d -o $@ $^ $(LIBS)

fuzz: $(FUZZ_BINS)
fuzz-long: fuzz
	O=$(O) FUZZ_SECONDS=$${FUZZ_SECONDS:-300} $(PYTHON) tests/run.py fuzz

check: deps
	$(MAKE) all fuzz
	O=$(O) TERN_SANITIZE=$(TERN_SANITIZE) $(PYTHON) tests/run.py

asan:
	$(MAKE) O=build-asan SAN=1 TERN_SANITIZE=1 check

install: all
	O=$(O) DESTDIR=$(DESTDIR) command_directory=$(command_directory) \
	daemon_directory=$(daemon_directory) config_directory=$(config_directory) \
	manpage_directory=$(manpage_directory) newaliases_path=$(newaliases_path) \
	mailq_path=$(mailq_path) sendmail_path=$(sendmail_path) \
	COMMANDS="$(COMMANDS)" DAEMONS="$(DAEMONS)" LINKS="$(LINKS)" sh tools/install.sh

run: deps-build
	$(MAKE) all
	O=$(O) sh tools/run-instance.sh

bench: all
	sh bench/run-all

clean:
	rm -rf $(O) build-asan

-include $(LIB_OBJS:.o=.d) $(UNIT_BINS:=.d) $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_BINS:=.d) $(foreach p,$(PROGS) $(TEST_PROGS),$(patsubst %.c,$(O)/%.d,$($(p)_SRCS)))
