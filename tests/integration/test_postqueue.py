"""postqueue -p/-j (and showq behind it), -f, -i, -s: output compared
byte for byte with what Postfix prints for the same queue (the formats
were checked against Debian's Postfix 3.7: column widths for short and
long queue ids, the '*' '!' '#' marks, the "(reason)" lines right-aligned
to column 78 and never cut, recipients in defer-log order first and
"(reason unavailable)" for the others when a log exists, duplicates
listed once, "-- N Kbytes in M Requests.", "Mail queue is empty", the
JSON members).

Queue files are written with tern-test-qfile, defer logs with
tern-test-dsnlog (the real dsn_log writer). Without a master, root's
postqueue falls back to a stand-alone showq with Postfix's warning; with a
master the showq service answers and there is no warning.
"""
import json
import os
import pwd
import socket
import stat
import subprocess

import pytest

from queue_util import QueueDir, as_user, binary
from tern_instance import BIN, TernInstance, program_env, wait_for

DOWN = ("postqueue: warning: Mail system is down -- accessing queue directly "
        "(Connect to the Tern showq service: No such file or directory)\n")


@pytest.fixture
def q():
    queue = QueueDir(settings={"daemon_directory": BIN})
    try:
        yield queue
    finally:
        queue.cleanup()


def dsnlog(q, msg_id, rcpt, reason):
    cmd = [binary("tern-test-dsnlog", test_prog=True), "-C", q.queue, "-q", "defer",
           "-i", msg_id, "-r", rcpt, "-m", reason]
    proc = subprocess.run(cmd, capture_output=True, timeout=10, preexec_fn=as_user("postfix"))
    assert proc.returncode == 0, proc.stderr


def postqueue(q, *args, user=None):
    return q.run("postqueue", *args, user=user)


def test_empty_queue(q):
    r = postqueue(q, "-p")
    assert (r.rc, r.out, r.err) == (0, b"Mail queue is empty\n", DOWN)
    r = postqueue(q, "-j")
    assert (r.rc, r.out) == (0, b"")


def filled_queue(q):
    body = b"Subject: x\n\nhello\n"  # size 21 as Postfix counts it: (2+10) + (2+0) + (2+5)
    ids = {}
    ids["incoming"] = q.make("incoming", ["-t", "1700000000"], message=body,
                             sender="in@example.com", rcpts=("r1@example.com",))
    ids["active"] = q.make("active", ["-t", "1700000060"], message=body,
                           sender="act@example.com", rcpts=("r2@example.com",))
    ids["deferred"] = q.make("deferred", ["-t", "1699000000"], message=body * 100,
                             sender="", rcpts=("a@x.example", "done@x.example|||0|1", "a@x.example",
                                               "b@x.example", "c@y.example", "d@z.example"))
    ids["hold"] = q.make("hold", ["-t", "1700000120"], message=body,
                         sender="held@example.com", rcpts=("r3@example.com",))
    long_reason = "connect to y.example: " + " ".join(f"word{i:03d}" for i in range(30))
    # Log order differs from queue-file order; d@z.example is not in the log.
    dsnlog(q, ids["deferred"], "c@y.example", long_reason)
    dsnlog(q, ids["deferred"], "a@x.example", "connect to x.example[192.0.2.1]:25: refused")
    dsnlog(q, ids["deferred"], "b@x.example", "connect to x.example[192.0.2.1]:25: refused")
    dsnlog(q, ids["deferred"], "a@x.example", "a later entry of the same recipient")
    return ids, long_reason


def test_listing_matches_postfix_format(q):
    ids, long_reason = filled_queue(q)
    r = postqueue(q, "-p")
    assert r.rc == 0, r
    pad = " " * 41
    expect = (
        "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
        f"{ids['incoming']:<11s}      21 Tue Nov 14 22:13:20  in@example.com\n"
        f"{pad}r1@example.com\n\n"
        f"{ids['active'] + '*':<11s}      21 Tue Nov 14 22:14:20  act@example.com\n"
        f"{pad}r2@example.com\n\n"
        f"{ids['deferred']:<11s}    2100 Fri Nov  3 08:26:40  MAILER-DAEMON\n"
        f"({long_reason})\n"
        f"{pad}c@y.example\n"
        f"{' ' * (78 - 45)}(connect to x.example[192.0.2.1]:25: refused)\n"
        f"{pad}a@x.example\n"
        f"{pad}b@x.example\n"
        f"{' ' * (78 - 20)}(reason unavailable)\n"
        f"{pad}d@z.example\n\n"
        f"{ids['hold'] + '!':<11s}      21 Tue Nov 14 22:15:20  held@example.com\n"
        f"{pad}r3@example.com\n\n"
        "-- 2 Kbytes in 4 Requests.\n")
    assert r.out.decode() == expect
    assert r.err == DOWN


