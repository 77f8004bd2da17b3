"""local(8): Tern's local delivery agent, driven by tern-test-deliver (which
plays qmgr for one deliver_v1 request) against queue files written by
tern-test-qfile. Covers mbox (From_ line, >From quoting, Return-Path,
X-Original-To, Delivered-To, blank line), locking interop (fcntl, dotlock,
bsd-mailx), truncation on failure, mailbox_size_limit, Maildir, aliases
(owner-, recursion, duplicates, loops), .forward, :include:, commands and
files with their restrictions and rights, mailbox_command's environment,
extensions, luser_relay, Delivered-To loop detection, unknown users and
Postfix's exact log and DSN wording. Runs as root; creates users
tern-l1 and tern-l2 for the module and removes them afterwards.
"""
import fcntl
import grp
import mailbox
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time

import pytest

BUILD = os.environ.get("TERN_BUILD", "build")
BIN = os.path.join(BUILD, "bin")
TBIN = os.path.join(BUILD, "tests", "bin")
USERS = ("tern-l1", "tern-l2")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="local(8) tests need root")


@pytest.fixture(scope="module")
def users():
    made = []
    for name in USERS:
        subprocess.run(["userdel", "-r", name], capture_output=True)
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True)
        made.append(name)
    try:
        yield {name: pwd.getpwnam(name) for name in made}
    finally:
        for name in made:
            subprocess.run(["userdel", "-r", name], capture_output=True)


class Local:
    """A configuration, a queue directory and a spool for one test."""

    def __init__(self, users):
        self.users = users
        self.top = tempfile.mkdtemp(prefix="tern-local-")
        os.chmod(self.top, 0o755)
        self.conf = os.path.join(self.top, "conf")
        self.queue = os.path.join(self.top, "queue")
        self.spool = os.path.join(self.top, "spool")
        os.makedirs(self.conf)
        os.makedirs(os.path.join(self.queue, "active"))
        os.makedirs(self.spool)
        # Debian's /var/mail: root:mail 2775, not writable by the users.
        os.chown(self.spool, 0, grp.getgrnam("mail").gr_gid)
        os.chmod(self.spool, 0o2775)
        self.aliases = os.path.join(self.conf, "aliases")
        self.deliver_opts = []
        self.settings = {}
        self.set(queue_directory=self.queue, mail_spool_directory=self.spool,
                 myhostname="host.example", mydomain="example", myorigin="host.example",
                 mydestination="host.example, localhost",
                 alias_maps="hash:" + self.aliases, alias_database="hash:" + self.aliases,
                 deliver_lock_delay="1s", deliver_lock_attempts="20")
        self.write_aliases("postmaster: root\n")

    def set(self, **params):
        self.settings.update(params)
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            for k, v in self.settings.items():
                f.write("%s = %s\n" % (k, v))

    def write_aliases(self, text):
        with open(self.aliases, "w") as f:
            f.write(text)
        env = dict(os.environ, MAIL_CONFIG=self.conf)
        subprocess.run([os.path.join(BIN, "postalias"), self.aliases], env=env, check=True,
                       capture_output=True)

    def qfile(self, rcpts, body="Subject: test\n\nhello\n", sender="sender@remote.example",
              extra=()):
        args = [os.path.join(TBIN, "tern-test-qfile"), "-C", self.queue, "-q", "active",
                "-s", sender]
        for r in rcpts:
            args += ["-r", r]
        args += list(extra)
        out = subprocess.run(args, input=body.encode(), capture_output=True, check=True,
                             env=dict(os.environ, MAIL_CONFIG=self.conf))
        return out.stdout.decode().strip()

    def deliver_start(self, qid, *rcpt):
        args = [os.path.join(TBIN, "tern-test-deliver"), "-C", self.queue, "-n", "host.example"]
        args += self.deliver_opts
        for r in rcpt:
            args += ["-r", r]
        args += ["-S", qid, os.path.abspath(os.path.join(BIN, "local")), "-S"]
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, MAIL_CONFIG=self.conf))

    def deliver(self, qid, *rcpt, timeout=30):
        proc = self.deliver_start(qid, *rcpt)
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        return Result(out.decode(), err.decode(), proc.returncode)

    def send(self, rcpts, *, body="Subject: test\n\nhello\n", sender="sender@remote.example",
             extra=()):
        return self.deliver(self.qfile(rcpts, body, sender, extra))

    def mbox(self, user):
        return os.path.join(self.spool, user)

    def shared_dir(self, name):
        """A new directory TOP/NAME that every user may write; its path."""
        path = os.path.join(self.top, name)
        os.makedirs(path)
        os.chmod(path, 0o777)
        return path

    def messages(self, user):
        path = self.mbox(user)
        if not os.path.exists(path):
            return []
        return list(mailbox.mbox(path))

    def cleanup(self):
        shutil.rmtree(self.top, ignore_errors=True)


class Result:
    def __init__(self, out, err, rc):
        self.out, self.log, self.rc = out, err, rc
        self.results = {}
        for line in out.splitlines():
            m = re.match(r"(\S+): status=(\d+) dsn=(\S+) action=(\S+) relay=(\S+) reason=(.*)",
                         line)
            if m:
                self.results[m.group(1)] = dict(status=int(m.group(2)), dsn=m.group(3),
                                                action=m.group(4), relay=m.group(5),
                                                reason=m.group(6))

    def one(self):
        assert self.rc == 0, self.out + self.log
        assert len(self.results) == 1, self.out
        return next(iter(self.results.values()))

    def lines(self):
        return [l for l in self.log.splitlines() if ": to=<" in l]


