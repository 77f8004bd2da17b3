"""The postfix(1) control command: start, stop, abort, reload, status, check,
set-permissions and logrotate, with Postfix's messages and exit codes.

Like Postfix's, the command writes its messages to standard error only when
that is a terminal, so commands run here with stderr on a pseudo-terminal;
every message is also in maillog_file with the "postfix/postfix-script[PID]"
tag. Two kinds of instance, each in its own temporary directory:

  - a stopped instance: daemon_directory holds copies of the real master and
    postlogd, never started (master -t exits 0: not running), so check,
    set-permissions and logrotate run on a stopped system; command_directory
    is a private copy, so set-permissions changes nothing outside the test;
  - a live instance: daemon_directory and command_directory are the build's
    bin/, and the real master is started with "postfix start"; the fixture
    runs "postfix stop", then TernInstance.cleanup (tern_instance.py) kills
    whatever is left of every master session it saw, by pid.

Where practical the texts are compared with Debian's /usr/sbin/postfix run
on the same configuration (or on a twin using Debian's own programs)."""
import grp
import gzip
import os
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

from tern_instance import TernInstance, alive, proc_stat

BUILD = os.environ.get("TERN_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
ROOT = os.environ.get("TERN_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
BIN = os.path.abspath(os.path.join(BUILD, "bin"))
POSTFIX = os.path.join(BIN, "postfix")
POSTCONF = os.path.join(BIN, "postconf")
MASTER = os.path.join(BIN, "master")
DEBIAN_POSTFIX = "/usr/sbin/postfix"
DEBIAN_DAEMON_DIR = "/usr/lib/postfix/sbin"
TAG = "postfix/postfix-script"
STAMP = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ "
WAIT = 10.0
QUEUE_DIRS = ["active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
              "incoming", "maildrop", "pid", "private", "public", "saved", "trace"]

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the postfix command needs root")
needs_master = pytest.mark.skipif(not os.access(MASTER, os.X_OK), reason="master not built yet")
needs_debian = pytest.mark.skipif(not os.access(DEBIAN_POSTFIX, os.X_OK),
                                  reason="Debian's postfix is not installed")


def run_tty(args, timeout=WAIT):
    """Runs args with standard error on a pseudo-terminal: (exit code, stderr text).
    Reads while the command runs, and stops when it exits (a daemon it started
    may keep the terminal open)."""
    master_fd, slave_fd = os.openpty()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=slave_fd)
    os.close(slave_fd)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            done = proc.poll() is not None
            ready = select.select([master_fd], [], [], 0 if done else 0.05)[0]
            if ready:
                try:
                    data = os.read(master_fd, 65536)
                except OSError:
                    data = b""
                if data:
                    chunks.append(data)
                    continue
            if done:
                break
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise AssertionError(f"{args} did not finish in {timeout}s")
    finally:
        os.close(master_fd)
    text = b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")
    return proc.returncode, text


def wait_for(predicate, timeout=WAIT, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


POSTLOG_ONLY = "postlog   unix-dgram n  -       n       -       1       postlogd\n"


class Instance(TernInstance):
    """A TernInstance (tern_instance.py) run through the postfix command:
    postfix-files in the configuration directory, which is also
    meta_directory; command_directory; no data directory until the command
    creates it. Short names: etc, spool, data, logfile, top."""

    def __init__(self, daemon_dir=BIN, command_dir=BIN, master_cf=POSTLOG_ONLY):
        super().__init__(master_cf=master_cf, daemon_directory=daemon_dir,
                         prefix="tern-postfix-")
        self.top, self.etc, self.spool = self.base, self.conf_dir, self.queue_dir
        self.data, self.logfile = self.data_dir, self.log_file
        self.daemon_dir, self.command_dir = daemon_dir, command_dir
        os.rmdir(self.data)  # "postfix start" makes it, as postfix-files says
        shutil.copy(os.path.join(ROOT, "conf/postfix-files"), self.etc)
        self.write_main_cf(self.layout_settings())

    def layout_settings(self):
        return {"command_directory": self.command_dir, "meta_directory": self.etc,
                "setgid_group": "postdrop", "maillog_file_prefixes": self.top,
                "sendmail_path": f"{self.command_dir}/sendmail",
                "newaliases_path": f"{self.command_dir}/newaliases",
                "mailq_path": f"{self.command_dir}/mailq"}

    def layout(self):
        """Every setting of this instance's main.cf, as postconf -e arguments."""
        return [f"{name} = {value}" for name, value in self.main_cf.items()]

    def postconf(self, *args):
        subprocess.run([POSTCONF, "-c", self.etc, *args], check=True, capture_output=True,
                       timeout=WAIT)

    def postfix(self, *args, timeout=WAIT):
        return run_tty([POSTFIX, "-c", self.etc, *args], timeout=timeout)

    def log_text(self):
        return self.log()

    def start(self):
        """"postfix start": returns the master's pid (tracked for cleanup)."""
        code, err = self.postfix("start")
        pid = self.master_pid()
        assert code == 0, err
        assert pid and alive(pid), "no live master after postfix start"
        return pid


def make_bin_copies(top):
    """daemon and command directories holding copies of the real master and
    postlogd (never started here, so "master -t" says not running), postfix
    and postconf, and set-gid copies standing where postdrop and postqueue
    are installed, for the permission checks."""
    libexec = os.path.join(top, "libexec")
    sbin = os.path.join(top, "sbin")
    os.mkdir(libexec, 0o755)
    os.mkdir(sbin, 0o755)
    for name in ("master", "postlogd"):
        shutil.copy(os.path.join(BIN, name), libexec)
    for name in ("postfix", "postconf"):
        shutil.copy(os.path.join(BIN, name), sbin)
    for name in ("postdrop", "postqueue"):
        path = os.path.join(sbin, name)
        shutil.copy(os.path.join(libexec, "master"), path)
        os.chown(path, 0, grp.getgrnam("postdrop").gr_gid)
        os.chmod(path, 0o2555)
    return libexec, sbin


@pytest.fixture
def stopped():
    top = tempfile.mkdtemp(prefix="tern-postfix-bin-")
    os.chmod(top, 0o755)
    libexec, sbin = make_bin_copies(top)
    inst = Instance(daemon_dir=libexec, command_dir=sbin)
    try:
        yield inst
    finally:
        inst.cleanup()
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def live():
    inst = Instance()
    try:
        yield inst
    finally:
        try:
            if inst.master_pid() and alive(inst.master_pid()):
                inst.postfix("stop")
        finally:
            inst.cleanup()


def tagged(text):
    return f"{TAG}: {text}\n"


def warnings(err):
    prefix = f"{TAG}: warning: "
    return [line[len(prefix):] for line in err.splitlines() if line.startswith(prefix)]


# ---------------------------------------------------------------- status, start, stop

@needs_root
@needs_master
def test_status_when_stopped(live):
    code, err = live.postfix("status")
    assert code == 1
    assert err == tagged("the Postfix mail system is not running")
    assert re.search(STAMP + re.escape(TAG) + r"\[\d+\]: the Postfix mail system is not running\n",
                     live.log_text())
    # Like Postfix: nothing on standard error when it is not a terminal.
    proc = subprocess.run([POSTFIX, "-c", live.etc, "status"], capture_output=True, timeout=WAIT)
    assert proc.returncode == 1 and proc.stderr == b""


@needs_root
@needs_master
def test_start_status_stop_and_start_again(live):
    pid = live.start()
    assert re.search(re.escape(TAG) + r"\[\d+\]: starting the Postfix mail system", live.log_text())
    code, err = live.postfix("status")
    assert (code, err) == (0, tagged(f"the Postfix mail system is running: PID: {pid}"))
    code, err = live.postfix("stop")
    assert code == 0, err
    assert err.startswith(tagged("stopping the Postfix mail system")), err
    wait_for(lambda: not alive(pid), what="master to exit")
    assert live.postfix("status") == (1, tagged("the Postfix mail system is not running"))
    pid2 = live.start()
    assert pid2 != pid
    assert live.postfix("status")[0] == 0
    assert live.postfix("stop")[0] == 0
    wait_for(lambda: not alive(pid2), what="master to exit")


@needs_root
@needs_master
def test_start_when_running_is_refused(live):
    pid = live.start()
    code, err = live.postfix("start")
    assert code == 1
    assert err == tagged("fatal: the Postfix mail system is already running")
    assert live.master_pid() == pid and alive(pid)


@needs_root
@needs_master
def test_start_reports_a_master_that_fails_to_initialize(live):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        live.write_master_cf(POSTLOG_ONLY + f"127.0.0.1:{port} inet n - n - - smtpd\n")
        code, err = live.postfix("start")
    assert code == 1
    assert err.endswith(tagged("fatal: mail system startup failed")), err
    assert live.postfix("status")[0] == 1


@needs_root
@needs_master
@pytest.mark.parametrize("command", ["stop", "abort", "reload"])
def test_commands_need_a_running_master(live, command):
    code, err = live.postfix(command)
    assert code == 1
    assert err == tagged("fatal: the Postfix mail system is not running")


@needs_root
@needs_master
def test_reload_keeps_the_master_and_makes_it_reload(live):
    pid = live.start()
    code, err = live.postfix("reload")
    assert (code, err) == (0, tagged("refreshing the Postfix mail system"))
    wait_for(lambda: re.search(rf"postfix/master\[{pid}\]: .*reload", live.log_text()),
             what="the master to log its reload")
    assert live.master_pid() == pid and alive(pid)
    assert live.postfix("status") == (0, tagged(f"the Postfix mail system is running: PID: {pid}"))


@needs_root
@needs_master
def test_abort_stops_the_master(live):
    pid = live.start()
    code, err = live.postfix("abort")
    assert (code, err) == (0, tagged("aborting the Postfix mail system"))
    wait_for(lambda: not alive(pid), what="master to exit")
    wait_for(lambda: live.postfix("status")[0] == 1, what="status to say not running")


@needs_root
@needs_master
def test_start_creates_queue_directories_as_postfix_files_says(live):
    live.start()
    rules = {}
    with open(os.path.join(ROOT, "conf/postfix-files")) as f:
        for line in f:
            m = re.match(r"\$queue_directory/(\w+):d:([^:]*):([^:]*):(\d+)", line)
            if m:
                rules[m.group(1)] = m.group(2, 3, 4)
    assert sorted(rules) == sorted(QUEUE_DIRS)
    for name, (owner, group, mode) in rules.items():
        st = os.stat(os.path.join(live.spool, name))
        want_owner = "postfix" if owner == "$mail_owner" else owner
        assert pwd.getpwuid(st.st_uid).pw_name == want_owner, name
        if group == "$setgid_group":
            assert grp.getgrgid(st.st_gid).gr_name == "postdrop", name
        assert stat.S_IMODE(st.st_mode) == int(mode, 8), name
    st = os.stat(live.data)
    assert pwd.getpwuid(st.st_uid).pw_name == "postfix" and stat.S_IMODE(st.st_mode) == 0o700


@needs_root
@needs_master
def test_start_fg_keeps_the_master_in_the_foreground(live):
    proc = subprocess.Popen([POSTFIX, "-c", live.etc, "start-fg"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        pid = wait_for(lambda: live.postfix("status")[0] == 0 and live.master_pid(),
                       what="the master to run")
        assert proc.poll() is None, "start-fg returned while the master runs"
        assert proc_stat(pid)[1] == proc.pid, "the master is not start-fg's child"
        assert live.postfix("stop")[0] == 0
        proc.wait(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@needs_root
@needs_master
def test_logrotate_makes_a_running_master_reload(live):
    pid = live.start()
    before = live.log_text()
    assert live.postfix("logrotate") == (0, "")
    rotated = [name for name in os.listdir(live.top) if name.startswith("maillog.")]
    assert len(rotated) == 1 and rotated[0].endswith(".gz")
    with gzip.open(os.path.join(live.top, rotated[0]), "rt") as f:
        # Records sent between the snapshot and the rename belong to the
        # old file too (as with Postfix); what was there must all be kept.
        assert f.read().startswith(before)
    wait_for(lambda: re.search(rf"postfix/master\[{pid}\]: .*reload", live.log_text()),
             what="the master to log its reload in the new file")
    assert alive(pid)


# ---------------------------------------------------------------- check, accounts

@needs_root
@needs_master
def test_check_accepts_debian_stock_configuration(live):
    shutil.copy("/usr/share/postfix/main.cf.debian", os.path.join(live.etc, "main.cf"))
    shutil.copy("/etc/postfix/master.cf", os.path.join(live.etc, "master.cf"))
    live.postconf("-e", *live.layout())
    code, err = live.postfix("check")
    assert code == 0, err
    expected = set()
    with open(os.path.join(live.etc, "master.cf")) as f:
        for line in f:
            if line[:1].isalnum():
                program = line.split()[7]
                if not os.path.exists(os.path.join(BIN, program)):
                    expected.add(program)
    reported = set()
    for warning in warnings(err):
        m = re.fullmatch(r".*/master\.cf: line \d+: service \S+: daemon program "
                         + re.escape(BIN) + r"/(\S+) is not installed", warning)
        if m:
            reported.add(m.group(1))
            continue
        # Programs in the build directory are not installed set-gid.
        assert re.fullmatch(r"(not owned by group postdrop|not set-gid or not owner\+group\+"
                            r"world executable): " + re.escape(BIN) + r"/post(drop|queue)",
                            warning), warning
    assert reported == expected
    assert err.count("\n") == len(warnings(err))


def test_check_of_a_sound_instance_is_silent(stopped):
    assert stopped.postfix("check") == (0, "")
    for name in QUEUE_DIRS:
        assert os.path.isdir(os.path.join(stopped.spool, name))


@needs_root
def test_check_finds_bad_permissions_and_set_permissions_fixes_them(stopped):
    assert stopped.postfix("check") == (0, "")
    os.chmod(stopped.spool, 0o777)
    nobody = pwd.getpwnam("nobody").pw_uid
    os.chown(os.path.join(stopped.spool, "active"), nobody, -1)
    os.makedirs(os.path.join(stopped.spool, "deferred/A"))
    os.chmod(os.path.join(stopped.spool, "public"), 0o755)
    postdrop = os.path.join(stopped.command_dir, "postdrop")
    os.chown(postdrop, 0, 0)
    os.chmod(postdrop, 0o755)
    code, err = stopped.postfix("check")
    assert code == 0
    assert sorted(warnings(err)) == sorted([
        f"group or other writable: {stopped.spool}/.",
        f"not owned by postfix: {stopped.spool}/active",
        f"not owned by postfix: {stopped.spool}/deferred/A",
        f"not owned by group postdrop: {postdrop}",
        f"not set-gid or not owner+group+world executable: {postdrop}",
    ]), err
    code, err = stopped.postfix("set-permissions")
    assert (code, err) == (0, "")
    assert stopped.postfix("check") == (0, "")
    st = os.stat(postdrop)
    assert (st.st_uid, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)) == \
        (0, "postdrop", 0o2555)
    st = os.stat(os.path.join(stopped.spool, "deferred/A"))
    assert pwd.getpwuid(st.st_uid).pw_name == "postfix" and stat.S_IMODE(st.st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(stopped.spool, "public")).st_mode) == 0o710
    assert stat.S_IMODE(os.stat(stopped.spool).st_mode) == 0o755


@needs_root
def test_set_permissions_saves_new_settings(stopped):
    lib2 = os.path.join(stopped.top, "lib2")
    code, err = stopped.postfix("set-permissions", f"data_directory={lib2}")
    assert (code, err) == (0, "")
    proc = subprocess.run([POSTCONF, "-c", stopped.etc, "-h", "data_directory"], capture_output=True,
                          text=True, timeout=WAIT)
    assert proc.stdout == lib2 + "\n"
    st = os.stat(lib2)
    assert pwd.getpwuid(st.st_uid).pw_name == "postfix" and stat.S_IMODE(st.st_mode) == 0o700
    code, err = stopped.postfix("set-permissions", "no_such_parameter=1")
    assert code == 1 and err.startswith(f"{TAG}: fatal: usage: postfix set-permissions "), err


@needs_root
def test_check_reports_group_writable_config_and_damaged_messages(stopped):
    assert stopped.postfix("check") == (0, "")
    os.chmod(os.path.join(stopped.etc, "main.cf"), 0o664)
    damaged = os.path.join(stopped.spool, "corrupt", "4Xy7Z1abcd")
    with open(damaged, "w") as f:
        f.write("junk")
    os.chown(damaged, pwd.getpwnam("postfix").pw_uid, -1)
    os.symlink("/etc/passwd", os.path.join(stopped.etc, "link"))
    code, err = stopped.postfix("check")
    assert code == 0
    assert set(warnings(err)) == {
        f"group or other writable: {stopped.etc}/./main.cf",
        f"symlink leaves directory: {stopped.etc}/./link",
        "damaged message: corrupt/4Xy7Z1abcd",
    }, err


def test_check_refuses_a_broken_master_cf(stopped):
    with open(os.path.join(stopped.etc, "master.cf"), "a") as f:
        f.write("smtp inet n -\n")
    code, err = stopped.postfix("check")
    assert code == 1
    assert re.fullmatch(re.escape(f"{TAG}: fatal: {stopped.etc}/master.cf: line 2: ") + r".*\n", err)


@needs_root
def test_start_refuses_a_broken_master_cf(stopped):
    os.remove(os.path.join(stopped.etc, "master.cf"))
    code, err = stopped.postfix("start")
    assert code == 1
    assert err.splitlines() == [
        f"{TAG}: fatal: no {stopped.etc}/master.cf file found",
        f"{TAG}: fatal: Postfix integrity check failed!",
    ]


def owner_error(inst, setting):
    inst.postconf("-e", setting)
    return inst.postfix("check")


@needs_root
@pytest.mark.parametrize("setting,message", [
    ("mail_owner = root", "parameter mail_owner: user root has privileged user ID"),
    ("mail_owner = tern-no-such-user", "parameter mail_owner: unknown user name value: "
                                       "tern-no-such-user"),
    ("setgid_group = tern-no-such-group", "parameter setgid_group: unknown group name: "
                                          "tern-no-such-group"),
    ("setgid_group = root", "parameter setgid_group: group root has privileged group ID"),
    ("mail_owner = nobody", "parameters default_privs and mail_owner specify the same user nobody"),
])
def test_unsafe_or_missing_accounts_are_refused(stopped, setting, message):
    code, err = owner_error(stopped, setting)
    assert code == 1
    assert err == f"postfix: fatal: file {stopped.etc}/main.cf: {message}\n"


@needs_root
@needs_debian
@pytest.mark.parametrize("setting", ["mail_owner = tern-no-such-user", "setgid_group = postfix"])
def test_account_errors_match_debian_postfix(stopped, setting):
    code, err = owner_error(stopped, setting)
    assert (code, err) == run_tty([DEBIAN_POSTFIX, "-c", stopped.etc, "check"])


@needs_root
def test_mail_owner_sharing_setgid_group_is_refused(stopped):
    gid = pwd.getpwnam("postfix").pw_gid
    code, err = owner_error(stopped, f"setgid_group = {grp.getgrgid(gid).gr_name}")
    assert code == 1
    assert err.endswith(f"parameters mail_owner and setgid_group: user postfix and group "
                        f"{grp.getgrgid(gid).gr_name} have the same group ID: {gid}\n")


@needs_root
def test_other_users_are_refused(stopped):
    code, err = run_tty(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                         POSTFIX, "-c", stopped.etc, "status"])
    assert code == 1
    assert err == ("postfix: error: to submit mail, use the Postfix sendmail command\n"
                   "postfix: fatal: the postfix command is reserved for the superuser\n")


@needs_root
def test_personal_instance_runs_as_its_user(stopped):
    """mail_owner = the user running the command: allowed, and everything it
    creates belongs to that user (with that user's group as setgid_group)."""
    nobody = pwd.getpwnam("nobody")
    group = grp.getgrgid(nobody.pw_gid).gr_name
    stopped.postconf("-e", "mail_owner = nobody", f"setgid_group = {group}")
    for path in (stopped.top, stopped.etc, stopped.spool, stopped.logfile, os.path.join(stopped.spool, "public"),
                 *(os.path.join(stopped.etc, name) for name in os.listdir(stopped.etc))):
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    for name in ("postdrop", "postqueue"):
        path = os.path.join(stopped.command_dir, name)
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
        os.chmod(path, 0o2555)
    as_nobody = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                 "--clear-groups", POSTFIX, "-c", stopped.etc]
    assert run_tty(as_nobody + ["check"]) == (0, "")
    for path in [os.path.join(stopped.spool, name) for name in QUEUE_DIRS] + [stopped.data]:
        st = os.stat(path)
        assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid), path
    assert run_tty(as_nobody + ["status"]) == (1, tagged("the Postfix mail system is not running"))
    # The same configuration is refused to root: root's instance separates privileges.
    code, err = stopped.postfix("check")
    assert code == 1 and "parameters default_privs and mail_owner specify the same user" in err


