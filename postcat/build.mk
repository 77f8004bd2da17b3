# postcat: show queue file contents (Postfix's postcat(1)).
COMMANDS += postcat
postcat_SRCS := postcat/postcat.c postcat/postcat_print.c
