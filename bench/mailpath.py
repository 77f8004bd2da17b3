"""mailpath - the local mail path of Tern next to Debian's Postfix, in one run.

Each system gets the same temporary instance (main.cf settings, master.cf
services without chroot, a mail spool, an aliases file) and the same work:

  sendmail->mbox     N messages submitted with sendmail, S at a time, to a
                     user's mailbox; timed from the first submission until
                     the mailbox holds N messages
  sendmail->Maildir  the same to a Maildir (an alias to DIR/Maildir/)
  user:sendmail->mbox  sendmail->mbox run by "nobody" instead of root: each
                     message then goes through the set-gid postdrop (run by
                     root, Tern's sendmail writes the maildrop file itself;
                     Postfix's always runs postdrop). The submitting loop runs
                     in a private mount namespace whose /etc/postfix/main.cf
                     lists both instances in alternate_config_directories, as
                     postdrop requires of a user naming another configuration.
  delivery->mbox     N messages queued on hold (header_checks HOLD), then
                     "postsuper -H ALL" and "postqueue -f"; timed from the
                     release until the mailbox holds N

For each it prints messages per second, CPU seconds per message of every
process of the instance and of the submitting commands (a cpuacct cgroup,
v1 or v2; "n/a" where neither can be made), and the Tern/Postfix ratios.
Rounds alternate between the systems (ROUNDS, default 1) and the best
round counts. Both systems fsync their queue files the same way.

Needs root. Variables: N (default 500), S (default 8), ROUNDS,
TERN_BUILD (default build), BENCH_KEEP=1 keeps the work directories.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

N = int(os.environ.get("N", "500"))
S = int(os.environ.get("S", "8"))
ROUNDS = int(os.environ.get("ROUNDS", "1"))
BUILD = os.path.abspath(os.environ.get("TERN_BUILD", "build"))
WAIT = max(120, N // 2)

MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
"""

