# qmgr: the queue manager (qmgr(8)); trigger style, one long-running process.
DAEMONS += qmgr
qmgr_SRCS := qmgr/qmgr.c qmgr/qmgr_message.c qmgr/qmgr_finish.c qmgr/qmgr_queue.c \
	qmgr/qmgr_deliver.c qmgr/qmgr_log.c qmgr/qmgr_result.c qmgr/qmgr_lock.c

# A test-only delivery agent (tests/services/agent.c) for qmgr's tests.
TEST_PROGS += tern-test-agent
tern-test-agent_SRCS := tests/services/agent.c
