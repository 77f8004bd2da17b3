# pickup: the local mail pickup daemon (trigger style).
DAEMONS += pickup
pickup_SRCS := pickup/pickup.c pickup/pickup_file.c
