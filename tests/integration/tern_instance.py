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
import time

BUILD = os.path.abspath(
    os.environ.get("TERN_BUILD", os.path.join(os.path.dirname(__file__), "../../build")))
BIN = os.path.join(BUILD, "bin")
TEST_BIN = os.path.join(BUILD, "tests", "bin")
MASTER = os.path.join(BIN, "master")
WAIT = 10.0


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
        self.postlog.close()
        shutil.rmtree(self.base, ignore_errors=True)

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

    def log(self):
        while True:
            try:
                record = self.postlog.recv(65536)
            except BlockingIOError:
                break
            with open(self.log_file, "ab") as f:
                f.write(record + b"\n")
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