SYSTEMS = {
    "tern": {"commands": os.path.join(BUILD, "bin"), "daemons": os.path.join(BUILD, "bin"),
             "meta": os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conf")},
    "postfix": {"commands": "/usr/sbin", "daemons": "/usr/lib/postfix/sbin",
                "meta": "/etc/postfix"},
}


class Cgroup:
    """A cpuacct cgroup (v1) or a cgroup v2 directory; usage() in seconds."""

    def __init__(self, name):
        self.path = None
        for top, usage in (("/sys/fs/cgroup/cpuacct", "cpuacct.usage"),
                           ("/sys/fs/cgroup/unified", "cpu.stat"),
                           ("/sys/fs/cgroup", "cpu.stat")):
            path = os.path.join(top, name)
            try:
                os.mkdir(path)
            except OSError:
                continue
            if os.path.exists(os.path.join(path, usage)):
                self.path, self.usage_file = path, usage
                break
            os.rmdir(path)

    def enter(self):
        """For preexec_fn: moves the calling process into the cgroup."""
        if self.path:
            with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def usage(self):
        if not self.path:
            return None
        with open(os.path.join(self.path, self.usage_file)) as f:
            text = f.read()
        if self.usage_file == "cpuacct.usage":
            return int(text) / 1e9
        fields = dict(line.split() for line in text.splitlines())
        return int(fields["usage_usec"]) / 1e6

    def remove(self):
        if self.path:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.rmdir(self.path)
                    return
                except OSError:
                    time.sleep(0.1)


class Instance:
    def __init__(self, system, extra=None):
        self.system = system
        paths = SYSTEMS[system]
        self.base = tempfile.mkdtemp(prefix=f"bench-{system}-", dir="/tmp")
        os.chmod(self.base, 0o755)
        self.conf = os.path.join(self.base, "conf")
        self.queue = os.path.join(self.base, "queue")
        self.spool = os.path.join(self.base, "spool")
        self.maildir = os.path.join(self.base, "maildir", "Maildir") + "/"
        for d in (self.conf, self.queue, os.path.dirname(self.maildir.rstrip("/"))):
            os.makedirs(d, 0o755)
        os.mkdir(self.spool)
        os.chmod(self.spool, 0o1777)
        subprocess.run(["chown", "nobody", os.path.dirname(self.maildir.rstrip("/"))],
                       check=True)
        self.commands = paths["commands"]
        if system == "tern":
            self.commands = self.setgid_commands(paths["commands"])
        settings = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue,
            "data_directory": os.path.join(self.base, "data"),
            "command_directory": self.commands,
            "daemon_directory": paths["daemons"],
            "meta_directory": paths["meta"],
            "shlib_directory": "/usr/lib/postfix" if system == "postfix" else "no",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "bench.test",
            "mydestination": "$myhostname, localhost",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "mail_spool_directory": self.spool,
            "alias_maps": f"hash:{self.conf}/aliases",
            "alias_database": f"hash:{self.conf}/aliases",
            "maillog_file": os.path.join(self.base, "maillog"),
            "maillog_file_prefixes": self.base,
            "header_checks": f"regexp:{self.conf}/header_checks",
        }
        settings.update(extra or {})
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write("".join(f"{k} = {v}\n" for k, v in settings.items()))
        postlog = "postlog   unix-dgram n  -       n       -       1       postlogd\n"
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(MASTER_CF + postlog)
        with open(os.path.join(self.conf, "aliases"), "w") as f:
            f.write(f"postmaster: root\nmaildir: {self.maildir}\n")
        with open(os.path.join(self.conf, "header_checks"), "w") as f:
            f.write("/^Subject: held/ HOLD\n")
        self.cmd("postalias", f"{self.conf}/aliases")
        self.cgroup = Cgroup(os.path.basename(self.base))

    def setgid_commands(self, build_bin):
        """A command directory as an installation has it: postdrop and postqueue
        set-gid postdrop (copies), the rest links to the build."""
        import grp
        sbin = os.path.join(self.base, "sbin")
        os.mkdir(sbin)
        os.chmod(sbin, 0o755)
        for name in os.listdir(build_bin):
            target = os.path.join(sbin, name)
            if name in ("postdrop", "postqueue"):
                shutil.copy(os.path.join(build_bin, name), target)
                os.chown(target, 0, grp.getgrnam("postdrop").gr_gid)
                os.chmod(target, 0o2555)
            else:
                os.symlink(os.path.join(build_bin, name), target)
        return sbin

    def env(self):
        return {"PATH": "/usr/sbin:/usr/bin:/bin", "MAIL_CONFIG": self.conf}

    def cmd(self, name, *args, input=None, check=True):
        return subprocess.run([os.path.join(self.commands, name), *args], input=input,
                              env=self.env(), capture_output=True, check=check, cwd="/",
                              preexec_fn=getattr(self, "cgroup", None) and self.cgroup.enter,
                              timeout=WAIT)

    def start(self):
        self.cmd("postfix", "-c", self.conf, "start")

    def stop(self):
        self.cmd("postfix", "-c", self.conf, "stop", check=False)
        self.cgroup.remove()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(self.base, ignore_errors=True)

    def count_mbox(self, user="root"):
        try:
            with open(os.path.join(self.spool, user), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return 0
        return data.count(b"\n\nFrom ") + data.startswith(b"From ")

    def count_maildir(self):
        return len(glob.glob(os.path.join(self.maildir, "new", "*")))


def message(i, subject="bench"):
    body = "".join(f"line {j} of a benchmark message that is about a kilobyte long\n"
                   for j in range(16))
    return f"Subject: {subject} {i}\nFrom: bench@bench.test\n\n{body}".encode()


def user_etc(inst):
    """A default main.cf that lets a user name the instance's configuration."""
    etc = os.path.join(inst.base, "etc-postfix")
    os.mkdir(etc)
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write(f"alternate_config_directories = {inst.conf}\n")
    os.chmod(etc, 0o755)
    return etc


def submit_all(inst, rcpt, subject, user="root"):
    """Runs sendmail N times, S at a time, as USER; returns False on any failure.

    The loop runs in a child Python that is in the instance's cgroup from
    the start, so each sendmail is started without a fork of this (large)
    process and without a preexec_fn: what the cgroup counts is sendmail,
    the rest of the instance and a small share of the submitting loop, the
    same for both systems."""
    args = [sys.executable, os.path.abspath(__file__), "--submit", inst.commands, rcpt, subject,
            user]
    if user != "root":
        args = ["unshare", "-m", "sh", "-c", 'mount --bind "$1" /etc/postfix && shift && exec "$@"',
                "sh", user_etc(inst), *args]
    proc = subprocess.run(args, env={**inst.env(), "N": str(N), "S": str(S)}, cwd="/",
                          preexec_fn=inst.cgroup.enter, timeout=WAIT * 2)
    return proc.returncode == 0


def submit_loop(commands, rcpt, subject, user):
    """The child side of submit_all: exits 0 when every sendmail did."""
    procs = []
    ok = True
    as_user = {} if user == "root" else {"user": user, "group": "nogroup", "extra_groups": []}
    for i in range(N):
        if len(procs) >= S:
            ok &= procs.pop(0).wait(WAIT) == 0
        proc = subprocess.Popen([os.path.join(commands, "sendmail"), "-i", "-f",
                                 "bench@bench.test", rcpt], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
                                **as_user)
        proc.stdin.write(message(i, subject))
        proc.stdin.close()
        procs.append(proc)
    for proc in procs:
        ok &= proc.wait(WAIT) == 0
    sys.exit(0 if ok else 1)


def wait_count(counter, want):
    deadline = time.monotonic() + WAIT
    while counter() < want:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def run_case(system, case):
    inst = Instance(system)
    try:
        inst.start()
        cpu0 = inst.cgroup.usage()
        start = time.monotonic()
        if case == "sendmail->mbox":
            ok = submit_all(inst, "root", "bench") and wait_count(inst.count_mbox, N)
        elif case == "user:sendmail->mbox":
            ok = submit_all(inst, "root", "bench", "nobody") and wait_count(inst.count_mbox, N)
        elif case == "sendmail->Maildir":
            ok = submit_all(inst, "maildir", "bench") and wait_count(inst.count_maildir, N)
        else:
            ok = submit_all(inst, "root", "held")
            ok = ok and wait_count(lambda: len(glob.glob(os.path.join(inst.queue, "hold", "*"))),
                                   N)
            cpu0 = inst.cgroup.usage()
            start = time.monotonic()
            inst.cmd("postsuper", "-H", "ALL")
            inst.cmd("postqueue", "-f")
            ok = ok and wait_count(inst.count_mbox, N)
        elapsed = time.monotonic() - start
        cpu1 = inst.cgroup.usage()
        if not ok:
            return None
        cpu = None if cpu0 is None else (cpu1 - cpu0) / N
        return N / elapsed, cpu
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as err:
        print(f"  {system} {case}: failed: {err}", file=sys.stderr)
        return None
    finally:
        inst.stop()


def best(results):
    good = [r for r in results if r]
    return max(good, key=lambda r: r[0]) if good else None


def show(value, fmt):
    return format(value, fmt) if value is not None else "n/a"


def main():
    if os.geteuid() != 0:
        sys.exit("mailpath: needs root")
    cases = ["sendmail->mbox", "user:sendmail->mbox", "sendmail->Maildir", "delivery->mbox"]
    systems = [s for s in SYSTEMS if os.path.exists(os.path.join(SYSTEMS[s]["daemons"], "qmgr"))]
    print(f"mail path benchmark: N={N} messages, S={S} sendmail at a time, best of {ROUNDS}")
    print(f"{'':20} {'system':8} {'msg/s':>9} {'cpu ms/msg':>11}")
    for case in cases:
        found = {}
        for system in systems:
            found[system] = best([run_case(system, case) for _ in range(ROUNDS)])
            r = found[system]
            rate = r[0] if r else None
            cpu = r[1] * 1000 if r and r[1] is not None else None
            print(f"{case:20} {system:8} {show(rate, '9.1f')} {show(cpu, '11.2f')}"
                  + ("" if r else "   (failed)"))
        t, p = found.get("tern"), found.get("postfix")
        if t and p:
            cpu_ratio = t[1] / p[1] if t[1] is not None and p[1] else None
            print(f"{case:20} {'ratio':8} {t[0] / p[0]:9.2f} {show(cpu_ratio, '11.2f')}"
                  "   (throughput tern/postfix; cpu tern/postfix)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--submit"]:
        submit_loop(*sys.argv[2:6])
    main()