def test_json_matches_postfix_format(q):
    ids, long_reason = filled_queue(q)
    os.chmod(q.path("hold", ids["hold"]), 0o610)  # postsuper -e's mark
    r = postqueue(q, "-j")
    assert r.rc == 0, r
    lines = r.out.decode().splitlines()
    assert lines[0] == (
        f'{{"queue_name": "incoming", "queue_id": "{ids["incoming"]}", "arrival_time": 1700000000, '
        '"message_size": 21, "forced_expire": false, "sender": "in@example.com", '
        '"recipients": [{"address": "r1@example.com"}]}')
    objs = [json.loads(line) for line in lines]
    assert [o["queue_name"] for o in objs] == ["incoming", "active", "deferred", "hold"]
    assert objs[2]["sender"] == "MAILER-DAEMON"
    assert objs[2]["recipients"] == [
        {"address": "c@y.example", "delay_reason": long_reason},
        {"address": "a@x.example", "delay_reason": "connect to x.example[192.0.2.1]:25: refused"},
        {"address": "b@x.example", "delay_reason": "connect to x.example[192.0.2.1]:25: refused"},
        {"address": "d@z.example"}]
    assert objs[3]["forced_expire"] is True
    # The text listing marks it "!#", as Postfix does.
    assert f"{ids['hold']}!#     " in postqueue(q, "-p").out.decode()


def test_json_escapes_and_expired_mark(q):
    msg_id = q.make("deferred", ["-t", "1700000000"], sender='we"ird\\x@example.com',
                    rcpts=("r@example.com",))
    os.chmod(q.path("deferred", msg_id), 0o610)
    dsnlog(q, msg_id, "r@example.com", 'say "hi"\\ now')
    r = postqueue(q, "-j")
    line = r.out.decode().strip()
    assert '"sender": "we\\"ird\\\\x@example.com"' in line
    assert json.loads(line)["recipients"][0]["delay_reason"] == 'say "hi"\\ now'
    assert json.loads(line)["forced_expire"] is True
    assert r.out.decode().count("\n") == 1
    assert f"{msg_id}#" in postqueue(q, "-p").out.decode()


def test_long_queue_ids_layout(q):
    q.configure({"enable_long_queue_ids": "yes"})
    msg_id = q.make("hold", ["-t", "1700000000"], sender="s@example.com",
                    rcpts=("r@example.com",), long_ids=True)
    r = postqueue(q, "-p")
    assert r.out.decode() == (
        "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------\n"
        f"{msg_id + '!':<17s}       23 Tue Nov 14 22:13:20 s@example.com\n"
        f"{' ' * 47}r@example.com\n\n"
        "-- 0 Kbytes in 1 Request.\n")


def test_corrupt_file_skipped_not_moved(q):
    good = q.make("deferred", ["-t", "1700000000"], rcpts=("r@example.com",))
    bad = q.make("active", ["-t", "1700000000"], rcpts=("s@example.com",))
    path = q.path("active", bad)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) - 4)
    r = postqueue(q, "-p")
    assert r.rc == 0
    text = r.out.decode()
    assert good in text and bad not in text
    assert text.endswith("-- 0 Kbytes in 1 Request.\n")
    assert f"active/{bad}: skipped: truncated" in r.err
    assert os.path.exists(path)
    assert os.listdir(os.path.join(q.queue, "corrupt")) == []


