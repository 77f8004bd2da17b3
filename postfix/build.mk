# postfix: the control program (start, stop, reload, status, check,
# set-permissions, logrotate, ...), Postfix's postfix(1) and postfix-script.
COMMANDS += postfix
postfix_SRCS := postfix/postfix.c postfix/postfix_owner.c postfix/postfix_files.c \
	postfix/postfix_check.c postfix/postfix_walk.c postfix/postfix_master.c \
	postfix/postfix_logrotate.c
