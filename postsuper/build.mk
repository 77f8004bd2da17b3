# postsuper: queue maintenance for the superuser (Postfix's postsuper(1)).
COMMANDS += postsuper
postsuper_SRCS := postsuper/postsuper.c postsuper/postsuper_ops.c postsuper/postsuper_struct.c
