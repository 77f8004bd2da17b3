# cleanup: the message canonicalization daemon (single style), the
# test-only client tern-test-submit (tests/services/submit.c), and a
# test-only build with a commit fault hook.
DAEMONS += cleanup
cleanup_SRCS := $(sort $(wildcard cleanup/*.c))
TEST_PROGS += tern-test-submit
tern-test-submit_SRCS := tests/services/submit.c
TEST_PROGS += tern-test-cleanup-fault
tern-test-cleanup-fault_SRCS := $(cleanup_SRCS) tests/services/commit_fault.c
