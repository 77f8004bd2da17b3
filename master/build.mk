# master: the supervisor daemon (master(8)); reads master.cf, opens the
# listeners, spawns children on demand, reloads on SIGHUP.
DAEMONS += master
master_SRCS := master/master.c master/master_conf.c master/master_serv.c \
	master/master_listen.c master/master_inet.c master/master_spawn.c \
	master/master_avail.c master/master_wakeup.c master/master_sig.c
