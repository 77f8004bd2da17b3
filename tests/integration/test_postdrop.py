"""postdrop: what it accepts from users, what it refuses, and crash safety.

postdrop reads the record stream that sendmail writes (docs/ipc.md "sendmail
to postdrop") and commits it as a maildrop file. These tests feed it streams
made here (good ones, and every kind of bad one), stall it, interrupt the
sendmail that feeds it, run it as an unprivileged user, and stop it at every
step of the commit (tern-test-postdrop-fault) to show that sendmail exits 0
only when a valid file exists and that recovery (postsuper -p) leaves no
temporary file behind. No pickup runs: the maildrop files stay for
inspection.
"""
import os
import shutil
import signal
import struct
import subprocess
import time

import pytest

from tern_instance import BIN, TEST_BIN, children_of, program_env, wait_for
from test_sendmail import Message, Submit, TIMEOUT, err

UID0 = "postdrop: warning: uid=0: "


def rec(rtype, payload=b""):
    if isinstance(payload, str):
        payload = payload.encode()
    return rtype.encode() + struct.pack(">I", len(payload)) + payload


def counted(text):
    return struct.pack(">I", len(text)) + text.encode()


def rcpt(address, done=0, notify=0):
    return rec("R", bytes([done, notify]) + counted(address) + counted(address) + counted(""))


def stream(envelope=None, lines=(b"Subject: x", b"", b"hi"), end=True):
    out = envelope if envelope is not None else rec("S", "root") + rcpt("bob")
    out += rec("M") + b"".join(rec("N", line) for line in lines) + rec("X")
    return out + (rec("E") if end else b"")


@pytest.fixture
def sub():
    s = Submit()
    try:
        yield s
    finally:
        s.inst.cleanup()


def postdrop(sub, data, **kwargs):
    return sub.run("postdrop", "-r", input=data, **kwargs)


def test_good_stream_gets_a_time_record(sub):
    env = rec("A", "full_name=J. R.") + rec("A", "extract_recipients=yes") + \
        rec("A", "trace_flags=1") + rec("A", "encoding=8bit") + rec("S", "") + \
        rec("I", "id1") + rec("Y", b"\x02") + rcpt("a@b", notify=6)
    res = postdrop(sub, stream(env))
    assert res.returncode == 0, err(res)
    m = sub.only_message()
    assert m.types[:2] == ["H", "T"] and abs(m.time[0] - time.time()) < 60
    assert m.attrs == {"full_name": "J. R.", "extract_recipients": "yes", "trace_flags": "1",
                       "encoding": "8bit"}
    assert m.sender == "" and m.envid == "id1" and m.ret == 2
    assert m.rcpts == [(0, 6, "a@b", "a@b", "")]


@pytest.mark.parametrize("data,reason", [
    (b"hello world, this is not a record stream\n", "record length"),
    (b"", "premature end of input"),
    (stream(end=False), "premature end of input"),
    (stream()[:-3], "truncated record header"),
    (rec("S", "root") + b"N\x00\x00\x00\x10abc", "truncated record payload"),
    (b"\x00\x00\x00\x00\x00", "record type 0"),
    (b"N\x7f\xff\xff\xff", "exceeds limit"),
    (stream(rec("T", b"\x00" * 12) + rec("S", "root") + rcpt("bob")),
     "record type time not allowed"),
    (stream(rec("W", b"\x00" * 8) + rec("S", "root")), "record type warn not allowed"),
    (rec("H", b"\x00" * 48) + stream(), "record type header not allowed"),
    (stream() .replace(rec("X"), rec("X") + rec("P", "x@y")), "not allowed"),
    (stream(rec("A", "rewrite_context=remote") + rec("S", "root")),
     "attribute rewrite_context not allowed"),
    (stream(rec("A", "submit_uid=0") + rec("S", "root")), "attribute submit_uid not allowed"),
    (stream(rec("A", "trace_flags=8") + rec("S", "root")), "bad value for attribute trace_flags"),
    (stream(rec("A", "encoding=binary") + rec("S", "root")), "bad value for attribute encoding"),
    (stream(rec("A", "noequals") + rec("S", "root")), "attribute record without '='"),
    (stream(rec("S", "root") + rcpt("bob", done=1)), "recipient record marked done"),
    (stream(rec("S", "root") + rec("R", b"\x00\x00\x00\x00\x00\x09abc")), "recipient"),
    (stream(rcpt("bob") + rec("S", "root")), "recipient record before sender record"),
    (stream(rec("A", "full_name=x")), "missing sender record"),
    (stream(rec("S", "root") + rec("S", "root")), "duplicate sender record"),
    (rec("S", "root") + rec("N", "x") + rec("E"), "line record in envelope section"),
    (stream(rec("S", "root"), lines=(b"a\nb",)), "line"),
    (stream(rec("S", "a\x00b")), "NUL"),
    (stream()[:-5] + rec("E", b"\x00\x00\x00\x00"), "end record with a payload"),
    (stream() .replace(rec("E"), rec("Q", "x") + rec("E")), "unknown record type 81"),
])
def test_bad_input_is_refused_without_a_trace(sub, data, reason):
    res = postdrop(sub, data)
    assert res.returncode != 0
    assert UID0 in err(res) and reason in err(res), err(res)
    assert sub.files() == []
    assert wait_for(lambda: "postdrop[" in sub.inst.log() and "warning: uid=0: " in sub.inst.log())


