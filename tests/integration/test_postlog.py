"""postlog(1) and postlogd(8): records written through a running postlogd into
maillog_file, in the shape of Debian's Postfix, and what happens without one.

postlogd runs under an emulated master (as tests/integration/test_mail_server.py
does): this file binds the unix-dgram listener $queue_directory/public/postlog,
makes the status pipe, and starts postlogd with the pipe at descriptor 5 and the
listener at 6. Where Postfix can answer the same question on the same main.cf
(postlog without postlogd, refusals, option errors), Debian's /usr/sbin/postlog
is the oracle; its stderr is compared through a pseudo-terminal, because postlog
writes to stderr only when stderr is a terminal."""
import os
import pathlib
import pwd
import re
import select
import shutil
import socket
import stat
import subprocess
import tempfile
import time

import pytest

import emulated_master
from emulated_master import AVAIL, TAKEN

BUILD = os.environ.get("TERN_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
POSTLOG = os.path.join(BUILD, "bin", "postlog")
POSTLOGD = os.path.join(BUILD, "bin", "postlogd")
ORACLE = "/usr/sbin/postlog"
WAIT = emulated_master.WAIT
STAMP = r"[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d"

oracle = pytest.mark.skipif(not os.access(ORACLE, os.X_OK), reason="no Debian postlog")
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


class Instance:
    """A config and queue directory; the maillog lives under /var/tmp (default prefixes)."""

    def __init__(self, tmp_path, extra=""):
        self.tmp = tmp_path
        self.conf = tmp_path / "conf"
        self.queue = tmp_path / "queue"
        self.conf.mkdir()
        (self.queue / "public").mkdir(parents=True)
        self.logdir = tmp_path / "log"
        self.logdir.mkdir()
        self.log = self.logdir / "maillog"
        self.main_cf(extra)
        self.children = []

    def main_cf(self, extra="", maillog=None):
        maillog = self.log if maillog is None else maillog
        (self.conf / "main.cf").write_text(
            f"queue_directory = {self.queue}\nmaillog_file = {maillog}\n"
            f"maillog_file_prefixes = {self.tmp}\nmyhostname = mx1.example.com\n" + extra)

    def postlog(self, *args, stdin=None):
        return subprocess.run([POSTLOG, "-c", str(self.conf), *args], input=stdin,
                              capture_output=True, timeout=30)

    def lines(self, count, path=None, timeout=WAIT):
        """The first count lines of the log, waiting for them within the time bound."""
        path = path or self.log
        deadline = time.monotonic() + timeout
        while True:
            text = path.read_bytes().decode(errors="replace") if path.exists() else ""
            lines = text.splitlines()
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.02)

    def start(self, args=(), stdout=None):
        child = Postlogd(self, args, stdout)
        self.children.append(child)
        return child

    def cleanup(self):
        for child in self.children:
            child.kill()


class Postlogd:
    """postlogd started as the master starts it, with our listener and status pipe."""

    def __init__(self, inst, args, stdout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        path = inst.queue / "public" / "postlog"
        if path.exists():
            path.unlink()
        self.sock.bind(str(path))
        env = {"PATH": "/usr/bin:/bin", "MAIL_CONFIG": str(inst.conf)}
        argv = [POSTLOGD, "-n", "postlog", "-t", "unix-dgram", *args]
        self.child = emulated_master.spawn(POSTLOGD, argv, env, [self.sock.fileno()],
                                           stdout=stdout)
        self.pid = self.child.pid

    def status(self, timeout=WAIT):
        record = self.child.read_status(timeout)
        return None if record is None else record[2]

    def wait(self, timeout=WAIT):
        return self.child.wait(timeout)

    def stderr(self):
        return self.child.stderr()

    def alive(self):
        return self.child.alive()

    def kill(self):
        self.child.kill()
        self.sock.close()


@pytest.fixture
def inst(tmp_path):
    obj = Instance(tmp_path)
    yield obj
    obj.cleanup()


def run_tty(argv, stdin=b""):
    """Runs argv with stderr on a pseudo-terminal; returns (status, stderr text)."""
    master, slave = os.openpty()
    try:
        proc = subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=slave,
                              timeout=30)
    finally:
        os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.returncode, out.decode(errors="replace").replace("\r\n", "\n")


