#!/bin/sh
# startup.sh - start-up cost of Tern's commands next to Postfix's, in one run.
#
# Runs "postconf -h myhostname" and "postmap -q KEY hash:FILE" RUNS times each
# (default 500) for Tern and for Debian's Postfix, on the same temporary
# configuration, and prints CPU milliseconds (user + system, from getrusage of
# the children) and wall milliseconds per run, and the Tern/Postfix ratios.
# The cost of starting any program this way (fork + exec of /bin/true, also
# measured and printed) is subtracted, so the numbers are the commands' own.
# Variables: RUNS, TERN_BUILD (default build).
set -e
: "${RUNS:=500}"
: "${TERN_BUILD:=build}"
exec /usr/bin/python3 - "$RUNS" "$TERN_BUILD" <<'PY'
import os, resource, subprocess, sys, tempfile, time

runs, build = int(sys.argv[1]), os.path.abspath(sys.argv[2])
work = tempfile.mkdtemp(prefix="tern-bench-startup-")
conf = os.path.join(work, "conf")
os.mkdir(conf)
for name in ("main.cf", "master.cf"):
    open(os.path.join(conf, name), "w").close()
os.utime(os.path.join(conf, "main.cf"), (0, 0))  # Postfix pauses on a new main.cf
with open(os.path.join(work, "table"), "w") as f:
    f.write("".join(f"key{i} value{i}\n" for i in range(1000)))
subprocess.run([os.path.join(build, "bin", "postmap"), "-c", conf, "hash:table"], cwd=work,
               check=True)

def measure(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    for _ in range(runs):
        subprocess.run(argv, cwd=work, stdout=subprocess.DEVNULL, check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu * 1000 / runs, wall * 1000 / runs

cases = [("postconf -h myhostname", "postconf", ["-c", conf, "-h", "myhostname"]),
         ("postmap -q KEY hash:FILE", "postmap", ["-c", conf, "-q", "key500", "hash:table"])]
base_cpu, base_wall = measure(["/bin/true"])
print(f"start-up benchmark: {runs} runs each, per-run milliseconds, net of the "
      f"{base_cpu:.2f} ms CPU / {base_wall:.2f} ms wall of running /bin/true")
print(f"{'':26} {'tern cpu':>9} {'wall':>7} {'postfix cpu':>12} {'wall':>7} {'cpu ratio':>10}")
for label, prog, args in cases:
    t_cpu, t_wall = (v - b for v, b in zip(measure([os.path.join(build, "bin", prog)] + args),
                                           (base_cpu, base_wall)))
    oracle = os.path.join("/usr/sbin", prog)
    if os.access(oracle, os.X_OK):
        p_cpu, p_wall = (v - b for v, b in zip(measure([oracle] + args), (base_cpu, base_wall)))
        print(f"{label:26} {t_cpu:9.2f} {t_wall:7.2f} {p_cpu:12.2f} {p_wall:7.2f} "
              f"{t_cpu / p_cpu:10.2f}")
    else:
        print(f"{label:26} {t_cpu:9.2f} {t_wall:7.2f}   (Debian's postfix not installed)")
subprocess.run(["rm", "-rf", work])
PY
