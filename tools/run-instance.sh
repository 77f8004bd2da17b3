#!/bin/sh
# run-instance.sh - "make run": set up and start a personal Tern instance under ./run/.
#
# The instance has its own configuration (run/etc: main.cf, master.cf, aliases), queue
# (run/spool) and data directory (run/lib), runs as the invoking user, logs to
# run/maillog and listens on 127.0.0.1:2525 once smtpd is built. Running it again keeps
# an existing run/etc/main.cf, so local edits survive.
set -e
: "${O:=build}"
top=$(pwd)
run="$top/run"
bin="$top/$O/bin"
etc="$run/etc"

mkdir -p "$etc" "$run/spool" "$run/lib"
if [ ! -f "$etc/main.cf" ]; then
    cp conf/main.cf "$etc/main.cf"
    cp conf/master.cf "$etc/master.cf"
    printf 'postmaster: root\n' >"$etc/aliases"
    user=$(id -un)
    "$bin/postconf" -c "$etc" -e \
        "queue_directory = $run/spool" \
        "data_directory = $run/lib" \
        "command_directory = $bin" \
        "daemon_directory = $bin" \
        "mail_owner = $user" \
        "setgid_group = $(id -gn)" \
        "inet_interfaces = 127.0.0.1" \
        "maillog_file = $run/maillog" \
        "alias_maps = hash:$etc/aliases" \
        "alias_database = hash:$etc/aliases"
    # Listen on port 2525 instead of 25 (inet_interfaces limits it to 127.0.0.1).
    "$bin/postconf" -c "$etc" -MX smtp/inet
    "$bin/postconf" -c "$etc" -Me "2525/inet=2525 inet n - n - - smtpd"
fi
"$bin/postalias" -c "$etc" "hash:$etc/aliases"

echo "Tern instance configuration: $etc"
"$bin/postconf" -c "$etc" -n
if [ -x "$bin/postfix" ] && [ -x "$bin/master" ]; then
    MAIL_CONFIG="$etc" "$bin/postfix" -c "$etc" start
    echo "Started. Logs: $run/maillog. Stop with: $bin/postfix -c $etc stop"
else
    echo
    echo "The mail system daemons (master, smtpd, ...) are not built yet, so nothing was"
    echo "started. The configuration tools work on this instance, for example:"
    echo "  $bin/postconf -c $etc -n"
    echo "  $bin/postmap -c $etc -q postmaster hash:$etc/aliases"
fi