@pytest.fixture
def lc(users):
    inst = Local(users)
    try:
        yield inst
    finally:
        inst.cleanup()
        for user in USERS:
            home = pwd.getpwnam(user).pw_dir
            for name in os.listdir(home):
                if name.startswith(".forward") or name in ("Maildir", "mbox", "out"):
                    path = os.path.join(home, name)
                    shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)


LOG_RE = re.compile(r"local(?:\[\d+\])?: (\w+): to=<([^>]*)>(?:, orig_to=<([^>]*)>)?, "
                    r"relay=(\S+), delay=[\d.]+, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, "
                    r"dsn=(\d\.\d+\.\d+), status=(\w+) \((.*)\)$")


def parse_log(result):
    found = []
    for line in result.lines():
        m = LOG_RE.search(line)
        assert m, line
        found.append(m.groups())
    return found


# ---------------------------------------------------------------- mbox


def test_mbox_format_and_log_line(lc):
    body = "Subject: hi\n\nFrom the start\n>From kept\nFrom\nlast line\n"
    qid = lc.qfile(["tern-l1@host.example|tern-l1"], body=body)
    res = lc.deliver(qid)
    r = res.one()
    assert (r["status"], r["dsn"], r["action"], r["reason"]) == \
        (0, "2.0.0", "delivered", "delivered to mailbox")
    assert parse_log(res) == [(qid, "tern-l1@host.example", "tern-l1", "local", "2.0.0", "sent",
                               "delivered to mailbox")]
    data = open(lc.mbox("tern-l1"), "rb").read().decode()
    lines = data.split("\n")
    assert re.match(r"From sender@remote\.example  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$",
                    lines[0])
    assert lines[1:5] == ["Return-Path: <sender@remote.example>", "X-Original-To: tern-l1",
                          "Delivered-To: tern-l1@host.example", "Subject: hi"]
    assert ">From the start" in lines and ">>From kept" not in data and ">From kept" in lines
    assert "From" in lines  # "From" without the space is not quoted
    assert data.endswith("last line\n\n")
    st = os.stat(lc.mbox("tern-l1"))
    assert (st.st_uid, st.st_mode & 0o777) == (lc.users["tern-l1"].pw_uid, 0o600)
    msgs = lc.messages("tern-l1")
    assert len(msgs) == 1 and msgs[0]["Subject"] == "hi"
    assert not os.path.exists(lc.mbox("tern-l1") + ".lock")


def test_mbox_appends_and_null_sender(lc):
    lc.send(["tern-l1@host.example"]).one()
    res = lc.send(["tern-l1@host.example"], sender="")
    assert res.one()["status"] == 0
    msgs = lc.messages("tern-l1")
    assert len(msgs) == 2
    assert msgs[1].get_from().startswith("MAILER-DAEMON ")
    assert msgs[1]["Return-Path"] == "<>"


def test_unknown_user_bounces_with_postfix_wording(lc):
    lc.set(recipient_delimiter="+")
    res = lc.send(["nosuch+ext@host.example"], body="x\n")
    r = res.one()
    assert (r["status"], r["dsn"], r["action"], r["reason"]) == \
        (2, "5.1.1", "failed", 'unknown user: "nosuch"')
    assert parse_log(res)[0][5:] == ("bounced", 'unknown user: "nosuch"')


def test_unwritable_mailbox_bounces(lc):
    path = lc.mbox("tern-l1")
    open(path, "w").close()
    os.chown(path, lc.users["tern-l1"].pw_uid, 0)
    os.chmod(path, 0o400)
    r = lc.send(["tern-l1@host.example"]).one()
    assert r["status"] == 2 and r["dsn"] == "5.2.0"
    assert r["reason"] == ("cannot update mailbox %s for user tern-l1. cannot open file: "
                           "Permission denied" % path)


def test_mailbox_not_owned_by_recipient_defers(lc):
    path = lc.mbox("tern-l1")
    with open(path, "w") as f:
        f.write("")
    os.chmod(path, 0o666)
    res = lc.send(["tern-l1@host.example"])
    r = res.one()
    assert (r["status"], r["dsn"]) == (1, "4.2.0")
    assert r["reason"].endswith("destination %s is not owned by recipient" % path)
    assert "strict_mailbox_ownership = no" in res.log
    assert os.path.getsize(path) == 0


def test_mailbox_symlink_refused(lc):
    target = os.path.join(lc.top, "target")
    open(target, "w").close()
    os.symlink(target, lc.mbox("tern-l1"))
    r = lc.send(["tern-l1@host.example"]).one()
    assert r["status"] == 2 and "file is a symbolic link" in r["reason"]
    assert os.path.getsize(target) == 0


def test_size_limit_truncates_back(lc):
    lc.set(mailbox_size_limit="3000", message_size_limit="2000")
    lc.send(["tern-l1@host.example"]).one()
    before = os.path.getsize(lc.mbox("tern-l1"))
    big = "Subject: big\n\n" + ("x" * 70 + "\n") * 60
    r = lc.send(["tern-l1@host.example"], body=big).one()
    assert (r["status"], r["dsn"]) == (2, "5.2.2")
    assert r["reason"] == ("cannot update mailbox %s for user tern-l1. error writing message: "
                           "File too large" % lc.mbox("tern-l1"))
    assert os.path.getsize(lc.mbox("tern-l1")) == before
    assert len(lc.messages("tern-l1")) == 1


def test_world_writable_spool_delivers_as_user(lc):
    os.chmod(lc.spool, 0o1777)
    lc.send(["tern-l2@host.example"]).one()
    st = os.stat(lc.mbox("tern-l2"))
    assert st.st_uid == lc.users["tern-l2"].pw_uid


