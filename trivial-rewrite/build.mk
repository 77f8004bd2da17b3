# trivial-rewrite: the address rewriting and resolving daemon (multi style).
DAEMONS += trivial-rewrite
trivial-rewrite_SRCS := trivial-rewrite/trivial_rewrite.c