# ---------------------------------------------------------------- other commands

def test_usage_errors(stopped):
    assert run_tty([POSTFIX, "-c", stopped.etc]) == (
        1, "postfix: fatal: usage: postfix [-c config_dir] [-Dv] command\n")
    assert run_tty([POSTFIX, "-c", "etc", "status"]) == (
        1, "postfix: fatal: -c requires absolute pathname\n")
    code, err = stopped.postfix("bogus")
    assert code == 1
    assert err == tagged("fatal: unknown command: 'bogus'. Usage: postfix start (or stop, reload, "
                         "abort, flush, check, status, set-permissions, upgrade-configuration, "
                         "logrotate)")
    assert stopped.postfix("logrotate", "now") == (
        1, tagged("fatal: usage postfix logrotate (no arguments)"))


@needs_root
@needs_debian
@pytest.mark.parametrize("args", [["status"], ["reload"], ["logrotate", "x"]])
def test_messages_match_debian_postfix(stopped, args):
    """The same command on a twin configuration that uses Debian's programs."""
    twin = Instance(daemon_dir=DEBIAN_DAEMON_DIR, command_dir="/usr/sbin")
    try:
        subprocess.run([POSTCONF, "-c", twin.etc, "-e", "meta_directory = /etc/postfix",
                        "sendmail_path = /usr/sbin/sendmail", "mailq_path = /usr/bin/mailq",
                        "newaliases_path = /usr/bin/newaliases"], check=True, timeout=WAIT)
        assert stopped.postfix(*args) == run_tty([DEBIAN_POSTFIX, "-c", twin.etc, *args])
    finally:
        twin.cleanup()