def record(text, tag=r"postfix/postlog"):
    return re.compile(STAMP + r" mx1 " + tag + r"\[(\d+)\]: " + text)


# --- through postlogd --------------------------------------------------------------


def test_text_goes_through_postlogd_into_maillog_file(inst):
    daemon = inst.start()
    assert daemon.status() == AVAIL
    proc = inst.postlog("hello", "world")
    assert proc.returncode == 0 and proc.stderr == b"" and proc.stdout == b""
    assert daemon.status() == TAKEN and daemon.status() == AVAIL  # postlogd took it
    lines = inst.lines(1)
    assert len(lines) == 1
    assert record("hello world").fullmatch(lines[0]), lines[0]
    assert stat.S_IMODE(inst.log.stat().st_mode) == 0o600
    assert daemon.alive()


def test_stdin_lines_priority_and_tag(inst):
    daemon = inst.start()
    assert daemon.status() == AVAIL
    assert inst.postlog("-p", "warn", "-t", "my/tag", stdin=b"one\n\ntwo\tthree\n").returncode == 0
    lines = inst.lines(3)
    assert [re.sub(r"\[\d+\]", "[PID]", l.split(" ", 4)[4]) for l in lines] == [
        "my/tag[PID]: warning: one", "my/tag[PID]: warning: ", "my/tag[PID]: warning: two?three"]
    assert inst.postlog("-p", "ERR", "-i", "x").returncode == 0
    assert inst.postlog("-p", "crit", "y").returncode == 0
    lines = inst.lines(5)
    assert lines[3].endswith("postlog[%s]: error: x" % re.search(r"\[(\d+)\]", lines[3]).group(1))
    assert record("fatal: y").fullmatch(lines[4]), lines[4]


def test_syslog_name_names_the_records(inst):
    inst.main_cf("syslog_name = postfix-out\n")
    daemon = inst.start()
    assert daemon.status() == AVAIL
    assert inst.postlog("named").returncode == 0
    assert record("named", "postfix-out/postlog").fullmatch(inst.lines(1)[0])


def test_long_record_is_cut_like_postfix(inst):
    inst.start().status()
    assert inst.postlog("-p", "warning", "A" * 5000).returncode == 0
    line = inst.lines(1)[0]
    assert line.endswith("warning: " + "A" * 2000)


def test_rotated_file_is_reopened(inst):
    daemon = inst.start()
    assert daemon.status() == AVAIL
    assert inst.postlog("before").returncode == 0
    assert len(inst.lines(1)) == 1
    rotated = inst.logdir / "maillog.20260101-000000"
    os.rename(inst.log, rotated)
    assert inst.postlog("after").returncode == 0
    lines = inst.lines(1)
    assert len(lines) == 1 and lines[0].endswith(": after")
    assert rotated.read_text().count("\n") == 1
    assert stat.S_IMODE(inst.log.stat().st_mode) == 0o600
    assert daemon.alive()


@root_only
def test_unprivileged_postlogd_hands_over_after_rotation(inst):
    """With -u postlogd cannot create the new file: it writes the record to the old
    one and exits; the next postlogd (root until the user change) opens the new one.
    The log directory must be searchable by mail_owner (pytest's base is not)."""
    logdir = tempfile.mkdtemp(prefix="tern-postlog-")
    try:
        os.chmod(logdir, 0o755)
        log = pathlib.Path(logdir) / "maillog"
        inst.main_cf(maillog=log)
        (inst.conf / "main.cf").write_text((inst.conf / "main.cf").read_text().replace(
            f"maillog_file_prefixes = {inst.tmp}", f"maillog_file_prefixes = {logdir}"))
        daemon = inst.start(["-u"])
        assert daemon.status() == AVAIL
        assert inst.postlog("one").returncode == 0
        assert len(inst.lines(1, log)) == 1
        rotated = pathlib.Path(logdir) / "maillog.1"
        os.rename(log, rotated)
        assert inst.postlog("two").returncode == 0
        assert daemon.wait() == 0
        old = rotated.read_text()
        assert old.endswith(": two\n") and len(old.splitlines()) == 2  # no warning
        second = inst.start(["-u"])
        assert second.status() == AVAIL
        assert inst.postlog("three").returncode == 0
        lines = inst.lines(1, log)
        assert len(lines) == 1 and lines[0].endswith(": three")
        owner = pwd.getpwnam("postfix").pw_uid
        with open(f"/proc/{second.pid}/status") as fp:
            assert re.search(r"^Uid:\s+%d\b" % owner, fp.read(), re.M)
    finally:
        shutil.rmtree(logdir)


