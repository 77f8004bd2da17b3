# postlogd: the log server behind maillog_file (master.cf service "postlog").
DAEMONS += postlogd
postlogd_SRCS := postlogd/postlogd.c
