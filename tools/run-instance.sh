#!/bin/sh
# run-instance.sh - "make run": set up and start a local Tern instance under ./run/.
#
# The instance has its own configuration (run/etc: main.cf, master.cf, aliases,
# postfix-files), queue (run/spool), data directory (run/lib) and mail spool
# (run/mail: local users' mailboxes), logs to run/maillog and listens on
# 127.0.0.1:2525 once smtpd is built (until then the master throttles that
# service, and "postfix check" names it as not installed).
#
# Accounts: run by root, the instance is privilege-separated like an installed one:
# mail_owner = postfix and setgid_group = postdrop (created by tools/accounts.sh when
# missing; never root), and "postfix set-permissions" gives the queue its owners and
# postdrop/postqueue in $O/bin their set-gid group. Run by another user, it is a
# personal instance: every process runs as that user, with that user's group.
#
# Running it again keeps local edits to run/etc/main.cf; only the settings that depend
# on who runs it (mail_owner, setgid_group) and the directory layout are rewritten.
# An instance that is already running is left alone.
set -e
: "${O:=build}"
top=$(pwd)
run="$top/run"
case $O in
/*) bin="$O/bin" ;;
*) bin="$top/$O/bin" ;;
esac
etc="$run/etc"
postfix="$bin/postfix -c $etc"

mkdir -p "$etc" "$run/spool" "$run/mail"
chmod 1777 "$run/mail"
if [ ! -f "$etc/main.cf" ]; then
    cp conf/main.cf "$etc/main.cf"
    cp conf/master.cf "$etc/master.cf"
    printf 'postmaster: root\n' >"$etc/aliases"
    "$bin/postconf" -c "$etc" -e \
        "inet_interfaces = 127.0.0.1" \
        "maillog_file = $run/maillog" \
        "alias_maps = hash:$etc/aliases" \
        "alias_database = hash:$etc/aliases"
    # Listen on port 2525 instead of 25 (inet_interfaces limits it to 127.0.0.1).
    "$bin/postconf" -c "$etc" -MX smtp/inet
    "$bin/postconf" -c "$etc" -Me "2525/inet=2525 inet n - n - - smtpd"
fi
cp conf/postfix-files "$etc/postfix-files"

if [ "$(id -u)" = 0 ]; then
    sh tools/accounts.sh postfix postdrop
    owner=postfix
    group=postdrop
else
    owner=$(id -un)
    group=$(id -gn)
fi
"$bin/postconf" -c "$etc" -e \
    "queue_directory = $run/spool" \
    "data_directory = $run/lib" \
    "command_directory = $bin" \
    "daemon_directory = $bin" \
    "meta_directory = $etc" \
    "mail_spool_directory = $run/mail" \
    "maillog_file_prefixes = $run, /var, /dev/stdout" \
    "mail_owner = $owner" \
    "setgid_group = $group"
"$bin/postalias" -c "$etc" "hash:$etc/aliases"

echo "Tern instance configuration: $etc"
"$bin/postconf" -c "$etc" -n
echo
if [ ! -x "$bin/postfix" ] || [ ! -x "$bin/master" ]; then
    echo "The master daemon is not built yet, so nothing was started. The configuration"
    echo "tools work on this instance, for example:"
    echo "  $bin/postconf -c $etc -n"
    echo "  $bin/postmap -c $etc -q postmaster hash:$etc/aliases"
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    # Owners from an earlier run by another user are corrected here.
    $postfix set-permissions
fi
if $postfix status >/dev/null 2>&1; then
    echo "The instance is already running."
else
    $postfix start
    echo "Started (mail_owner $owner, setgid_group $group)."
fi
cat <<EOF

  status:        $postfix status
  health check:  $postfix check
  reload:        $postfix reload      (after editing $etc/main.cf or master.cf)
  log:           $run/maillog
  send mail:     printf 'Subject: hello\\n\\nhi\\n' | MAIL_CONFIG=$etc $bin/sendmail root
  read it:       mail -f $run/mail/root      (the mbox of each local user is in $run/mail)
  queue:         MAIL_CONFIG=$etc $bin/mailq
  SMTP:          127.0.0.1 port 2525, once smtpd is built
                 (e.g. swaks --server 127.0.0.1:2525 --to postmaster@localhost)
  stop:          $postfix stop
EOF