# ---------------------------------------------------------------- locking


def _wait_blocked(proc, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert proc.poll() is None, "local did not wait for the lock"
        time.sleep(0.05)


def test_waits_for_fcntl_lock(lc):
    lc.send(["tern-l1@host.example"]).one()
    size = os.path.getsize(lc.mbox("tern-l1"))
    qid = lc.qfile(["tern-l1@host.example"])
    with open(lc.mbox("tern-l1"), "r+") as f:
        fcntl.lockf(f, fcntl.LOCK_EX)
        proc = lc.deliver_start(qid)
        try:
            _wait_blocked(proc, 1.5)
            assert os.path.getsize(lc.mbox("tern-l1")) == size
        finally:
            fcntl.lockf(f, fcntl.LOCK_UN)
    out, err = proc.communicate(timeout=20)
    assert "reason=delivered to mailbox" in out.decode(), out.decode() + err.decode()
    assert len(lc.messages("tern-l1")) == 2


def test_waits_for_dotlock(lc):
    lock = lc.mbox("tern-l1") + ".lock"
    open(lock, "w").close()
    proc = lc.deliver_start(lc.qfile(["tern-l1@host.example"]))
    try:
        _wait_blocked(proc, 1.5)
        assert not os.path.exists(lc.mbox("tern-l1"))
    finally:
        os.unlink(lock)
    out, err = proc.communicate(timeout=20)
    assert "reason=delivered to mailbox" in out.decode(), err.decode()
    assert len(lc.messages("tern-l1")) == 1 and not os.path.exists(lock)


def test_lock_held_too_long_defers(lc):
    lc.set(deliver_lock_attempts="2")
    lock = lc.mbox("tern-l1") + ".lock"
    open(lock, "w").close()
    r = lc.send(["tern-l1@host.example"]).one()
    assert (r["status"], r["dsn"]) == (1, "4.2.0")
    assert "unable to create lock file %s: File exists" % lock in r["reason"]
    assert os.path.exists(lock)  # someone else's lock is left alone


@pytest.mark.skipif(shutil.which("mail") is None, reason="bsd-mailx not installed")
def test_mailx_reads_the_mailbox(lc):
    lc.send(["tern-l1@host.example"], body="Subject: for mailx\n\nFrom line one\n").one()
    lc.send(["tern-l1@host.example"], body="Subject: second\n\nline two\n").one()
    out = subprocess.run(["mail", "-f", lc.mbox("tern-l1")], capture_output=True,
                         timeout=10, input=b"p 1\nx\n").stdout.decode()
    assert "2 messages" in out and "for mailx" in out and "second" in out
    assert "\n>From line one\n" in out


# ---------------------------------------------------------------- maildir


def test_home_maildir(lc):
    lc.set(home_mailbox="Maildir/")
    res = lc.send(["tern-l2@host.example|orig@host.example"])
    r = res.one()
    assert (r["status"], r["reason"]) == (0, "delivered to maildir")
    md = os.path.join(lc.users["tern-l2"].pw_dir, "Maildir")
    new = os.listdir(os.path.join(md, "new"))
    assert len(new) == 1 and os.listdir(os.path.join(md, "tmp")) == []
    assert re.match(r"\d+\.V[0-9a-f]+I[0-9a-f]+M\d+\.", new[0])
    st = os.stat(os.path.join(md, "new", new[0]))
    assert st.st_uid == lc.users["tern-l2"].pw_uid
    assert os.stat(md).st_mode & 0o777 == 0o700
    msgs = list(mailbox.Maildir(md, create=False))
    assert len(msgs) == 1
    text = open(os.path.join(md, "new", new[0])).read()
    assert text.startswith("Return-Path: <sender@remote.example>\nX-Original-To: "
                           "orig@host.example\nDelivered-To: tern-l2@host.example\n")
    assert not text.endswith("\n\n")


def test_home_mbox_file(lc):
    lc.set(home_mailbox="mbox")
    lc.send(["tern-l2@host.example"]).one()
    path = os.path.join(lc.users["tern-l2"].pw_dir, "mbox")
    assert len(list(mailbox.mbox(path))) == 1


# ---------------------------------------------------------------- aliases


def test_alias_to_users_logs_each_leaf(lc):
    lc.write_aliases("team: tern-l1, tern-l2\n")
    res = lc.send(["team@host.example|team@host.example"])
    r = res.one()
    assert r["status"] == 0
    logs = parse_log(res)
    assert sorted((l[1], l[2], l[6]) for l in logs) == [
        ("tern-l1@host.example", "team@host.example", "delivered to mailbox"),
        ("tern-l2@host.example", "team@host.example", "delivered to mailbox")]
    for u in USERS:
        msgs = lc.messages(u)
        assert len(msgs) == 1
        assert msgs[0]["Delivered-To"] == "team@host.example"
        assert msgs[0]["X-Original-To"] == "team@host.example"


def test_alias_duplicates_and_self_reference(lc):
    lc.write_aliases("tern-l1: tern-l1, tern-l2, tern-l2@host.example\nboth: tern-l1, tern-l1\n")
    lc.send(["tern-l1@host.example"]).one()
    assert len(lc.messages("tern-l1")) == 1
    assert len(lc.messages("tern-l2")) == 1
    lc.send(["both@host.example"]).one()
    assert len(lc.messages("tern-l1")) == 2


def test_alias_chain_and_extension(lc):
    lc.set(recipient_delimiter="+")
    lc.write_aliases("a: b\nb: tern-l1\nspecial+x: tern-l2\n")
    res = lc.send(["a+foo@host.example"])
    assert res.one()["status"] == 0
    assert len(lc.messages("tern-l1")) == 1
    lc.send(["special+x@host.example"]).one()
    assert len(lc.messages("tern-l2")) == 1


def test_alias_loop_is_a_clear_bounce(lc):
    lc.write_aliases("loopa: loopb\nloopb: loopa\n")
    res = lc.send(["loopa@host.example"])
    r = res.one()
    # Postfix's words, for the name at which the nesting limit is passed
    assert (r["status"], r["dsn"], r["reason"]) == (2, "5.4.6", "alias database loop for loopb")
    assert "warning: alias database loop for loopb" in res.log
    assert parse_log(res)[0][1] == "loopb@host.example"


def test_alias_command_and_file_rights(lc):
    out = lc.shared_dir("out")
    lc.write_aliases('cmd: "|/bin/sh -c \'id -u > %s/uid; cat > %s/msg; env > %s/env\'"\n'
                     'file: %s/file\n' % (out, out, out, out))
    lc.set(recipient_delimiter="+")
    res = lc.send(["cmd+X@host.example|cmd+X"])
    r = res.one()
    assert r["status"] == 0
    assert r["reason"].startswith("delivered to command: /bin/sh -c")
    nobody = pwd.getpwnam("nobody").pw_uid
    assert open(os.path.join(out, "uid")).read().strip() == str(nobody)
    msg = open(os.path.join(out, "msg")).read()
    assert msg.startswith("From sender@remote.example  ")
    assert "\nDelivered-To: cmd+x@host.example\n" in msg
    env = dict(l.split("=", 1) for l in open(os.path.join(out, "env")).read().splitlines())
    # what Postfix gives an alias's command: the bare name, no HOME or SHELL
    assert (env["USER"], env["LOGNAME"], env["LOCAL"], env["EXTENSION"]) == \
        ("cmd", "cmd", "cmd+x", "x")
    assert env["RECIPIENT"] == "cmd+X@host.example" and env["ORIGINAL_RECIPIENT"] == "cmd+X"
    assert "HOME" not in env and "SHELL" not in env
    r = lc.send(["file@host.example"]).one()
    assert r["reason"] == "delivered to file: %s/file" % out
    st = os.stat(os.path.join(out, "file"))
    assert st.st_uid == nobody
    assert len(list(mailbox.mbox(os.path.join(out, "file")))) == 1


def test_commands_and_files_restricted(lc):
    lc.set(allow_mail_to_commands="forward", allow_mail_to_files="forward")
    lc.write_aliases('c: "|/bin/true"\nf: /tmp/never-written\n')
    r = lc.send(["c@host.example"]).one()
    assert (r["status"], r["dsn"], r["reason"]) == (2, "5.7.1", "mail to command is restricted")
    r = lc.send(["f@host.example"]).one()
    assert (r["status"], r["dsn"], r["reason"]) == (2, "5.7.1", "mail to file is restricted")


def test_include_file(lc):
    inc = os.path.join(lc.top, "members")
    with open(inc, "w") as f:
        f.write("# members\ntern-l1\n\ntern-l2, \"|/bin/true\"\n")
    lc.write_aliases("members: :include:%s\n" % inc)
    res = lc.send(["members@host.example"])
    r = res.one()
    # the users of an :include: file are forwarded as a new message (as in
    # Postfix); no cleanup service in this stand-alone setup: deferred
    assert (r["status"], r["dsn"]) == (1, "4.3.0") and r["reason"].startswith("cannot forward")
    assert lc.messages("tern-l1") == [] and lc.messages("tern-l2") == []
    # commands are not allowed in :include: files by default
    assert [l for l in res.lines() if "status=bounced (mail to command is restricted)" in l]


def test_alias_to_remote_address_is_forwarded(lc):
    # no cleanup service in this stand-alone setup: the forward is deferred
    lc.write_aliases("away: someone@remote.example\n")
    res = lc.send(["away@host.example"])
    r = res.one()
    assert (r["status"], r["dsn"]) == (1, "4.3.0")
    assert r["reason"].startswith("cannot forward: ")
    # as in Postfix, the log names the alias that forwarded
    assert parse_log(res)[0][1] == "away@host.example"


# ---------------------------------------------------------------- .forward


def write_forward(lc, user, text, name=".forward", mode=0o644):
    pw = lc.users[user]
    path = os.path.join(pw.pw_dir, name)
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, mode)
    return path


