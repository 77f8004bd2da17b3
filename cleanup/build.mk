# cleanup: the message canonicalization daemon (single style), and the
# test-only client tern-test-submit (tests/services/submit.c).
DAEMONS += cleanup
cleanup_SRCS := $(sort $(wildcard cleanup/*.c))
TEST_PROGS += tern-test-submit
tern-test-submit_SRCS := tests/services/submit.c
