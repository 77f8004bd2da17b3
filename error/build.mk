# error: the delivery agent of the "error" and "retry" services (error(8)).
DAEMONS += error
error_SRCS := error/error.c
