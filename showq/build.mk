# showq: the queue listing service (single style) for postqueue -p/-j and mailq.
DAEMONS += showq
showq_SRCS := showq/showq.c
# Test-only: append delivery log entries through lib/mail/dsn_log.
TEST_PROGS += tern-test-dsnlog
tern-test-dsnlog_SRCS := tests/services/dsnlog_make.c