def test_dotforward_to_user_and_self(lc):
    write_forward(lc, "tern-l1", "tern-l2, \\tern-l1\n")
    res = lc.send(["tern-l1@host.example"])
    r = res.one()
    # \tern-l1 is delivered here; tern-l2 is forwarded as a new message (as
    # in Postfix), deferred without a cleanup service
    assert (r["status"], r["dsn"]) == (1, "4.3.0") and r["reason"].startswith("cannot forward")
    assert len(lc.messages("tern-l1")) == 1 and lc.messages("tern-l2") == []


def test_dotforward_command_runs_as_user_with_environment(lc):
    out = os.path.join(lc.users["tern-l1"].pw_dir, "out")
    write_forward(lc, "tern-l1", '"|env > %s"\n' % out)
    lc.set(recipient_delimiter="+")
    res = lc.send(["tern-l1+Box@host.example|orig@host.example"])
    r = res.one()
    assert (r["status"], r["reason"]) == (0, "delivered to command: env > %s" % out)
    env = dict(l.split("=", 1) for l in open(out).read().splitlines())
    assert env["USER"] == env["LOGNAME"] == "tern-l1"
    assert env["HOME"] == lc.users["tern-l1"].pw_dir and env["SHELL"] == "/bin/sh"
    assert env["EXTENSION"] == "box" and env["LOCAL"] == "tern-l1+box"
    assert env["DOMAIN"] == "host.example"
    assert env["RECIPIENT"] == "tern-l1+Box@host.example"
    assert env["ORIGINAL_RECIPIENT"] == "orig@host.example"
    assert env["SENDER"] == "sender@remote.example"
    assert env["PATH"] == "/usr/bin:/bin"
    assert os.stat(out).st_uid == lc.users["tern-l1"].pw_uid


