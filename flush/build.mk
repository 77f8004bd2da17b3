# flush: the fast flush server (per-destination logs of deferred mail; single style).
DAEMONS += flush
flush_SRCS := flush/flush.c flush/flush_log.c flush/flush_touch.c
# A test-only client of flush_v1 through lib/mail/flush_clnt (never installed).
TEST_PROGS += tern-test-flush
tern-test-flush_SRCS := tests/services/flush_call.c
