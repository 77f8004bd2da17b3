# discard: the delivery agent that discards mail (discard(8)).
DAEMONS += discard
discard_SRCS := discard/discard.c
