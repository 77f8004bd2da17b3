#!/bin/sh
# bench/postmap.sh - Tern's postmap against Debian's Postfix postmap, side by
# side in one run, on the same files:
#   1. building hash:FILE from an N-line source (default N = 1,000,000);
#   2. "postmap -q - hash:FILE" answering N keys (90% present, 10% absent);
#   3. the CPU time of one "postmap -q KEY hash:FILE" (start-up cost),
#      averaged over STARTS runs (default 200).
# Prints wall-clock and CPU seconds for each program and the Tern/Postfix
# ratio (below 1.00: Tern is faster).
#
# Environment: N, STARTS, TERN_BUILD (default: build/ next to this
# directory), POSTFIX_POSTMAP (default /usr/sbin/postmap), BENCH_DIR (work
# directory; default a new one under /tmp, removed afterwards).
# Needs /usr/bin/time (Debian package "time") and awk.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
N=${N:-1000000}
STARTS=${STARTS:-200}
tern=${TERN_BUILD:-$here/../build}/bin/postmap
postfix=${POSTFIX_POSTMAP:-/usr/sbin/postmap}
TIME=/usr/bin/time

[ -x "$tern" ] || { echo "postmap.sh: $tern is not built (run make)" >&2; exit 1; }
[ -x "$TIME" ] || { echo "postmap.sh: $TIME is missing (apt-get install time)" >&2; exit 1; }
have_postfix=1
[ -x "$postfix" ] || { have_postfix=0; echo "postmap.sh: no $postfix; Tern only" >&2; }

work=${BENCH_DIR:-$(mktemp -d /tmp/tern-bench-postmap.XXXXXX)}
cleanup() { [ -n "${BENCH_DIR:-}" ] || rm -rf "$work"; }
trap cleanup EXIT INT TERM
mkdir -p "$work/conf" "$work/tern" "$work/postfix"
: > "$work/conf/main.cf"
# Postfix waits for a main.cf changed in the last second to settle.
touch -d '1 hour ago' "$work/conf/main.cf"

# Source: N entries in a scrambled order, keys of mixed case.
awk -v n="$N" 'BEGIN {
    for (i = 0; i < n; i++) {
        j = (i * 7919) % n
        printf "User%d@Domain%d.Example.COM OK relay:[mx%d.example.net]:25 %d\n", j, j % 997, j % 13, j
    }
}' > "$work/source"
# Queries: N keys, every tenth one absent, in another order.
awk -v n="$N" 'BEGIN {
    for (i = 0; i < n; i++) {
        j = (i * 104729) % n
        if (i % 10 == 9) printf "nobody%d@nowhere.example\n", j
        else printf "user%d@domain%d.example.com\n", j, j % 997
    }
}' > "$work/keys"
cp "$work/source" "$work/tern/table"
cp "$work/source" "$work/postfix/table"

# measure LABEL COMMAND... : prints "elapsed user+sys" seconds.
measure() {
    "$TIME" -f '%e %U %S' -o "$work/time.out" "$@" > /dev/null
    awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$work/time.out"
}

row() { # name tern_elapsed tern_cpu postfix_elapsed postfix_cpu
    if [ "$have_postfix" = 1 ]; then
        awk -v name="$1" -v te="$2" -v tc="$3" -v pe="$4" -v pc="$5" 'BEGIN {
            r = (pe > 0) ? te / pe : 0; rc = (pc > 0) ? tc / pc : 0
            printf "%-26s %9.2fs %8.2fs %9.2fs %8.2fs %7.2f %7.2f\n", name, te, tc, pe, pc, r, rc
        }'
    else
        printf "%-26s %9.2fs %8.2fs\n" "$1" "$2" "$3"
    fi
}

echo "postmap benchmark: N=$N entries, $STARTS start-up runs"
printf "%-26s %10s %9s %10s %9s %7s %7s\n" "" "tern wall" "cpu" "postfix" "cpu" "ratio" "cpu"

set -- $(cd "$work/tern" && measure "$tern" -c "$work/conf" hash:table)
t_e=$1 t_c=$2
p_e=0 p_c=0
if [ "$have_postfix" = 1 ]; then
    set -- $(cd "$work/postfix" && measure "$postfix" -c "$work/conf" hash:table)
    p_e=$1 p_c=$2
fi
row "build hash (N lines)" "$t_e" "$t_c" "$p_e" "$p_c"

set -- $(cd "$work/tern" && measure sh -c "exec \"$tern\" -c \"$work/conf\" -q - hash:table < \"$work/keys\"")
t_e=$1 t_c=$2
if [ "$have_postfix" = 1 ]; then
    set -- $(cd "$work/postfix" && measure sh -c "exec \"$postfix\" -c \"$work/conf\" -q - hash:table < \"$work/keys\"")
    p_e=$1 p_c=$2
fi
row "query -q - (N keys)" "$t_e" "$t_c" "$p_e" "$p_c"

# Same answers? (Both tables are read by both programs in the interop tests;
# here a cheap check that the runs did the same work.)
if [ "$have_postfix" = 1 ]; then
    a=$(cd "$work/tern" && "$tern" -c "$work/conf" -q - hash:table < "$work/keys" | wc -l)
    b=$(cd "$work/postfix" && "$postfix" -c "$work/conf" -q - hash:table < "$work/keys" | wc -l)
    [ "$a" = "$b" ] || echo "postmap.sh: WARNING: $a answers from Tern, $b from Postfix" >&2
fi

key="user1@domain1.example.com"
loop='i=0; while [ $i -lt '"$STARTS"' ]; do "$0" -c "$1" -q "$2" hash:table; i=$((i+1)); done'
set -- $(cd "$work/tern" && measure sh -c "$loop" "$tern" "$work/conf" "$key")
t_e=$1 t_c=$2
if [ "$have_postfix" = 1 ]; then
    set -- $(cd "$work/postfix" && measure sh -c "$loop" "$postfix" "$work/conf" "$key")
    p_e=$1 p_c=$2
fi
# Per run, in milliseconds (the shell loop's own cost is included, equally).
awk -v s="$STARTS" -v te="$t_e" -v tc="$t_c" -v pe="$p_e" -v pc="$p_c" -v hp="$have_postfix" 'BEGIN {
    printf "%-26s %8.2fms %7.2fms", "postmap -q KEY (per run)", te * 1000 / s, tc * 1000 / s
    if (hp == 1)
        printf " %8.2fms %7.2fms %7.2f %7.2f", pe * 1000 / s, pc * 1000 / s,
            (pe > 0 ? te / pe : 0), (pc > 0 ? tc / pc : 0)
    printf "\n"
}'