def test_bad_datagrams_do_not_hurt_postlogd(inst):
    daemon = inst.start()
    assert daemon.status() == AVAIL
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(inst.queue / "public" / "postlog")
    for data in (b"", b"bin\x00ary\nsplit\r\xff\xfe", b"X" * 100000, "ok \u00e9".encode()):
        sender.sendto(data, path)
    sender.close()
    assert inst.postlog("still here").returncode == 0
    lines = inst.lines(4)
    assert lines[0] == "bin?ary?split???"
    assert lines[1] == "X" * 4096
    assert lines[2] == "ok \u00e9"
    assert record("still here").fullmatch(lines[3])
    assert len(lines) == 4 and daemon.alive()


def test_dev_stdout_is_the_descriptor_postlogd_got(inst):
    inst.main_cf(maillog="/dev/stdout")
    (inst.conf / "main.cf").write_text((inst.conf / "main.cf").read_text().replace(
        f"maillog_file_prefixes = {inst.tmp}", "maillog_file_prefixes = /dev/stdout"))
    out_r, out_w = os.pipe()
    daemon = inst.start(stdout=out_w)
    os.close(out_w)
    assert daemon.status() == AVAIL
    assert inst.postlog("to stdout").returncode == 0
    assert select.select([out_r], [], [], WAIT)[0]
    data = os.read(out_r, 4096).decode()
    os.close(out_r)
    assert record("to stdout\n").fullmatch(data), data


