"""sendmail and postdrop: the submission path up to a committed maildrop file.

Each test makes a TernInstance (no master, no pickup) whose command_directory
is $TERN_BUILD/bin, with a maildrop directory as installed (postfix:postdrop,
mode 1730), runs sendmail and reads what postdrop left in maildrop/ with an
independent Python reader of docs/queue-format.md (and postcat, which must
accept the file). Nothing picks the files up, so every record can be
inspected. Exit codes are Postfix's: 0 queued, 75 (EX_TEMPFAIL) for fatal
errors, 69 (EX_UNAVAILABLE) for -bs and missing helpers.
"""
import grp
import os
import pwd
import shutil
import socket
import stat
import struct
import subprocess
import time

import pytest

from tern_instance import BIN, TEST_BIN, TernInstance, program_env

TIMEOUT = 20
EX_TEMPFAIL = 75
EX_UNAVAILABLE = 69
NOTIFY = {"never": 1, "success": 2, "failure": 4, "delay": 8}


# --- an independent reader of queue files ------------------------------------------

def read_records(data):
    """[(type, payload)] of a queue file or record stream."""
    records, pos = [], 0
    while pos < len(data):
        rtype, length = data[pos:pos + 1].decode(), struct.unpack(">I", data[pos + 1:pos + 5])[0]
        records.append((rtype, data[pos + 5:pos + 5 + length]))
        pos += 5 + length
    return records


def counted(payload, pos):
    n = struct.unpack(">I", payload[pos:pos + 4])[0]
    return payload[pos + 4:pos + 4 + n].decode(), pos + 4 + n


