# sendmail: the Sendmail-compatible submission command (Postfix's sendmail(1)),
# also run as mailq and newaliases (hard links).
COMMANDS += sendmail
sendmail_SRCS := sendmail/sendmail.c sendmail/sendmail_opts.c sendmail/sendmail_enqueue.c sendmail/sendmail_drop.c \
	sendmail/sendmail_input.c sendmail/sendmail_modes.c
LINKS += mailq:sendmail newaliases:sendmail
TEST_PROGS += tern-test-sendmail-fault
tern-test-sendmail-fault_SRCS := $(sendmail_SRCS) tests/services/commit_fault.c