def test_usage_and_bad_arguments(q):
    usage = ("postqueue: fatal: usage: postqueue -f | postqueue -i queueid | postqueue -j | "
             "postqueue -p | postqueue -s site\n")
    for args in ([], ["-p", "-j"], ["-x"], ["-p", "extra"]):
        r = postqueue(q, *args)
        assert r.rc == 69 and r.err.endswith(usage), (args, r)
    r = postqueue(q, "-i", "a/b")
    assert (r.rc, r.err) == (69, 'postqueue: fatal: Cannot flush queue ID - invalid name: "a/b"\n')
    r = postqueue(q, "-s", "bad host!")
    assert (r.rc, r.err) == (
        69, 'postqueue: fatal: Cannot flush mail queue - invalid destination: "bad host!"\n')
    r = postqueue(q, "-s", "a" * 120)
    assert r.err.endswith('invalid destination: "' + "a" * 100 + '..."\n')
    r = postqueue(q, "-s", "example.com")
    assert (r.rc, r.err) == (
        69, 'postqueue: fatal: Flush service is not configured for destination "example.com"\n')
    q.configure({"fast_flush_domains": "example.com"})
    r = postqueue(q, "-s", "example.com")
    assert r.rc == 69 and r.err.endswith(
        "postqueue: fatal: Cannot flush mail queue - mail system is down\n"), r
    r = postqueue(q, "-f")
    assert (r.rc, r.err) == (69, "postqueue: fatal: Cannot flush mail queue - mail system is down\n")


def test_flush_wakes_qmgr(q):
    public = os.path.join(q.queue, "public")
    os.mkdir(public)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as srv:
        srv.bind(os.path.join(public, "qmgr"))
        srv.listen(1)
        srv.settimeout(10)
        r = postqueue(q, "-f")
        assert (r.rc, r.err) == (0, "")
        conn, _ = srv.accept()
        with conn:
            conn.settimeout(10)
            data = b""
            while chunk := conn.recv(16):
                data += chunk
    assert sorted(data.decode()) == sorted("FDA")


def test_unprivileged_user_needs_allowed_config_dir(q):
    """A user other than root may not point the set-gid postqueue at another
    main.cf (-c or MAIL_CONFIG) unless the default main.cf lists it in
    alternate_config_directories; here there is no default main.cf at all,
    so the request fails before any queue access."""
    q.make("deferred", ["-t", "1700000000"], rcpts=("r@example.com",))
    r = postqueue(q, "-p", user="nobody")
    assert r.rc != 0 and r.out == b"", r
    env = q.env()
    env["MAIL_CONFIG"] = q.etc
    proc = subprocess.run([binary("postqueue"), "-p"], capture_output=True, env=env, timeout=10,
                          preexec_fn=as_user("nobody"))
    assert proc.returncode != 0 and proc.stdout == b""
    # root may, and sees the message.
    r = postqueue(q, "-p")
    assert r.rc == 0 and b"r@example.com" in r.out


def test_showq_service_under_master():
    inst = TernInstance(master_cf="showq unix n - n - - showq\n", daemon_directory=BIN)
    try:
        owner = pwd.getpwnam("postfix")
        for name in ("deferred", "defer", "hold", "active", "incoming", "maildrop", "pid"):
            os.mkdir(inst.path(name), 0o700)
            os.chown(inst.path(name), owner.pw_uid, -1)
        inst.start()
        assert wait_for(lambda: os.path.exists(inst.path("public", "showq")))
        qfile = binary("tern-test-qfile", test_prog=True)
        proc = subprocess.run([qfile, "-C", inst.queue_dir, "-q", "hold", "-t", "1700000000",
                               "-s", "s@example.com", "-r", "r@example.com"], input=b"a: b\n",
                              capture_output=True, timeout=10, preexec_fn=as_user("postfix"))
        msg_id = proc.stdout.decode().strip()
        env = program_env(TZ="UTC")
        for user in (None, "nobody"):
            r = subprocess.run([binary("postqueue"), "-c", inst.conf_dir, "-p"], env=env,
                               capture_output=True, timeout=10,
                               preexec_fn=as_user(user) if user else None)
            if user:  # nobody may not name another config directory
                assert r.returncode != 0 and r.stdout == b""
                continue
            assert (r.returncode, r.stderr) == (0, b"")
            assert r.stdout.decode() == (
                "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
                f"{msg_id + '!':<11s}       6 Tue Nov 14 22:13:20  s@example.com\n"
                f"{' ' * 41}r@example.com\n\n-- 0 Kbytes in 1 Request.\n")
        assert stat.S_ISSOCK(os.stat(inst.path("public", "showq")).st_mode)
    finally:
        inst.cleanup()