def test_stalled_input_times_out(sub):
    sub.inst.write_main_cf({"daemon_timeout": "1s"})
    proc = subprocess.Popen([os.path.join(BIN, "postdrop")], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={"MAIL_CONFIG": sub.conf})
    try:
        proc.stdin.write(rec("S", "root") + rec("M") + rec("N", "half"))
        proc.stdin.flush()
        assert wait_for(lambda: proc.poll() is not None, timeout=10)
        assert proc.returncode != 0
        assert "timeout while reading input" in proc.stderr.read().decode()
        assert sub.files() == []
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)
        proc.stdin.close()
        proc.stderr.close()


def test_interrupted_sendmail_leaves_nothing(sub):
    """Run by root, sendmail writes the maildrop file itself (no postdrop
    child); an interrupt removes the temporary file before it dies."""
    proc = subprocess.Popen([os.path.join(BIN, "sendmail"), "bob"], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=program_env(MAIL_CONFIG=sub.conf))
    try:
        proc.stdin.write(b"Subject: x\n\nsome text\n")
        proc.stdin.flush()
        assert wait_for(lambda: any(n.startswith(".tmp") for n in sub.files()))
        assert children_of(proc.pid) == []
        os.kill(proc.pid, signal.SIGINT)
        assert wait_for(lambda: proc.poll() is not None)
        assert proc.returncode == -signal.SIGINT
        assert sub.files() == []
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)
        proc.stdin.close()
        proc.stderr.close()


def test_postdrop_removes_its_file_when_input_ends_early(sub):
    proc = subprocess.Popen([os.path.join(BIN, "postdrop"), "-r"], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=program_env(MAIL_CONFIG=sub.conf))
    try:
        proc.stdin.write(rec("S", "root") + rcpt("bob") + rec("M") + rec("N", "half"))
        proc.stdin.flush()
        assert wait_for(lambda: any(n.startswith(".tmp") for n in sub.files()))
        proc.stdin.close()
        assert wait_for(lambda: proc.poll() is not None)
        assert proc.returncode != 0
        assert UID0 + "premature end of input; no message was queued" in \
            proc.stderr.read().decode()
        assert sub.files() == []
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)
        if not proc.stdin.closed:
            proc.stdin.close()
        proc.stderr.close()


@pytest.mark.parametrize("value,allowed", [
    ("static:anyone", True), ("root", True), ("nobody, daemon", False),
    ("!root, static:anyone", False), (f"inline:{{ root=yes }}", True),
])
def test_authorized_submit_users(sub, value, allowed):
    """sendmail checks the list itself, as Postfix's sendmail does (same text,
    exit 75); postdrop checks it again for whoever runs it directly."""
    sub.inst.write_main_cf({"authorized_submit_users": value})
    res = sub.sendmail("bob", input=b"x\n")
    direct = postdrop(sub, stream())
    if allowed:
        assert res.returncode == 0, err(res)
        assert direct.returncode == 0, err(direct)
        assert len(sub.files()) == 2
    else:
        assert res.returncode == 75
        assert err(res) == "sendmail: fatal: User root(0) is not allowed to submit mail\n"
        assert direct.returncode != 0
        assert "postdrop: fatal: User root(0) is not allowed to submit mail" in err(direct)
        assert sub.files() == []


def test_usage_errors(sub):
    res = sub.run("postdrop", "-x")
    assert res.returncode != 0 and "usage: postdrop" in err(res)
    res = sub.run("postdrop", "extra")
    assert res.returncode != 0 and "usage: postdrop" in err(res)


# --- an unprivileged user ------------------------------------------------------------

