# postlog: the logging command for shell scripts (postlog(1)).
COMMANDS += postlog
postlog_SRCS := postlog/postlog.c
