#!/bin/sh
# accounts.sh - create the system accounts Tern runs under, as Debian's postfix
# package does: the "postfix" user (mail_owner) with its own "postfix" group, and
# the "postdrop" group (setgid_group) of the set-gid postdrop and postqueue.
#
#   sh tools/accounts.sh [mail_owner [setgid_group]]
#
# Must run as root. Idempotent: existing accounts are kept; a mail_owner whose
# primary group is not its own group is moved to it (as Debian's postinst does),
# because mail_owner must not share a group with setgid_group. Exits 1, with the
# reason, when an account cannot be created or is unsafe (user or group id 0,
# mail_owner in setgid_group as its primary group).
set -e
owner=${1:-postfix}
sgid=${2:-postdrop}
home=${TERN_QUEUE_DIRECTORY:-/var/spool/postfix}

fail() {
    echo "accounts: $*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root to create the $owner user and $sgid group"
[ "$owner" != root ] || fail "mail_owner must not be root"

if ! getent group "$owner" >/dev/null; then
    groupadd --system "$owner" || fail "cannot create group $owner"
    echo "accounts: created group $owner"
fi
if ! getent passwd "$owner" >/dev/null; then
    useradd --system --gid "$owner" --home-dir "$home" --no-create-home \
        --shell /usr/sbin/nologin --comment "Tern mail system" "$owner" ||
        fail "cannot create user $owner"
    echo "accounts: created user $owner"
fi
if [ "$(id -gn "$owner")" != "$owner" ]; then
    usermod -g "$owner" "$owner" || fail "cannot make $owner the primary group of user $owner"
    echo "accounts: user $owner now has primary group $owner"
fi
if ! getent group "$sgid" >/dev/null; then
    groupadd --system "$sgid" || fail "cannot create group $sgid"
    echo "accounts: created group $sgid"
fi

[ "$(id -u "$owner")" != 0 ] || fail "user $owner has user ID 0"
[ "$(id -g "$owner")" != 0 ] || fail "user $owner has group ID 0"
sgid_id=$(getent group "$sgid" | cut -d: -f3)
[ "$sgid_id" != 0 ] || fail "group $sgid has group ID 0"
[ "$(id -g "$owner")" != "$sgid_id" ] ||
    fail "user $owner and group $sgid have the same group ID: $sgid_id"
exit 0