def unprivileged(sub, tmp_etc, config_dir, data, program="sendmail", args=("bob",),
                 postdrop=None, env=None):
    """Runs PROGRAM as nobody with a set-gid postdrop (a copy of POSTDROP, default
    the build's), and /etc/postfix replaced by tmp_etc in a private mount
    namespace (the default main.cf decides which configuration directories a
    user may name). ENV: more environment variables."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        pytest.skip("needs root, unshare and setpriv")
    sbin = os.path.join(sub.inst.base, "sbin")
    if not os.path.isdir(sbin):
        os.mkdir(sbin)
        os.chmod(sbin, 0o755)
        shutil.copy(os.path.join(BIN, "sendmail"), sbin)
        shutil.copy(postdrop or os.path.join(BIN, "postdrop"), os.path.join(sbin, "postdrop"))
        import grp
        os.chown(os.path.join(sbin, "postdrop"), 0, grp.getgrnam("postdrop").gr_gid)
        os.chmod(os.path.join(sbin, "postdrop"), 0o2555)
        sub.inst.write_main_cf({"command_directory": sbin})
    script = ('mount --bind "$1" /etc/postfix && shift && '
              'exec setpriv --reuid nobody --regid nogroup --clear-groups "$@"')
    extra = [f"{name}={value}" for name, value in (env or {}).items()]
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", tmp_etc, "env",
                           f"MAIL_CONFIG={config_dir}", *extra, os.path.join(sbin, program),
                           *args],
                          input=data, capture_output=True, timeout=TIMEOUT, cwd="/")


def default_main_cf(sub, text):
    etc = os.path.join(sub.inst.base, "etc")
    os.makedirs(etc, exist_ok=True)
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write(text)
    os.chmod(etc, 0o755)
    return etc


def test_unauthorized_config_directory_is_refused(sub):
    etc = default_main_cf(sub, "alternate_config_directories = /somewhere/else\n")
    res = unprivileged(sub, etc, sub.conf, b"Subject: x\n\nhi\n")
    assert res.returncode == 75
    assert f"postdrop: error: unauthorized configuration directory name: {sub.conf}" in err(res)
    assert (f'postdrop: fatal: specify "alternate_config_directories = {sub.conf}" or '
            f'"multi_instance_directories = {sub.conf}" in /etc/postfix/main.cf') in err(res)
    assert sub.files() == []


@pytest.mark.skipif(bool(os.environ.get("TERN_SANITIZE")),
                    reason="a set-gid program run by a user other than root is not "
                    "dumpable, and LeakSanitizer then stops it with a fatal error")
@pytest.mark.parametrize("parameter", ["alternate_config_directories",
                                       "multi_instance_directories"])
def test_user_submission_is_owned_by_the_user(sub, parameter):
    etc = default_main_cf(sub, f"{parameter} = /x, {sub.conf}\n")
    res = unprivileged(sub, etc, sub.conf, b"Subject: x\n\nhi\n")
    assert res.returncode == 0, err(res)
    name = sub.files()[0]
    st = os.stat(os.path.join(sub.maildrop, name))
    assert st.st_uid == 65534 and (st.st_mode & 0o777) == 0o644
    m = Message(os.path.join(sub.maildrop, name))
    assert m.sender == "nobody" and m.addresses() == ["bob"]


# --- message_size_limit bounds the maildrop file, as Postfix's does -------------------

BIG = b"Subject: big\n\n" + b"y" * 70 * 80 + b"\n"


def test_root_sendmail_refuses_a_file_past_message_size_limit(sub):
    sub.inst.write_main_cf({"message_size_limit": "1000"})
    res = sub.sendmail("bob", input=BIG)
    assert res.returncode == 75
    assert err(res) == "sendmail: fatal: root(0): message file too big\n"
    assert sub.files() == []
    assert sub.sendmail("bob", input=b"Subject: small\n\nhi\n").returncode == 0


def test_postdrop_refuses_a_file_past_message_size_limit(sub):
    sub.inst.write_main_cf({"message_size_limit": "1000"})
    res = postdrop(sub, stream(lines=(b"Subject: big", b"", b"y" * 5000)))
    assert res.returncode == 3
    assert err(res) == UID0 + "File too large\n"
    assert sub.files() == []


@pytest.mark.skipif(bool(os.environ.get("TERN_SANITIZE")),
                    reason="the sanitizer runtime cannot run a set-gid program as a user")
def test_user_sendmail_refuses_a_file_past_message_size_limit(sub):
    etc = default_main_cf(sub, f"alternate_config_directories = {sub.conf}\n")
    sub.inst.write_main_cf({"message_size_limit": "1000"})
    res = unprivileged(sub, etc, sub.conf, BIG)
    assert res.returncode == 75, err(res)
    assert "postdrop: warning: uid=65534: File too large" in err(res)
    assert "sendmail: fatal: nobody(65534): message file too big" in err(res)
    assert sub.files() == []


@pytest.mark.skipif(bool(os.environ.get("TERN_SANITIZE")),
                    reason="the sanitizer runtime cannot run a set-gid program as a user")
def test_user_sendmail_error_of_its_own_is_the_only_message(sub):
    """-t without recipients: sendmail says so and stops postdrop, which leaves
    no file and adds nothing (Postfix prints the same single line)."""
    etc = default_main_cf(sub, f"alternate_config_directories = {sub.conf}\n")
    res = unprivileged(sub, etc, sub.conf, b"Subject: none\n\nbody\n", args=("-t",))
    assert res.returncode == 75
    assert err(res) == ("sendmail: fatal: nobody(65534): No recipient addresses found in "
                        "message header\n")
    assert sub.files() == []


# --- crash safety: stop postdrop at every step of the commit -------------------------

def check_commit_outcome(sub, ok, step):
    """Before the rename nothing is committed; after it, the file is complete (a
    retry by the user gives a duplicate, never a loss); recovery removes the
    temporary files whose writer is gone."""
    committed = [n for n in sub.files() if not n.startswith(".")]
    if ok:
        assert len(committed) == 1, "exit 0 without a committed file"
    assert len(committed) == (1 if step == 0 or step >= 3 else 0)
    for name in committed:
        check = subprocess.run([os.path.join(BIN, "postcat"), "-c", sub.conf,
                                os.path.join(sub.maildrop, name)], capture_output=True,
                               timeout=TIMEOUT)
        assert check.returncode == 0, check.stderr
        assert Message(os.path.join(sub.maildrop, name)).lines[-1] == b"body"
    old = time.time() - 7200
    for name in sub.files():
        if name.startswith(".tmp"):
            os.utime(os.path.join(sub.maildrop, name), (old, old))
    rec_res = subprocess.run([os.path.join(BIN, "postsuper"), "-c", sub.conf, "-p"],
                             capture_output=True, timeout=TIMEOUT)
    assert rec_res.returncode == 0, rec_res.stderr
    assert [n for n in sub.files() if n.startswith(".")] == []
    assert [n for n in sub.files() if not n.startswith(".")] == committed


def fault_program(name):
    path = os.path.join(TEST_BIN, name)
    if not os.access(path, os.X_OK):
        pytest.skip(f"{name} is not built")
    return path


@pytest.mark.parametrize("step", [0, 1, 2, 3, 4])
def test_postdrop_commit_fault_at_every_step(sub, step):
    fault = fault_program("tern-test-postdrop-fault")
    res = sub.run("postdrop", "-r", path=fault, input=stream(lines=(b"Subject: crash", b"",
                                                                     b"body")),
                  env={"TERN_COMMIT_FAULT_STEP": str(step)})
    assert res.returncode == (0 if step == 0 else 99), err(res)
    check_commit_outcome(sub, res.returncode == 0, step)


@pytest.mark.parametrize("step", [0, 1, 2, 3, 4])
def test_sendmail_commit_fault_at_every_step(sub, step):
    """Run by root, sendmail commits the maildrop file itself."""
    fault = fault_program("tern-test-sendmail-fault")
    res = sub.run("sendmail", "bob", path=fault, input=b"Subject: crash\n\nbody\n",
                  env={"TERN_COMMIT_FAULT_STEP": str(step)})
    assert res.returncode == (0 if step == 0 else 99), err(res)
    check_commit_outcome(sub, res.returncode == 0, step)


@pytest.mark.skipif(bool(os.environ.get("TERN_SANITIZE")),
                    reason="the sanitizer runtime cannot run a set-gid program as a user")
@pytest.mark.parametrize("step", [0, 1, 2, 3, 4])
def test_user_sendmail_with_postdrop_commit_fault(sub, step):
    """A user's sendmail runs postdrop; it exits 0 only when postdrop did."""
    fault = fault_program("tern-test-postdrop-fault")
    etc = default_main_cf(sub, f"alternate_config_directories = {sub.conf}\n")
    res = unprivileged(sub, etc, sub.conf, b"Subject: crash\n\nbody\n", postdrop=fault,
                       env={"TERN_COMMIT_FAULT_STEP": str(step)})
    if step == 0:
        assert res.returncode == 0, err(res)
    else:
        assert res.returncode == 75 and "postdrop failed (exit status 99)" in err(res), err(res)
    check_commit_outcome(sub, res.returncode == 0, step)