def test_dotforward_with_extension_preferred(lc):
    lc.set(recipient_delimiter="+")
    write_forward(lc, "tern-l1", "tern-l2\n", name=".forward+lists")
    r = lc.send(["tern-l1+lists@host.example"]).one()
    assert r["reason"].startswith("cannot forward")  # to tern-l2, without a cleanup service
    assert lc.messages("tern-l1") == []
    lc.send(["tern-l1@host.example"]).one()
    assert len(lc.messages("tern-l1")) == 1


def test_unsafe_dotforward_ignored(lc):
    write_forward(lc, "tern-l1", "tern-l2\n", mode=0o666)
    res = lc.send(["tern-l1@host.example"])
    assert res.one()["reason"] == "delivered to mailbox"
    assert "is group or world writable" in res.log
    assert lc.messages("tern-l2") == []


def test_empty_dotforward_means_mailbox(lc):
    write_forward(lc, "tern-l1", "# nothing\n")
    lc.send(["tern-l1@host.example"]).one()
    assert len(lc.messages("tern-l1")) == 1


# ---------------------------------------------------------------- commands


@pytest.mark.parametrize("script,status,dsn,reason", [
    ("exit 75", 1, "4.3.0", "temporary failure"),
    ("exit 67", 2, "5.1.1", "user unknown"),
    ("echo oops; exit 1", 2, "5.3.0", 'Command died with status 1: "/bin/sh -c \'echo oops; '
     'exit 1\'". Command output: oops '),
    ("echo 4.7.1 try later; exit 1", 1, "4.7.1", "try later "),
])
def test_mailbox_command_status(lc, script, status, dsn, reason):
    lc.set(mailbox_command="/bin/sh -c '%s'" % script)
    r = lc.send(["tern-l1@host.example"]).one()
    assert (r["status"], r["dsn"], r["reason"]) == (status, dsn, reason)


def test_mailbox_command_time_limit(lc):
    lc.set(mailbox_command="/bin/sleep 30", command_time_limit="1s")
    t0 = time.time()
    r = lc.send(["tern-l1@host.example"]).one()
    assert time.time() - t0 < 10
    assert (r["status"], r["reason"]) == (2, 'Command time limit exceeded: "/bin/sleep 30"')


def test_mailbox_command_expansion_and_root_privs(lc):
    out = lc.shared_dir("cmdout")
    # not $name-expanded (as Postfix): the shell expands $USER
    lc.set(mailbox_command="/bin/sh -c 'id -u > %s/$USER'" % out)
    r = lc.send(["tern-l2@host.example"]).one()
    assert r["reason"] == "delivered to command: /bin/sh -c 'id -u > %s/$USER'" % out
    assert open(os.path.join(out, "tern-l2")).read().strip() == \
        str(lc.users["tern-l2"].pw_uid)
    lc.send(["root@host.example"]).one()
    assert open(os.path.join(out, "root")).read().strip() == str(pwd.getpwnam("nobody").pw_uid)


# ---------------------------------------------------------------- misc


def test_delivered_to_loop(lc):
    body = "Delivered-To: Tern-L1@host.example\nSubject: loop\n\nx\n"
    res = lc.send(["tern-l1@host.example"], body=body)
    r = res.one()
    assert (r["status"], r["dsn"], r["reason"]) == \
        (2, "5.4.6", "mail forwarding loop for tern-l1@host.example")
    assert lc.messages("tern-l1") == []


def test_luser_relay(lc):
    lc.set(luser_relay="tern-l2+$local", recipient_delimiter="+")
    res = lc.send(["stranger@host.example"])
    assert res.one()["status"] == 0
    assert len(lc.messages("tern-l2")) == 1
    assert parse_log(res)[0][1] == "tern-l2+stranger@host.example"


def test_several_recipients_in_one_request(lc):
    res = lc.send(["tern-l1@host.example", "nobody-here@host.example", "tern-l2@host.example"])
    assert res.rc == 0
    assert [r["status"] for r in res.results.values()] == [0, 2, 0]
    assert len(res.lines()) == 3


def test_missing_queue_file_defers(lc):
    qid = lc.qfile(["tern-l1@host.example", "tern-l2@host.example"])
    lc.deliver_opts = ["-D"]
    res = lc.deliver(qid)
    assert res.rc == 0, res.out + res.log
    assert [r["status"] for r in res.results.values()] == [1, 1]
    r = res.results["tern-l1@host.example"]
    assert r["dsn"] == "4.3.0" and r["reason"].startswith("cannot open queue file: ")
    assert lc.messages("tern-l1") == []