def test_postlogd_own_records_and_permissions(inst):
    inst.main_cf("maillog_file_permissions = 0644\n")
    daemon = inst.start(["-v"])
    assert daemon.status() == AVAIL
    assert inst.postlog("x").returncode == 0
    deadline = time.monotonic() + WAIT
    own = re.compile(STAMP + r" mx1 postfix/postlogd\[%d\]: postlog: trigger arrived" % daemon.pid)
    while not any(own.fullmatch(l) for l in inst.lines(1)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert any(own.fullmatch(l) for l in inst.lines(1)), inst.lines(1)
    assert any(record("x").fullmatch(l) for l in inst.lines(1))
    assert stat.S_IMODE(inst.log.stat().st_mode) == 0o644


def test_postlogd_startup_errors(inst):
    inst.main_cf("postlogd_watchdog_timeout = 5s\n")
    daemon = inst.start()
    assert daemon.wait() == 1
    assert "fatal: invalid postlogd_watchdog_timeout: 5 (min 10)" in daemon.stderr()
    inst.main_cf(maillog="%s/no/such/dir/maillog" % inst.tmp)
    daemon = inst.start()
    assert daemon.wait() == 1
    assert ("fatal: open logfile '%s/no/such/dir/maillog': cannot create file exclusively: "
            "No such file or directory" % inst.tmp) in daemon.stderr()


# --- under the real master ------------------------------------------------------------

MASTER = os.path.join(BUILD, "bin", "master")
needs_master = pytest.mark.skipif(not os.access(MASTER, os.X_OK), reason="no master built")


@pytest.fixture
def real(tmp_path):
    """A Tern instance whose master.cf has only the postlog service (Postfix's entry)."""
    import tern_instance
    inst = tern_instance.TernInstance(
        master_cf="postlog   unix-dgram n  -       n       -       1       postlogd\n",
        daemon_directory=tern_instance.BIN,
        main_cf={"maillog_file_prefixes": "/tmp", "myhostname": "mx1.example.com"})
    os.remove(inst.log_file)  # postlogd creates it
    try:
        yield inst
    finally:
        inst.cleanup()


def real_postlog(inst, *args):
    return subprocess.run([POSTLOG, "-c", inst.conf_dir, *args], capture_output=True, timeout=30)


def real_lines(inst, want):
    import tern_instance
    found = tern_instance.wait_for(
        lambda: os.path.exists(inst.log_file) and want in open(inst.log_file).read())
    return open(inst.log_file).read().splitlines() if found else []


@needs_master
def test_master_starts_postlogd_on_demand(real):
    import tern_instance
    real.start()
    assert real_postlog(real, "through", "the", "master").returncode == 0
    lines = [l for l in real_lines(real, "through the master") if "postfix/postlog[" in l]
    assert len(lines) == 1 and record("through the master").fullmatch(lines[0]), lines
    daemons = [pid for pid in tern_instance.session_pids(real.master_pid())
               if tern_instance.cmdline(pid)[:1] == ["postlogd"]]
    assert len(daemons) == 1
    if os.geteuid() == 0:  # "-" in the unpriv column: mail_owner after the file is open
        assert tern_instance.proc_ids(daemons[0])[0] == pwd.getpwnam("postfix").pw_uid
    real.stop()


@needs_master
@root_only
def test_master_replaces_postlogd_after_rotation(real):
    """postlogd (now mail_owner) cannot create the new file in the root-owned
    directory: it finishes the record in the old file and exits; the master starts a
    new one for the next record, which opens the new file as root."""
    real.start()
    assert real_postlog(real, "first").returncode == 0
    assert real_lines(real, ": first")
    os.rename(real.log_file, real.log_file + ".1")
    assert real_postlog(real, "second").returncode == 0
    import tern_instance
    assert tern_instance.wait_for(lambda: ": second" in open(real.log_file + ".1").read())
    assert real_postlog(real, "third").returncode == 0
    lines = [l for l in real_lines(real, ": third") if "postfix/postlog[" in l]
    assert len(lines) == 1 and lines[0].endswith(": third")
    real.stop()


# --- without postlogd, and refusals: Debian's postlog is the oracle -------------------


def both(inst, args, stdin=b""):
    """(status, stderr) of Tern's and of Debian's postlog on the same main.cf."""
    ours = run_tty([POSTLOG, "-c", str(inst.conf), *args], stdin)
    theirs = run_tty([ORACLE, "-c", str(inst.conf), *args], stdin)
    return ours, theirs


@oracle
def test_without_postlogd_postlog_writes_the_file_itself(inst):
    ours, theirs = both(inst, ["-p", "error", "direct"])
    assert ours == theirs == (0, "postfix/postlog: error: direct\n")
    lines = inst.lines(2)
    assert len(lines) == 2
    shapes = [re.sub(r"\[\d+\]", "[PID]", l)[len("Mon DD HH:MM:SS "):] for l in lines]
    assert shapes[0] == shapes[1] == "mx1 postfix/postlog[PID]: error: direct"
    assert all(re.match(STAMP + " ", l) for l in lines)
    assert stat.S_IMODE(inst.log.stat().st_mode) == 0o600


@oracle
def test_maillog_file_outside_the_prefixes_is_refused(inst):
    (inst.conf / "main.cf").write_text(
        f"queue_directory = {inst.queue}\nmaillog_file = {inst.log}\n")
    ours, theirs = both(inst, ["x"])
    assert ours == theirs
    assert ours == (1, "postfix/postlog: fatal: maillog_file value '%s' does not match any "
                       "prefix in maillog_file_prefixes\n" % inst.log)
    assert not inst.log.exists()


@oracle
def test_unwritable_maillog_without_postlogd_is_fatal(inst):
    inst.main_cf(maillog="%s/no/such/dir/maillog" % inst.tmp)
    ours, theirs = both(inst, ["lost"])
    assert ours == theirs
    assert ours[0] == 1 and "fatal: open logfile '%s/no/such/dir/maillog': " % inst.tmp in ours[1]


@oracle
@pytest.mark.parametrize("args", [["-x"], ["-p"], ["-t"], ["-p", "bogus", "x"],
                                  ["-p", "notice", "x"], ["-t", "a/b", "-p", "Panic", "x"],
                                  ["--", "-p", "x"], ["hi", "-p", "warn"]])
def test_options_behave_like_postfix(inst, args):
    ours, theirs = both(inst, args)
    assert ours == theirs


@oracle
def test_no_terminal_no_stderr(inst):
    proc = inst.postlog("-p", "bogus", "x")
    assert proc.returncode == 1 and proc.stderr == b""
    ours = inst.postlog("quiet")
    assert ours.returncode == 0 and ours.stderr == b""
    assert inst.lines(1)[0].endswith(": quiet")
