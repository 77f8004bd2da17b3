"""A temporary Tern instance for integration tests: a configuration
directory (main.cf, master.cf), a queue directory, a data directory and a
log file (maillog_file) in a fresh directory, and the master started and
stopped by pid with bounded waits.

    inst = TernInstance(master_cf="echo unix - - n - - tern-test-echo\\n",
                        main_cf={"service_throttle_time": "2s"})
    inst.start()                        # "master -w": returns once it runs
    ...
    inst.stop()                         # SIGTERM, waits, checks nothing is left
    inst.cleanup()                      # SIGKILL what is left, remove files

Every process of a started master shares its session (the master calls
setsid), so session_pids() finds the master and all of its children, and
cleanup() can kill them all without knowing them in advance. Use it as a
context manager or call cleanup() in a finally block / fixture teardown.

By default daemon_directory is $TERN_BUILD/tests/bin (test daemons such as
tern-test-echo); pass daemon_directory=... for the real daemons
($TERN_BUILD/bin). With user="nobody" (and running as root) everything is
owned by that user and the master runs as that user: a personal instance.
The base directory is made under /tmp with mode 0755, so that an
unprivileged master and mail_owner can reach it.
"""
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

BUILD = os.path.abspath(
    os.environ.get("TERN_BUILD", os.path.join(os.path.dirname(__file__), "../../build")))
BIN = os.path.join(BUILD, "bin")
TEST_BIN = os.path.join(BUILD, "tests", "bin")
MASTER = os.path.join(BIN, "master")
WAIT = 10.0


# The sanitizer settings of "make asan" (tests/run.py), passed on by every
# environment a test builds from scratch: without them a command built with
# AddressSanitizer would report its exit-time allocations as leaks.
SANITIZER_ENV = {name: os.environ[name] for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS",
                                                     "LSAN_OPTIONS") if name in os.environ}


def program_env(**settings):
    """A minimal environment for running Tern programs: PATH, the sanitizer
    settings of the test run, and SETTINGS (e.g. MAIL_CONFIG=...)."""
    env = {"PATH": "/usr/bin:/bin"}
    env.update(SANITIZER_ENV)
    env.update(settings)
    return env


def wait_for(predicate, timeout=WAIT, interval=0.02):
    """Polls predicate until it returns a true value (returned) or timeout (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def free_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago on host."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def proc_stat(pid):
    """(state, ppid, session) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[3])


def alive(pid):
    """True while the process exists and is not a zombie."""
    stat = proc_stat(pid)
    return stat is not None and stat[0] != "Z"


def all_pids():
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def session_pids(sid):
    """Live (non-zombie) processes of session sid."""
    found = []
    for pid in all_pids():
        stat = proc_stat(pid)
        if stat and stat[0] != "Z" and stat[2] == sid:
            found.append(pid)
    return found


def children_of(ppid):
    """Live direct children of ppid."""
    return [pid for pid in all_pids()
            if (stat := proc_stat(pid)) and stat[0] != "Z" and stat[1] == ppid]