def test_verify_mode_delivers_nothing(lc):
    lc.write_aliases("team: tern-l1, |/bin/false, someone@remote.example\n")
    lc.set(allow_mail_to_commands="alias")
    qid = lc.qfile(["team@host.example", "nosuch@host.example"])
    lc.deliver_opts = ["-F", "1"]
    res = lc.deliver(qid)
    assert [r["status"] for r in res.results.values()] == [0, 2], res.out
    logs = parse_log(res)
    assert sorted(l[5] for l in logs) == ["deliverable"] * 3 + ["undeliverable"]
    assert ("team@host.example", "deliverable", "delivers to command: /bin/false") in \
        [(l[1], l[5], l[6]) for l in logs]
    assert ("someone@remote.example", "deliverable", "forwards to someone@remote.example") in \
        [(l[1], l[5], l[6]) for l in logs]
    assert ("tern-l1@host.example", "deliverable", "delivers to mailbox") in \
        [(l[1], l[5], l[6]) for l in logs]
    assert lc.messages("tern-l1") == []


@pytest.fixture
def small_fs(lc):
    mnt = os.path.join(lc.top, "small")
    os.mkdir(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=1777", "tmpfs", mnt],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], capture_output=True)


def test_full_disk_defers_and_truncates(lc, small_fs):
    lc.set(mail_spool_directory=small_fs)
    lc.send(["tern-l1@host.example"]).one()
    box = os.path.join(small_fs, "tern-l1")
    size = os.path.getsize(box)
    fd = os.open(os.path.join(small_fs, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"x" * 1024) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    big = "Subject: big\n\n" + ("y" * 70 + "\n") * 300
    r = lc.send(["tern-l1@host.example"], body=big).one()
    assert (r["status"], r["dsn"]) == (1, "4.3.0")
    assert r["reason"] == ("cannot update mailbox %s for user tern-l1. error writing message: "
                           "No space left on device" % box)
    assert os.path.getsize(box) == size
    assert len(list(mailbox.mbox(box))) == 1


def test_mailbox_command_maps_per_user(lc):
    out = lc.shared_dir("maps")
    table = os.path.join(lc.conf, "commands")
    with open(table, "w") as f:
        f.write("tern-l2 /bin/sh -c 'cat > %s/l2'\n" % out)
    lc.set(mailbox_command_maps="texthash:" + table)
    lc.send(["tern-l1@host.example"]).one()
    r = lc.send(["tern-l2@host.example"]).one()
    assert r["reason"] == "delivered to command: /bin/sh -c 'cat > %s/l2'" % out
    assert len(lc.messages("tern-l1")) == 1 and lc.messages("tern-l2") == []
    assert "\nSubject: test\n" in open(os.path.join(out, "l2")).read()


def test_failing_table_defers(lc):
    lc.set(mailbox_command_maps="hash:/nonexistent/table")
    r = lc.send(["tern-l1@host.example"]).one()
    assert (r["status"], r["dsn"], r["reason"]) == (1, "4.3.0", "table lookup failure")
    assert lc.messages("tern-l1") == []


def test_biff_notifies_comsat(lc):
    import socket
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", socket.getservbyname("biff", "udp")))
    except OSError:
        pytest.skip("biff port in use")
    sock.settimeout(5)
    try:
        lc.send(["tern-l1@host.example"]).one()
        size = os.path.getsize(lc.mbox("tern-l1"))
        assert sock.recv(100) == b"tern-l1@0\0"
        lc.send(["tern-l1@host.example"]).one()
        assert sock.recv(100) == b"tern-l1@%d\0" % size
        lc.set(biff="no")
        lc.send(["tern-l1@host.example"]).one()
        sock.settimeout(0.3)
        with pytest.raises(socket.timeout):
            sock.recv(100)
    finally:
        sock.close()


def test_stale_dotlock_is_broken(lc):
    lc.set(stale_lock_time="1s", deliver_lock_attempts="10")
    lock = lc.mbox("tern-l1") + ".lock"
    open(lock, "w").close()
    past = time.time() - 60
    os.utime(lock, (past, past))
    r = lc.send(["tern-l1@host.example"]).one()
    assert r["status"] == 0
    assert not os.path.exists(lock)


def test_include_file_destinations_use_owner_rights(lc, users):
    out = lc.shared_dir("incout")
    inc = os.path.join(lc.top, "list.inc")
    with open(inc, "w") as f:
        f.write("%s/archive\n" % out)
    os.chown(inc, users["tern-l2"].pw_uid, users["tern-l2"].pw_gid)
    lc.set(allow_mail_to_files="alias, forward, include")
    lc.write_aliases("arch: :include:%s\n" % inc)
    r = lc.send(["arch@host.example"]).one()
    assert r["reason"] == "delivered to file: %s/archive" % out
    assert os.stat(os.path.join(out, "archive")).st_uid == users["tern-l2"].pw_uid


def test_command_execution_directory(lc):
    out = os.path.join(lc.users["tern-l1"].pw_dir, "out")
    lc.set(command_execution_directory="$home", mailbox_command="/bin/sh -c 'pwd > out'")
    lc.send(["tern-l1@host.example"]).one()
    assert open(out).read().strip() == lc.users["tern-l1"].pw_dir
    lc.set(command_execution_directory="/nonexistent/dir")
    r = lc.send(["tern-l1@host.example"]).one()
    assert (r["status"], r["dsn"]) == (1, "4.3.0")


# ------------------------------------------- under a master: cleanup, transports

QUEUES = ["maildrop", "incoming", "active", "deferred", "hold", "corrupt", "bounce",
          "defer", "trace", "flush", "saved", "private"]


@pytest.fixture
def mastered(users):
    from tern_instance import TernInstance, wait_for
    top = tempfile.mkdtemp(prefix="tern-local-m-")
    os.chmod(top, 0o755)
    spools = [os.path.join(top, "spool"), os.path.join(top, "spool2")]
    for s in spools:
        os.mkdir(s)
        os.chmod(s, 0o1777)
    master_cf = ("rewrite unix - - n - - trivial-rewrite\n"
                 "cleanup unix n - n - 0 cleanup\n"
                 "local unix - n n - - local\n"
                 "local2 unix - n n - - local -o mail_spool_directory=%s -o mailbox_transport="
                 " -o fallback_transport= -o luser_relay=tern-l2 -o local_transport=local2\n"
                 % spools[1])
    inst = TernInstance(master_cf=master_cf, daemon_directory=os.path.abspath(BIN), main_cf={
        "myhostname": "host.example", "mydomain": "example", "myorigin": "host.example",
        "mydestination": "host.example, localhost", "mail_spool_directory": spools[0],
        "alias_maps": "hash:" + os.path.join(top, "aliases"),
        "alias_database": "hash:" + os.path.join(top, "aliases")})
    try:
        owner = pwd.getpwnam("postfix")
        for name in QUEUES:
            path = inst.path(name)
            if not os.path.isdir(path):
                os.mkdir(path, 0o700)
            os.chown(path, owner.pw_uid, owner.pw_gid)
        inst.top, inst.spools = top, spools

        def aliases(text):
            with open(os.path.join(top, "aliases"), "w") as f:
                f.write(text)
            subprocess.run([os.path.join(BIN, "postalias"), "-c", inst.conf_dir,
                            os.path.join(top, "aliases")], check=True, capture_output=True)
        inst.aliases = aliases
        aliases("postmaster: root\n")
        inst.start()
        assert wait_for(lambda: os.path.exists(inst.path("private", "local"))
                        and os.path.exists(inst.path("public", "cleanup")))
        yield inst
    finally:
        inst.cleanup()
        shutil.rmtree(top, ignore_errors=True)


def wait_for_new_local(inst):
    """After a reload: wait until no local process of the old generation is left."""
    from tern_instance import children_of, cmdline, wait_for
    master = inst.master_pid()
    assert wait_for(lambda: not [p for p in children_of(master) if " local" in
                                 " " + " ".join(cmdline(p) or [])], timeout=10)


def mastered_deliver(inst, rcpts, body="Subject: fw\n\nhello\n"):
    env = dict(os.environ, MAIL_CONFIG=inst.conf_dir)
    args = [os.path.join(TBIN, "tern-test-qfile"), "-C", inst.queue_dir, "-q", "active",
            "-s", "sender@remote.example"]
    for r in rcpts:
        args += ["-r", r]
    qid = subprocess.run(args, input=body.encode(), capture_output=True, check=True,
                         env=env).stdout.decode().strip()
    out = subprocess.run([os.path.join(TBIN, "tern-test-deliver"), "-C", inst.queue_dir,
                          "-n", "host.example", "-s", "local", qid], capture_output=True,
                         timeout=60, env=env)
    return qid, Result(out.stdout.decode(), out.stderr.decode(), out.returncode)


def test_forward_resubmits_through_cleanup(mastered):
    mastered.aliases("away: someone@remote.example, Other@Remote.Example, tern-l1\n")
    qid, res = mastered_deliver(mastered, ["away@host.example|away@host.example"])
    r = res.one()
    assert (r["status"], r["dsn"]) == (0, "2.0.0"), res.out
    lines = mastered.wait_log(r"local\[\d+\]: %s: to=<" % qid, count=2)
    # one new message for both addresses, logged once for the alias (as Postfix)
    fwd = [l for l in lines if "forwarded as" in l]
    assert len(fwd) == 1
    new_id = re.search(r"forwarded as (\w+)\)", fwd[0]).group(1)
    assert "to=<away@host.example>, relay=local" in fwd[0]
    assert "dsn=2.0.0, status=sent (forwarded as %s)" % new_id in fwd[0]
    assert len(list(mailbox.mbox(os.path.join(mastered.spools[0], "tern-l1")))) == 1
    cat = subprocess.run([os.path.join(BIN, "postcat"), "-c", mastered.conf_dir, "-q", new_id],
                         capture_output=True, timeout=30).stdout.decode()
    assert "Delivered-To: away@host.example" in cat
    assert "someone@remote.example" in cat and "Other@Remote.Example" in cat
    assert "sender@remote.example" in cat
    assert cat.index("Delivered-To: away@host.example") < cat.index("Subject: fw")


def test_dotforward_and_include_users_are_forwarded(mastered):
    inc = os.path.join(mastered.top, "members")
    with open(inc, "w") as f:
        f.write("tern-l2\n")
    os.chmod(inc, 0o644)
    mastered.aliases("members: :include:%s\n" % inc)
    pw = pwd.getpwnam("tern-l1")
    fwd = os.path.join(pw.pw_dir, ".forward")
    with open(fwd, "w") as f:
        f.write("members, \\tern-l1\n")
    os.chown(fwd, pw.pw_uid, pw.pw_gid)
    try:
        qid, res = mastered_deliver(mastered, ["tern-l1@host.example|orig@host.example"])
        assert res.one()["status"] == 0, res.out
        line = mastered.wait_log(r"local\[\d+\]: %s: to=<tern-l1@host.example>, "
                                 r"orig_to=<orig@host.example>, .*forwarded as" % qid)[0]
        new_id = re.search(r"forwarded as (\w+)\)", line).group(1)
        assert len(list(mailbox.mbox(os.path.join(mastered.spools[0], "tern-l1")))) == 1
        assert not os.path.exists(os.path.join(mastered.spools[0], "tern-l2"))
        cat = subprocess.run([os.path.join(BIN, "postcat"), "-c", mastered.conf_dir, "-q",
                              new_id], capture_output=True, timeout=30).stdout.decode()
        # the alias in the .forward is expanded here, the :include: user forwarded
        assert "tern-l2@host.example" in cat and "members@" not in cat
        assert "orig@host.example" in cat  # the original recipient is kept
        assert re.search(r"Received: by host\.example \(\w+\)\n\tid %s; " % new_id, cat), cat
        assert cat.index("Received: by host.example") < \
            cat.index("Delivered-To: tern-l1@host.example") < cat.index("Subject: fw")
    finally:
        os.unlink(fwd)


def test_mailbox_transport_passes_to_another_agent(mastered):
    mastered.write_main_cf({"mailbox_transport": "local2"})
    qid, res = mastered_deliver(mastered, ["tern-l1@host.example"])
    r = res.one()
    assert (r["status"], r["reason"]) == (0, "delivered to mailbox"), res.out
    assert len(list(mailbox.mbox(os.path.join(mastered.spools[1], "tern-l1")))) == 1
    assert not os.path.exists(os.path.join(mastered.spools[0], "tern-l1"))


def test_fallback_transport_for_unknown_users(mastered):
    mastered.write_main_cf({"fallback_transport": "local2"})
    qid, res = mastered_deliver(mastered, ["stranger@host.example"])
    assert res.one()["status"] == 0, res.out
    assert len(list(mailbox.mbox(os.path.join(mastered.spools[1], "tern-l2")))) == 1
    mastered.write_main_cf({"fallback_transport": "nosuch"})
    mastered.reload()
    wait_for_new_local(mastered)
    qid, res = mastered_deliver(mastered, ["stranger@host.example"])
    r = res.one()
    assert (r["status"], r["dsn"], r["reason"]) == (1, "4.3.0", "mail transport unavailable")


def test_owner_alias_resubmits_with_owner_sender(mastered):
    mastered.aliases("list: tern-l1\nowner-list: tern-l2\n")
    qid, res = mastered_deliver(mastered, ["list@host.example|list"])
    assert res.one()["status"] == 0, res.out
    line = mastered.wait_log(r"local\[\d+\]: %s: to=<list@host.example>" % qid)[0]
    new_id = re.search(r"orig_to=<list>, relay=local, .*status=sent \(forwarded as (\w+)\)",
                       line).group(1)
    cat = subprocess.run([os.path.join(BIN, "postcat"), "-c", mastered.conf_dir, "-q", new_id],
                         capture_output=True, timeout=30).stdout.decode()
    assert "owner-list@host.example" in cat and "tern-l1@host.example" in cat
    assert "Delivered-To: list@host.example" in cat


def test_expand_owner_alias(mastered):
    mastered.write_main_cf({"expand_owner_alias": "yes"})
    mastered.aliases("list: tern-l1\nowner-list: boss@remote.example\n")
    qid, res = mastered_deliver(mastered, ["list@host.example"])
    assert res.one()["status"] == 0, res.out
    line = mastered.wait_log(r"local\[\d+\]: %s: to=<list@host.example>" % qid)[0]
    new_id = re.search(r"forwarded as (\w+)\)", line).group(1)
    cat = subprocess.run([os.path.join(BIN, "postcat"), "-c", mastered.conf_dir, "-q", new_id],
                         capture_output=True, timeout=30).stdout.decode()
    assert "boss@remote.example" in cat and "owner-list" not in cat


def test_changed_alias_table_restarts_the_agent(mastered):
    mastered.aliases("x: tern-l1\n")
    qid, res = mastered_deliver(mastered, ["x@host.example"])
    assert res.one()["status"] == 0, res.out
    mastered.aliases("x: tern-l2\n")
    later = time.time() + 5
    os.utime(os.path.join(mastered.top, "aliases.db"), (later, later))
    qid, res = mastered_deliver(mastered, ["x@host.example"])
    assert res.one()["status"] == 0, res.out
    mastered.wait_log(r"local\[\d+\]: table hash:\S+/aliases has changed -- restarting")
    assert len(list(mailbox.mbox(os.path.join(mastered.spools[0], "tern-l2")))) == 1
    assert len(list(mailbox.mbox(os.path.join(mastered.spools[0], "tern-l1")))) == 1


# ------------------------------------------- end to end: sendmail ... qmgr -> local

def test_end_to_end_sendmail_to_mailbox(users):
    from tern_instance import MailInstance
    with MailInstance(main_cf={"myhostname": "host.example", "mydomain": "example",
                               "myorigin": "host.example",
                               "mydestination": "host.example, localhost"}) as inst:
        inst.start()
        proc = inst.sendmail("-f", "sender@remote.example", "tern-l1",
                             input=b"Subject: e2e\n\nFrom here\n")
        assert proc.returncode == 0, proc.stderr
        [msg] = inst.wait_mail("tern-l1")
        assert msg["Subject"] == "e2e" and msg["Delivered-To"] == "tern-l1@host.example"
        assert msg["X-Original-To"] == "tern-l1"
        assert msg.get_payload() == ">From here\n"
        inst.wait_log(r"postfix/local\[\d+\]: \w+: to=<tern-l1@host.example>, orig_to=<tern-l1>, "
                      r"relay=local, delay=[\d.]+, delays=[\d./]+, dsn=2.0.0, "
                      r"status=sent \(delivered to mailbox\)")
        inst.wait_log(r"postfix/qmgr\[\d+\]: \w+: removed")
