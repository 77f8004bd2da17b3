COMMANDS += postconf
postconf_SRCS := $(wildcard postconf/*.c)