def cmdline(pid):
    """The argument vector of a process as strings; [] when it is gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [arg.decode(errors="replace") for arg in f.read().split(b"\0")[:-1]]
    except (FileNotFoundError, ProcessLookupError):
        return []


def proc_ids(pid):
    """(real uid, real gid) from /proc/PID/status."""
    uid = gid = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
            elif line.startswith("Gid:"):
                gid = int(line.split()[1])
    return uid, gid


class TernInstance:
    def __init__(self, master_cf="", main_cf=None, user=None, mail_owner=None,
                 daemon_directory=TEST_BIN, prefix="tern-"):
        self.base = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
        os.chmod(self.base, 0o755)
        self.user = user
        self.conf_dir = os.path.join(self.base, "conf")
        self.queue_dir = os.path.join(self.base, "queue")
        self.data_dir = os.path.join(self.base, "data")
        self.log_file = os.path.join(self.base, "maillog")
        self.daemon_directory = daemon_directory
        self.mail_owner = mail_owner or user or "postfix"
        self.pids = set()  # every master pid seen, for cleanup
        self.popens = []  # masters run in the foreground
        for d in (self.conf_dir, self.queue_dir, self.data_dir):
            os.mkdir(d, 0o755)
        # Children that dropped privileges log here too, until postlogd does it.
        with open(self.log_file, "a"):
            pass
        os.chmod(self.log_file, 0o666)
        if user:
            pw = pwd.getpwnam(user)
            for d in (self.base, self.conf_dir, self.queue_dir, self.data_dir, self.log_file):
                os.chown(d, pw.pw_uid, pw.pw_gid)
        elif os.geteuid() == 0:
            pw = pwd.getpwnam(self.mail_owner)
            os.chown(self.data_dir, pw.pw_uid, pw.pw_gid)
        self.main_cf = {}
        self.write_main_cf(main_cf or {})
        self.postlog = self._postlog_sink()
        self.postlog_lock = threading.Lock()
        self.postlog_stop = threading.Event()
        self.postlog_drainer = threading.Thread(target=self._drain_loop, daemon=True)
        self.postlog_drainer.start()
        self.write_master_cf(master_cf)

    # Configuration.

    def write_main_cf(self, extra):
        """(Re)writes main.cf: the instance's paths plus extra name=value settings."""
        settings = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "daemon_directory": self.daemon_directory,
            "maillog_file": self.log_file,
            "maillog_file_prefixes": self.base,
            "mail_owner": self.mail_owner,
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
        }
        settings.update(self.main_cf)
        settings.update(extra)
        self.main_cf = settings
        self._write("main.cf", "".join(f"{k} = {v}\n" for k, v in settings.items()))

    def write_master_cf(self, text):
        self._write("master.cf", text)

    def _write(self, name, text):
        path = os.path.join(self.conf_dir, name)
        with open(path, "w") as f:
            f.write(text)
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def path(self, *parts):
        """A path inside the queue directory ("private", "echo")."""
        return os.path.join(self.queue_dir, *parts)

    # The master.

    def master(self, *args, timeout=WAIT + 5):
        """Runs "master -c CONF ARGS" to completion (as the instance's user)."""
        return subprocess.run([MASTER, "-c", self.conf_dir, *args], capture_output=True,
                              text=True, timeout=timeout, cwd="/", **self._as_user())

    def _as_user(self):
        """subprocess arguments that run a program as the instance's user, if any."""
        if not self.user:
            return {}
        pw = pwd.getpwnam(self.user)
        return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}

    def start(self, *args, check=True):
        """"master -w": returns the completed process; records the master's pid."""
        result = self.master("-w", *args)
        if check:
            assert result.returncode == 0, result.stderr
            pid = self.master_pid()
            assert pid and alive(pid), "master not running after master -w"
        return result

    def popen(self, *args):
        """Runs the master in the foreground process ("master -c CONF ARGS")."""
        proc = subprocess.Popen([MASTER, "-c", self.conf_dir, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd="/", **self._as_user())
        self.pids.add(proc.pid)
        self.popens.append(proc)
        return proc

    def master_pid(self):
        """The pid in pid/master.pid, or None."""
        try:
            with open(self.path("pid", "master.pid")) as f:
                text = f.readline().strip()
        except FileNotFoundError:
            return None
        if not text.isdigit():
            return None
        self.pids.add(int(text))
        return int(text)

    def running(self):
        """"master -t" says a master runs (exit status 1)."""
        return self.master("-t").returncode != 0

    def send_signal(self, sig):
        os.kill(self.master_pid(), sig)

    def reload(self):
        """SIGHUP, then waits until the master has logged the reload."""
        count = self.log().count(" reload -- ")
        self.send_signal(signal.SIGHUP)
        assert wait_for(lambda: self.log().count(" reload -- ") > count), "no reload logged"

    def stop(self, sig=signal.SIGTERM):
        """Stops the master; asserts that it and every process of its session end."""
        pid = self.master_pid()
        os.kill(pid, sig)
        assert wait_for(lambda: not alive(pid)), "master did not stop"
        assert wait_for(lambda: not session_pids(pid)), \
            f"processes left behind: {session_pids(pid)}"

    def cleanup(self):
        """Kills every process of every master this instance ran; removes the files.

        A master is killed by pid only while it leads its own session (a
        pid number that was reused by another process does not) or when it
        is our own child (popen)."""
        for proc in self.popens:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=5)
        for pid in self.pids:
            for victim in session_pids(pid):
                try:
                    os.kill(victim, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for pid in self.pids:
            wait_for(lambda: not session_pids(pid), timeout=5)
        for proc in self.popens:
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()
        self.stop_drain()
        shutil.rmtree(self.base, ignore_errors=True)

    def stop_drain(self):
        """Ends the sink's drain thread and closes the sink."""
        self.postlog_stop.set()
        if self.postlog_drainer.is_alive():
            self.postlog_drainer.join(timeout=5)
        self.postlog.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()

    # Observation.

    def children(self):
        """Live processes of the master's session other than the master."""
        pid = self.master_pid()
        return [p for p in session_pids(pid) if p != pid]

    def _postlog_sink(self):
        """A datagram socket at public/postlog in postlogd's place."""
        public = os.path.join(self.queue_dir, "public")
        os.mkdir(public)
        os.chmod(public, 0o710)  # what the master makes of it
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(public, pw.pw_uid, pw.pw_gid)
        elif os.geteuid() == 0:
            import grp
            group = self.main_cf.get("setgid_group", "postdrop")
            os.chown(public, pwd.getpwnam(self.mail_owner).pw_uid, grp.getgrnam(group).gr_gid)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(os.path.join(public, "postlog"))
        os.chmod(os.path.join(public, "postlog"), 0o666)
        sock.setblocking(False)
        return sock

    def _drain(self):
        """Appends the records waiting at the sink to the log file."""
        with self.postlog_lock:
            while True:
                try:
                    record = self.postlog.recv(65536)
                except (BlockingIOError, OSError):
                    break
                with open(self.log_file, "ab") as f:
                    f.write(record + b"\n")

    def _drain_loop(self):
        """Keeps the sink drained, as postlogd would: the kernel queues only a
        few datagrams, and a full queue makes every logging process wait."""
        while not self.postlog_stop.wait(0.02):
            self._drain()

    def log(self):
        self._drain()
        try:
            with open(self.log_file, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=WAIT, count=1):
        """Waits until pattern (a regular expression) matches count log lines; returns them."""
        regex = re.compile(pattern)

        def found():
            lines = [line for line in self.log().splitlines() if regex.search(line)]
            return lines if len(lines) >= count else None
        lines = found() if timeout == 0 else wait_for(found, timeout)
        assert lines, f"log has no line matching {pattern!r} (x{count}):\n{self.log()}"
        return lines


class Client:
    """A line-oriented client of a unix or inet service (tern-test-echo style)."""

    def __init__(self, address, timeout=WAIT):
        if isinstance(address, tuple):
            self.sock = socket.create_connection(address, timeout=timeout)
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(address)
        self.file = self.sock.makefile("rwb")

    def readline(self):
        line = self.file.readline()
        if not line:
            raise EOFError("connection closed")
        return line.decode().rstrip("\r\n")

    def command(self, text):
        self.file.write(text.encode() + b"\n")
        self.file.flush()
        return self.readline()

    def hello(self):
        """The greeting as a dict: pid, uid, gid, service, type."""
        line = self.readline()
        assert line.startswith("hello "), line
        return dict(item.split("=", 1) for item in line.split()[1:])

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- a whole mail system ---------------------------------------------------------

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))

