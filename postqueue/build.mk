# postqueue: the users' queue control command (set-gid setgid_group when installed).
COMMANDS += postqueue
postqueue_SRCS := postqueue/postqueue.c postqueue/postqueue_show.c