def test_unsupported_commands_say_so(stopped):
    for command in ("upgrade-configuration", "post-install", "tls"):
        code, err = stopped.postfix(command)
        assert code == 1
        assert err.startswith(f"{TAG}: fatal: '{command}' is not supported"), err


def test_flush_runs_postqueue(stopped):
    postqueue = os.path.join(stopped.command_dir, "postqueue")
    with open(postqueue, "w") as f:
        f.write(f"#!/bin/sh\necho \"$@\" > {stopped.top}/flushed; pwd >> {stopped.top}/flushed\n")
    assert stopped.postfix("flush") == (0, "")
    with open(os.path.join(stopped.top, "flushed")) as f:
        assert f.read() == f"-f\n{stopped.spool}\n"
    os.remove(postqueue)
    code, err = stopped.postfix("flush")
    assert code == 1
    assert err == tagged(f"fatal: cannot execute {postqueue}: No such file or directory")


def test_logrotate_renames_and_compresses_the_log(stopped):
    stopped.postconf("-e", "maillog_file_rotate_suffix = %Y%m%d-rotated")
    with open(stopped.logfile, "w") as f:
        f.write("line one\nline two\n")
    assert stopped.postfix("logrotate") == (0, "")
    rotated = stopped.logfile + time.strftime(".%Y%m%d-rotated") + ".gz"
    with gzip.open(rotated, "rt") as f:
        assert f.read() == "line one\nline two\n"
    assert not os.path.exists(stopped.logfile)
    code, err = stopped.postfix("logrotate")
    assert code == 1
    assert err.startswith(tagged(f"fatal: logfile '{stopped.logfile}' rotation failed: ")[:-1]), err


def test_logrotate_refusals(stopped):
    stopped.postconf("-e", "maillog_file_compressor =")
    assert stopped.postfix("logrotate") == (1, tagged(
        "fatal: empty 'maillog_file_compressor' parameter value - logfile rotation failed"))
    stopped.postconf("-e", "maillog_file_compressor = gzip", "maillog_file = /dev/stdout")
    assert stopped.postfix("logrotate") == (1, "postfix: fatal: maillog_file value '/dev/stdout' "
                                            "does not match any prefix in maillog_file_prefixes\n")
    stopped.postconf("-e", f"maillog_file_prefixes = {stopped.top}, /dev/stdout")
    assert stopped.postfix("logrotate") == (1, tagged("fatal: not rotating '/dev/stdout'"))