# The local mail path of Debian's stock master.cf, without chroot (a jail
# would need copies of /etc files in the queue directory).
MAIL_MASTER_CF = """\
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
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# Commands copied into each mail instance's command_directory; postdrop and
# postqueue become set-gid setgid_group there, as installed.
MAIL_COMMANDS = ("sendmail", "mailq", "newaliases", "postdrop", "postqueue", "postsuper",
                 "postcat", "postfix", "postconf", "postalias", "postmap", "postlog")
SETGID_COMMANDS = ("postdrop", "postqueue")


class MailInstance(TernInstance):
    """A Tern mail system in a temporary directory, started with "postfix
    start": the real daemons (MAIL_MASTER_CF), its own command directory with
    set-gid postdrop/postqueue copies, a world-writable mail spool, and an
    aliases file built with postalias. Needs root (delivery as users).

        with MailInstance(aliases="bob: root\\n") as mi:
            mi.start()
            assert mi.sendmail("-f", "root", "root", input=b"Subject: x\\n\\nhi\\n").returncode == 0
            mi.wait_log(r"status=sent")
            mbox = mi.mbox("root")
    """

    def __init__(self, main_cf=None, master_cf=MAIL_MASTER_CF, aliases="postmaster: root\n"):
        super().__init__(master_cf=master_cf, daemon_directory=BIN, prefix="tern-mail-")
        self.sbin = os.path.join(self.base, "sbin")
        self.spool = os.path.join(self.base, "spool")
        os.mkdir(self.sbin, 0o755)
        os.mkdir(self.spool)
        os.chmod(self.spool, 0o1777)
        self._copy_commands()
        shutil.copy(os.path.join(ROOT, "conf", "postfix-files"), self.conf_dir)
        os.rmdir(self.data_dir)  # "postfix start" makes it, as postfix-files says
        self.aliases = os.path.join(self.conf_dir, "aliases")
        settings = {
            "myhostname": "tern.test", "mydomain": "tern.test",
            "command_directory": self.sbin, "meta_directory": self.conf_dir,
            "setgid_group": "postdrop", "mail_spool_directory": self.spool,
            "sendmail_path": f"{self.sbin}/sendmail",
            "newaliases_path": f"{self.sbin}/newaliases", "mailq_path": f"{self.sbin}/mailq",
            "alias_maps": f"hash:{self.aliases}", "alias_database": f"hash:{self.aliases}",
        }
        settings.update(main_cf or {})
        self.write_main_cf(settings)
        self.write_aliases(aliases)
        # The real postlogd writes maillog_file; the master opens public/postlog.
        self.stop_drain()
        os.unlink(self.path("public", "postlog"))

    def log(self):
        try:
            with open(self.log_file, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def _copy_commands(self):
        import grp
        for name in MAIL_COMMANDS:
            source = os.path.join(BIN, name)
            if not os.path.exists(source):
                continue
            target = os.path.join(self.sbin, name)
            shutil.copy(source, target)
            if name in SETGID_COMMANDS:
                os.chown(target, 0, grp.getgrnam("postdrop").gr_gid)
                os.chmod(target, 0o2555)

    def command(self, name):
        return os.path.join(self.sbin, name)

    def env(self):
        return program_env(PATH=f"{self.sbin}:/usr/bin:/bin", MAIL_CONFIG=self.conf_dir)

    def write_aliases(self, text):
        with open(self.aliases, "w") as f:
            f.write(text)
        subprocess.run([self.command("postalias"), "-c", self.conf_dir, self.aliases],
                       check=True, capture_output=True, timeout=WAIT)

    def postfix(self, *args, timeout=WAIT + 5):
        return subprocess.run([self.command("postfix"), "-c", self.conf_dir, *args],
                              capture_output=True, text=True, timeout=timeout, cwd="/")

    def start(self):
        """"postfix start"; returns the master's pid (tracked for cleanup)."""
        result = self.postfix("start")
        pid = self.master_pid()
        assert result.returncode == 0, result.stderr + self.log()
        assert pid and alive(pid), "no live master after postfix start"
        return pid

    def run(self, name, *args, input=None, user=None, timeout=WAIT + 5):
        """Runs command NAME of this instance (as USER when given); completed process."""
        kwargs = {}
        if user:
            pw = pwd.getpwnam(user)
            kwargs = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        return subprocess.run([self.command(name), *args], input=input, capture_output=True,
                              timeout=timeout, env=self.env(), cwd="/", **kwargs)

    def sendmail(self, *args, input=b"", user=None):
        return self.run("sendmail", *args, input=input, user=user)

    def mailbox_path(self, user):
        return os.path.join(self.spool, user)

    def mbox(self, user):
        """The user's mailbox as a list of email.message.Message (empty when none)."""
        import mailbox
        path = self.mailbox_path(user)
        if not os.path.exists(path):
            return []
        box = mailbox.mbox(path, create=False)
        try:
            return [message for message in box]
        finally:
            box.close()

    def wait_mail(self, user, count=1, timeout=WAIT * 2):
        """Waits until the user's mailbox holds count messages; returns them."""
        got = wait_for(lambda: (m := self.mbox(user)) and len(m) >= count and m, timeout)
        assert got, f"{user}'s mailbox has {len(self.mbox(user))} of {count}:\n{self.log()}"
        return got

    def queue_files(self, queue):
        """Queue ids currently in QUEUE (hashed subdirectories included)."""
        found = []
        top = self.path(queue)
        for dirpath, _dirs, files in os.walk(top):
            found.extend(name for name in files if not name.startswith("."))
        return sorted(found)

    def cleanup(self):
        try:
            pid = self.master_pid()
            if pid and alive(pid):
                self.postfix("stop")
        finally:
            super().cleanup()