class Message:
    """The decoded records of one maildrop file."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.records = read_records(f.read())
        self.attrs, self.rcpts, self.lines = {}, [], []
        self.sender = self.envid = self.ret = self.time = None
        piece = b""
        for rtype, p in self.records:
            if rtype == "A":
                name, _, value = p.decode().partition("=")
                self.attrs[name] = value
            elif rtype == "S":
                self.sender = p.decode()
            elif rtype == "T":
                self.time = struct.unpack(">QI", p)
            elif rtype == "I":
                self.envid = p.decode()
            elif rtype == "Y":
                self.ret = p[0]
            elif rtype == "R":
                addr, pos = counted(p, 2)
                orig, pos = counted(p, pos)
                orcpt, pos = counted(p, pos)
                self.rcpts.append((p[0], p[1], addr, orig, orcpt))
            elif rtype == "L":
                piece += p
            elif rtype == "N":
                self.lines.append(piece + p)
                piece = b""
        self.types = [t for t, _ in self.records]

    def addresses(self):
        return [r[2] for r in self.rcpts]


# --- the instance --------------------------------------------------------------------

class Submit:
    def __init__(self, main_cf=None, command_directory=BIN):
        settings = {"command_directory": command_directory}
        settings.update(main_cf or {})
        self.inst = TernInstance(main_cf=settings, prefix="tern-submit-")
        self.conf = self.inst.conf_dir
        self.maildrop = self.inst.path("maildrop")
        os.mkdir(self.maildrop)
        os.chown(self.maildrop, pwd.getpwnam("postfix").pw_uid, grp.getgrnam("postdrop").gr_gid)
        os.chmod(self.maildrop, 0o1730)

    def run(self, name, *args, input=b"", env=None, path=None, **kwargs):
        environ = program_env(MAIL_CONFIG=self.conf)
        environ.update(env or {})
        return subprocess.run([path or os.path.join(BIN, name), *args], input=input,
                              capture_output=True, timeout=TIMEOUT, env=environ, cwd="/",
                              **kwargs)

    def sendmail(self, *args, input=b"", **kwargs):
        return self.run("sendmail", *args, input=input, **kwargs)

    def files(self):
        return sorted(os.listdir(self.maildrop))

    def only_message(self):
        names = self.files()
        assert len(names) == 1 and not names[0].startswith("."), names
        path = os.path.join(self.maildrop, names[0])
        check = subprocess.run([os.path.join(BIN, "postcat"), "-c", self.conf, path],
                               capture_output=True, timeout=TIMEOUT)
        assert check.returncode == 0, check.stderr
        return Message(path)

    def clear(self):
        for name in self.files():
            os.unlink(os.path.join(self.maildrop, name))


@pytest.fixture
def sub():
    s = Submit()
    try:
        yield s
    finally:
        s.inst.cleanup()


def err(res):
    return res.stderr.decode(errors="replace")


# --- submission ----------------------------------------------------------------------

def test_plain_submission_records(sub):
    res = sub.sendmail("-F", "Joe User", "Ann <ann@example.com>, bob", "carol",
                       input=b"Subject: hi\n\nbody line\n")
    assert res.returncode == 0, err(res)
    m = sub.only_message()
    assert m.types[0] == "H" and m.types[-1] == "E"
    assert m.types.index("T") < m.types.index("M") < m.types.index("X")
    assert abs(m.time[0] - time.time()) < 60
    assert m.sender == "root"
    assert m.attrs == {"full_name": "Joe User"}
    assert m.rcpts == [(0, 0, "ann@example.com", "ann@example.com", ""),
                       (0, 0, "bob", "bob", ""), (0, 0, "carol", "carol", "")]
    assert m.lines == [b"Subject: hi", b"", b"body line"]
    st = os.stat(os.path.join(sub.maildrop, sub.files()[0]))
    assert stat.S_IMODE(st.st_mode) == 0o644 and st.st_uid == 0


def test_lone_dot_ends_input_unless_i(sub):
    text = b"Subject: x\n\nbefore\n.\nafter\n"
    assert sub.sendmail("bob", input=text).returncode == 0
    assert sub.only_message().lines == [b"Subject: x", b"", b"before"]
    for flag in ("-i", "-oi", "-oitrue"):
        sub.clear()
        assert sub.sendmail(flag, "bob", input=text).returncode == 0
        assert sub.only_message().lines == [b"Subject: x", b"", b"before", b".", b"after"]
    sub.clear()
    assert sub.sendmail("bob", input=b"a\n..\n. \nz").returncode == 0
    assert sub.only_message().lines == [b"a", b"..", b". ", b"z"]


def test_line_endings_and_leading_from_lines(sub):
    text = b"From someone Mon Jan  1 00:00:00 2024\r\n>From x\r\nSubject: y\r\n\r\nb\r\n.\r\n"
    assert sub.sendmail("bob", input=text).returncode == 0
    assert sub.only_message().lines == [b"Subject: y", b"", b"b"]
    sub.clear()
    assert sub.sendmail("bob", input=b"Subject: z\n\nFrom here\nx\r\n").returncode == 0
    assert sub.only_message().lines == [b"Subject: z", b"", b"From here", b"x"]


@pytest.mark.parametrize("mode,lines", [
    ("strict", [b"Subject: a", b"b\r"]),
    ("never", [b"Subject: a", b"b\r"]),
    ("always", [b"Subject: a", b"b"]),
])
def test_sendmail_fix_line_endings(mode, lines):
    s = Submit(main_cf={"sendmail_fix_line_endings": mode})
    try:
        assert s.sendmail("bob", input=b"Subject: a\nb\r\n").returncode == 0
        assert s.only_message().lines == lines
        if mode == "strict":
            s.clear()
            assert s.sendmail("bob", input=b"Subject: a\r\nb\r\n").returncode == 0
            assert s.only_message().lines == [b"Subject: a", b"b"]
    finally:
        s.inst.cleanup()


def test_long_lines_go_in_pieces(sub):
    long_line = bytes(range(32, 127)) * 3000  # 285000 bytes
    assert sub.sendmail("bob", input=b"Subject: x\n\n" + long_line + b"\nend").returncode == 0
    m = sub.only_message()
    assert m.lines == [b"Subject: x", b"", long_line, b"end"]
    assert max(len(p) for t, p in m.records if t in "LN") <= 65536
    assert m.types.count("L") == 4


def test_crlf_at_a_piece_boundary(sub):
    line = b"a" * 65535  # with its CR, the first piece is 65536 bytes and ends in CR
    assert sub.sendmail("bob", input=line + b"\r\n" + line + b"\rb\r\n").returncode == 0
    assert sub.only_message().lines == [line, line + b"\rb"]


def test_sender_options(sub):
    for args, sender in ((["-f", "<>"], ""), (["-f", ""], ""), (["-r", "x@y"], "x@y"),
                         (["-f", "Some One <one@example.org>"], "one@example.org"),
                         ([], "root")):
        sub.clear()
        res = sub.sendmail(*args, "bob", input=b"x\n")
        assert res.returncode == 0, err(res)
        assert sub.only_message().sender == sender


def test_full_name_sources(sub):
    assert sub.sendmail("bob", env={"NAME": "From Env"}).returncode == 0
    assert sub.only_message().attrs["full_name"] == "From Env"
    sub.clear()
    assert sub.sendmail("-F", "Opt", "bob", env={"NAME": "From Env"}).returncode == 0
    assert sub.only_message().attrs["full_name"] == "Opt"
    sub.clear()
    gecos = pwd.getpwuid(0).pw_gecos.split(",")[0].replace("&", "Root")
    assert sub.sendmail("bob").returncode == 0
    assert sub.only_message().attrs.get("full_name", "") == gecos


def test_dsn_and_body_type_options(sub):
    res = sub.sendmail("-N", "success,delay", "-R", "hdrs", "-V", "env-1", "-B", "8BITMIME",
                       "bob", "ann", input=b"x\n")
    assert res.returncode == 0, err(res)
    m = sub.only_message()
    assert [r[1] for r in m.rcpts] == [NOTIFY["success"] | NOTIFY["delay"]] * 2
    assert m.ret == 2 and m.envid == "env-1" and m.attrs["encoding"] == "8bit"
    sub.clear()
    assert sub.sendmail("-N", "never", "-R", "FULL", "-B", "7bit", "bob").returncode == 0
    m = sub.only_message()
    assert m.rcpts[0][1] == NOTIFY["never"] and m.ret == 1 and m.attrs["encoding"] == "7bit"


def test_bad_dsn_values_are_warnings(sub):
    res = sub.sendmail("-N", "bogus", "-R", "some", "-V", "", "bob", input=b"x\n")
    assert res.returncode == 0
    assert 'sendmail: warning: unknown DSN NOTIFY command value "bogus" in "bogus"' in err(res)
    assert "sendmail: warning: bad -N option value -- ignored" in err(res)
    assert "sendmail: warning: bad -R option value -- ignored" in err(res)
    assert "sendmail: warning: bad syntax in -V option value -- ignored" in err(res)
    m = sub.only_message()
    assert m.rcpts[0][1] == 0 and m.ret is None and m.envid is None
    sub.clear()
    res = sub.sendmail("-N", "never,success", "bob")
    assert res.returncode == 0 and "bad -N option value" in err(res)


def test_extract_recipients(sub):
    text = b"To: a@example.com\nBcc: \"B\" <b@example.com>\n\nbody\n"
    assert sub.sendmail("-t", input=text).returncode == 0
    m = sub.only_message()
    assert m.attrs["extract_recipients"] == "yes" and m.rcpts == []
    assert m.lines[:2] == [b"To: a@example.com", b"Bcc: \"B\" <b@example.com>"]
    sub.clear()
    res = sub.sendmail("-t", input=b"Subject: x\nCc: (nobody)\nX-To: a@b\n\nTo: c@d\n")
    assert res.returncode == EX_TEMPFAIL
    assert "sendmail: fatal: root(0): No recipient addresses found in message header" in err(res)
    assert sub.files() == []
    res = sub.sendmail("-t", input=b"Resent-To:\n x@y\n\nhi\n")
    assert res.returncode == 0, err(res)


def test_no_recipients(sub):
    res = sub.sendmail(input=b"x\n")
    assert res.returncode == EX_TEMPFAIL
    assert ("sendmail: fatal: root(0): Recipient addresses must be specified on the command "
            "line or via the -t option") in err(res)
    assert sub.files() == []


def test_verbose_and_verify(sub):
    res = sub.sendmail("-v", "bob", input=b"Subject: x\n\nhi\n")
    assert res.returncode == 0
    assert res.stdout == b"Mail Delivery Status Report will be mailed to <root>.\n"
    assert sub.only_message().attrs["trace_flags"] == "1"
    sub.clear()
    res = sub.sendmail("-bv", "-f", "me@x", "bob", "ann@y", input=b"never read\n")
    assert res.returncode == 0
    assert res.stdout == b"Mail Delivery Status Report will be mailed to <me@x>.\n"
    m = sub.only_message()
    assert m.attrs["trace_flags"] == "2" and m.addresses() == ["bob", "ann@y"]
    assert m.lines == [b"From: me@x", b"Subject: probe", b"To:\tbob,", b"\tann@y"]
    sub.clear()
    res = sub.sendmail("-v", "-v", "bob", input=b"x\n")
    assert res.returncode == 0 and res.stdout == b""
    assert "trace_flags" not in sub.only_message().attrs


def test_ignored_options_are_accepted(sub):
    res = sub.sendmail("-Am", "-Ac", "-G", "-h", "5", "-L", "label", "-m", "-n", "-O", "x=y",
                       "-o7", "-o8", "-om", "-oem", "-U", "-XV", "-bm", "bob", input=b"x\n")
    assert res.returncode == 0, err(res)
    assert sub.only_message().addresses() == ["bob"]
    for args in (["-q5m"], ["-bh"], ["-bH"]):
        res = sub.sendmail(*args)
        assert res.returncode == 0, (args, err(res))


def test_options_end_at_first_recipient(sub):
    assert sub.sendmail("bob", "-t", input=b"x\n").returncode == 0
    m = sub.only_message()
    assert m.addresses() == ["bob", "-t"] and "extract_recipients" not in m.attrs
    sub.clear()
    assert sub.sendmail("--", "-i", input=b"x\n.\ny\n").returncode == 0
    m = sub.only_message()
    assert m.addresses() == ["-i"] and m.lines == [b"x"]


@pytest.mark.parametrize("args,message", [
    (["-Z"], "sendmail: fatal: usage: sendmail [options]"),
    (["-bz"], "sendmail: fatal: unsupported: -bz"),
    (["-qS", "x"], "sendmail: fatal: -qS is not implemented"),
    (["-B", "9BIT", "bob"], "sendmail: fatal: -B option needs 8BITMIME or 7BIT"),
    (["-X", "/tmp/log", "bob"], "sendmail: fatal: unsupported: -X/"),
    (["-C", "/nonexistent", "bob"], "sendmail: fatal: open /nonexistent/main.cf:"),
])
def test_bad_options(sub, args, message):
    res = sub.sendmail(*args)
    assert res.returncode == EX_TEMPFAIL
    assert message in err(res)
    assert sub.files() == []


def test_config_option(sub):
    other = os.path.join(sub.inst.base, "other")
    os.mkdir(other)
    shutil.copy(os.path.join(sub.conf, "main.cf"), other)
    with open(os.path.join(other, "main.cf"), "a") as f:
        f.write("sendmail_fix_line_endings = never\n")
    for flag, value in (("-C", other), ("-C", os.path.join(other, "main.cf")), ("-c", other)):
        sub.clear()
        res = sub.sendmail(flag, value, "bob", input=b"a\r\n", env={"MAIL_CONFIG": "/nonexistent"})
        assert res.returncode == 0, err(res)
        assert sub.only_message().lines == [b"a\r"]


def test_stand_alone_smtp_is_unavailable(sub):
    res = sub.sendmail("-bs", input=b"QUIT\r\n")
    assert res.returncode == EX_UNAVAILABLE
    assert "sendmail: fatal: -bs (stand-alone SMTP server mode) needs the smtpd daemon" in err(res)


def test_wakes_pickup(sub):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sub.inst.path("public", "pickup"))
    listener.listen(5)
    listener.settimeout(TIMEOUT)
    try:
        res = sub.sendmail("bob", input=b"x\n")
        assert res.returncode == 0 and b"warning" not in res.stderr
        conn, _ = listener.accept()
        conn.settimeout(TIMEOUT)
        assert conn.recv(10) == b"W"
        conn.close()
    finally:
        listener.close()
    os.unlink(sub.inst.path("public", "pickup"))
    res = sub.sendmail("bob", input=b"x\n")
    assert res.returncode == 0
    # Run by root, sendmail writes the file and wakes pickup itself (a user's
    # postdrop says the same with its own name).
    assert "sendmail: warning: unable to look up public/pickup: No such file or directory" \
        in err(res)
    assert len(sub.files()) == 2


# --- mailq, queue runs, newaliases ---------------------------------------------------

def test_queue_modes_run_postqueue():
    cmd_dir = None
    s = Submit()
    try:
        cmd_dir = os.path.join(s.inst.base, "sbin")
        os.mkdir(cmd_dir)
        record = os.path.join(s.inst.base, "args")
        with open(os.path.join(cmd_dir, "postqueue"), "w") as f:
            f.write(f"#!/bin/sh\necho \"$@\" >> {record}\necho queue listing\nexit 3\n")
        os.chmod(os.path.join(cmd_dir, "postqueue"), 0o755)
        s.inst.write_main_cf({"command_directory": cmd_dir})
        mailq = os.path.join(s.inst.base, "mailq")
        os.link(os.path.join(BIN, "sendmail"), mailq)
        runs = [s.sendmail("-bp"), s.run("mailq", path=mailq), s.sendmail("-q"),
                s.sendmail("-qRexample.com"), s.sendmail("-qR", "example.org"),
                s.sendmail("-qIABC123")]
        assert [r.returncode for r in runs] == [3] * 6
        assert runs[0].stdout == b"queue listing\n"
        with open(record) as f:
            assert f.read().splitlines() == ["-p", "-p", "-f", "-s example.com",
                                             "-s example.org", "-i ABC123"]
        os.unlink(os.path.join(cmd_dir, "postqueue"))
        res = s.sendmail("-bp")
        assert res.returncode == EX_UNAVAILABLE
        assert f"sendmail: fatal: cannot execute {cmd_dir}/postqueue: No such file" in err(res)
        # Root needs no postdrop (sendmail writes the maildrop file itself);
        # a user does.
        res = s.sendmail("bob", input=b"x\n")
        assert res.returncode == 0, err(res)
        assert len(s.files()) == 1
        res = s.run("setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups",
                    os.path.join(BIN, "sendmail"), "bob", input=b"x\n",
                    path=shutil.which("setpriv"))
        assert res.returncode == EX_UNAVAILABLE, err(res)
        assert f"cannot execute {cmd_dir}/postdrop: No such file" in err(res)
    finally:
        s.inst.cleanup()


def test_newaliases_builds_alias_database(sub):
    aliases = os.path.join(sub.inst.base, "aliases")
    other = os.path.join(sub.inst.base, "other-aliases")
    for path, text in ((aliases, "postmaster: root\nBob: joe, \"|/bin/cat\"\n"),
                       (other, "ann: carol\n")):
        with open(path, "w") as f:
            f.write(text)
    sub.inst.write_main_cf({"alias_database": f"hash:{aliases}"})
    newaliases = os.path.join(sub.inst.base, "newaliases")
    os.link(os.path.join(BIN, "sendmail"), newaliases)
    for run in (lambda: sub.run("newaliases", path=newaliases), lambda: sub.sendmail("-bi"),
                lambda: sub.sendmail("-I")):
        if os.path.exists(aliases + ".db"):
            os.unlink(aliases + ".db")
        res = run()
        assert res.returncode == 0, err(res)
        assert os.path.exists(aliases + ".db")
    res = sub.sendmail("-bi", f"-oAhash:{other}")
    assert res.returncode == 0, err(res)
    oracle = "/usr/sbin/postmap"
    query = [oracle] if os.access(oracle, os.X_OK) else [os.path.join(BIN, "postmap")]
    got = subprocess.run(query + ["-q", "bob", f"hash:{aliases}"], capture_output=True,
                         text=True, timeout=TIMEOUT, env={"MAIL_CONFIG": sub.conf})
    assert got.stdout == "joe, \"|/bin/cat\"\n"
    got = subprocess.run(query + ["-q", "ann", f"hash:{other}"], capture_output=True,
                         text=True, timeout=TIMEOUT, env={"MAIL_CONFIG": sub.conf})
    assert got.stdout == "carol\n"
