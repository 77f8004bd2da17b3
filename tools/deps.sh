#!/bin/sh
# deps.sh - make sure the Debian packages Tern builds and tests with are installed.
#
# Usage: deps.sh [build|all]   (build: what "make"/"make run" need; all: also the tests')
#
# As root, missing packages are installed with apt-get (non-interactively; Debian's
# postfix package, used only as a test oracle, is preseeded to "No configuration"
# so it never configures or starts itself). As another user, the missing packages
# are named and the script fails.
set -e

BUILD_PKGS="gcc make clang libclang-rt-14-dev libdb-dev libpcre2-dev libssl-dev libsasl2-dev
libcmocka-dev pkg-config"
TEST_PKGS="python3 python3-pytest postfix postfix-pcre db-util bsd-mailx pflogsumm"
case "${1:-all}" in
build) PKGS="$BUILD_PKGS" ;;
*) PKGS="$BUILD_PKGS $TEST_PKGS" ;;
esac

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run 'make deps' as root, or: apt-get install -y$missing" >&2
    exit 1
fi

echo "deps: installing:$missing"
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q $missing >/tmp/tern-deps.log 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    apt-get install -y -q $missing >/tmp/tern-deps.log 2>&1 || {
        cat /tmp/tern-deps.log >&2
        exit 1
    }
fi
# The oracle must never run as this machine's mail system.
if [ -d /run/systemd/system ]; then
    systemctl disable --now postfix >/dev/null 2>&1 || true
fi