class PostfixOracle:
    """Debian's Postfix as a test oracle: an instance in a temporary
    directory with the same main.cf settings and services as a
    MailInstance (no chroot, its own spool and aliases), started with
    Debian's own "postfix -c DIR start" and stopped and removed by
    cleanup(). Only for comparing behaviour; Tern never calls it.

        with PostfixOracle(aliases=...) as pf:
            pf.start()
            pf.sendmail("-f", "root", "root", input=b"...")
            pf.wait_mail("root")
    """

    DAEMONS = "/usr/lib/postfix/sbin"
    COMMANDS = "/usr/sbin"

    @classmethod
    def available(cls):
        return os.geteuid() == 0 and os.path.exists(os.path.join(cls.DAEMONS, "qmgr"))

    def __init__(self, main_cf=None, aliases="postmaster: root\n", master_cf=MAIL_MASTER_CF):
        self.base = tempfile.mkdtemp(prefix="tern-oracle-", dir="/tmp")
        os.chmod(self.base, 0o755)
        self.conf_dir = os.path.join(self.base, "conf")
        self.queue_dir = os.path.join(self.base, "queue")
        self.spool = os.path.join(self.base, "spool")
        self.log_file = os.path.join(self.base, "maillog")
        os.mkdir(self.conf_dir)
        os.mkdir(self.queue_dir)
        os.mkdir(self.spool)
        os.chmod(self.spool, 0o1777)
        self.aliases = os.path.join(self.conf_dir, "aliases")
        settings = {
            "compatibility_level": "3.6", "queue_directory": self.queue_dir,
            "data_directory": os.path.join(self.base, "data"),
            "command_directory": self.COMMANDS, "daemon_directory": self.DAEMONS,
            "meta_directory": "/etc/postfix", "shlib_directory": "/usr/lib/postfix",
            "mail_owner": "postfix", "setgid_group": "postdrop",
            "myhostname": "tern.test", "mydomain": "tern.test",
            "inet_interfaces": "127.0.0.1", "inet_protocols": "ipv4",
            "mail_spool_directory": self.spool, "maillog_file": self.log_file,
            "maillog_file_prefixes": self.base,
            "alias_maps": f"hash:{self.aliases}", "alias_database": f"hash:{self.aliases}",
        }
        settings.update(main_cf or {})
        with open(os.path.join(self.conf_dir, "main.cf"), "w") as f:
            f.write("".join(f"{k} = {v}\n" for k, v in settings.items()))
        with open(os.path.join(self.conf_dir, "master.cf"), "w") as f:
            f.write(master_cf)
        with open(self.aliases, "w") as f:
            f.write(aliases)
        self.run("postalias", self.aliases, check=True)

    def env(self):
        return {"PATH": "/usr/sbin:/usr/bin:/bin", "MAIL_CONFIG": self.conf_dir}

    def run(self, name, *args, input=b"", check=False):
        return subprocess.run([os.path.join(self.COMMANDS, name), *args], input=input,
                              capture_output=True, timeout=WAIT * 3, env=self.env(), cwd="/",
                              check=check)

    def start(self):
        self.run("postfix", "-c", self.conf_dir, "start", check=True)

    def sendmail(self, *args, input=b""):
        return self.run("sendmail", *args, input=input)

    def mbox(self, user):
        return MailInstance.mbox(self, user)

    def mailbox_path(self, user):
        return os.path.join(self.spool, user)

    def wait_mail(self, user, count=1, timeout=WAIT * 2):
        got = wait_for(lambda: (m := self.mbox(user)) and len(m) >= count and m, timeout)
        assert got, f"oracle: {user}'s mailbox has {len(self.mbox(user))} of {count}"
        return got

    def path(self, *parts):
        """A path inside the queue directory."""
        return os.path.join(self.queue_dir, *parts)

    def master_pid(self):
        try:
            with open(self.path("pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def log(self):
        try:
            with open(self.log_file, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def cleanup(self):
        """postfix stop; then whatever of the instance is still alive is killed."""
        pid = self.master_pid()
        try:
            self.run("postfix", "-c", self.conf_dir, "stop")
            if pid:
                wait_for(lambda: not alive(pid))
                for victim in session_pids(pid):
                    try:
                        os.kill(victim, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
