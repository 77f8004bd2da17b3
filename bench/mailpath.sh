#!/bin/sh
# mailpath.sh - the local mail path (sendmail -> queue -> mbox/Maildir, and
# delivery alone) of Tern next to Debian's Postfix; see bench/mailpath.py.
# Variables: N, S, ROUNDS, TERN_BUILD, BENCH_KEEP.
exec /usr/bin/python3 "$(dirname "$0")/mailpath.py"
