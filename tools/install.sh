#!/bin/sh
# install.sh - "make install": copy Tern's programs, default configuration and manual
# pages into $DESTDIR with the compiled-in layout.
#
# Commands go to $command_directory, daemons to $daemon_directory, sendmail's aliases
# (mailq, newaliases) to their paths, configuration files to $config_directory (an
# existing main.cf or master.cf is never overwritten), manual pages under
# $manpage_directory. Without DESTDIR and as root, the postfix user and postdrop group
# are created when missing (tools/accounts.sh, as Debian's package does), and postdrop
# and postqueue become set-gid postdrop.
set -e
: "${O:=build}"
D="${DESTDIR:-}"

install -d "$D$command_directory" "$D$daemon_directory" "$D$config_directory"
for p in $COMMANDS; do
    install -m 0755 "$O/bin/$p" "$D$command_directory/$p"
done
for p in $DAEMONS; do
    install -m 0755 "$O/bin/$p" "$D$daemon_directory/$p"
done
# sendmail's other names live where main.cf's paths say (mailq and newaliases in
# /usr/bin): symbolic links to $sendmail_path, as conf/postfix-files lists them.
# Other links are hard links next to their target.
for l in $LINKS; do
    name=${l%%:*}
    target=${l#*:}
    case $name in
    mailq) path=$mailq_path ;;
    newaliases) path=$newaliases_path ;;
    *) path= ;;
    esac
    if [ -n "$path" ] && [ "$target" = sendmail ]; then
        install -d "$D$(dirname "$path")"
        if [ "$D$command_directory/sendmail" != "$D$sendmail_path" ]; then
            install -d "$D$(dirname "$sendmail_path")"
            ln -f "$D$command_directory/sendmail" "$D$sendmail_path"
        fi
        ln -sf "$sendmail_path" "$D$path"
        continue
    fi
    ln -f "$D$command_directory/$target" "$D$command_directory/$name" 2>/dev/null ||
        ln -f "$D$daemon_directory/$target" "$D$daemon_directory/$name"
done
for f in conf/*; do
    [ -f "$f" ] || continue
    dest="$D$config_directory/$(basename "$f")"
    if [ -e "$dest" ]; then
        echo "install: keeping existing $dest"
    else
        install -m 0644 "$f" "$dest"
    fi
done
for sect in 1 5 8; do
    for page in man/man$sect/*.$sect; do
        [ -f "$page" ] || continue
        install -d "$D$manpage_directory/man$sect"
        install -m 0644 "$page" "$D$manpage_directory/man$sect/"
    done
done

if [ -z "$D" ] && [ "$(id -u)" = 0 ]; then
    sh "$(dirname "$0")/accounts.sh" postfix postdrop
    # postdrop and postqueue are set-gid postdrop (mode 2555), as on Debian.
    for p in postdrop postqueue; do
        if [ -f "$command_directory/$p" ]; then
            chgrp postdrop "$command_directory/$p"
            chmod 2555 "$command_directory/$p"
        fi
    done
else
    echo "install: not root or DESTDIR set: run tools/accounts.sh as root, then"
    echo "install: \"postfix set-permissions\" to give postdrop/postqueue their set-gid group"
fi
echo "install: done (DESTDIR=${D:-/})"
