# local: the local(8) delivery agent (single style, runs as root).
DAEMONS += local
local_SRCS := local/local.c local/recipient.c local/alias.c local/dotforward.c \
	local/include.c local/token.c local/mailbox.c local/maildir.c local/file.c \
	local/command.c local/forward.c local/pass.c local/expand.c local/user.c
# tern-test-deliver: plays qmgr for one deliver_v1 request (tests only).
TEST_PROGS += tern-test-deliver
tern-test-deliver_SRCS := tests/services/deliver_client.c
