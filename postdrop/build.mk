# postdrop: the set-gid helper that writes a message into maildrop/
# (Postfix's postdrop(1)); and a test-only build with a commit fault hook.
COMMANDS += postdrop
postdrop_SRCS := postdrop/postdrop.c postdrop/postdrop_copy.c
TEST_PROGS += tern-test-postdrop-fault
tern-test-postdrop-fault_SRCS := $(postdrop_SRCS) tests/services/commit_fault.c
