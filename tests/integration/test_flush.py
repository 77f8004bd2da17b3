"""flush(8), the fast flush service, with its client (lib/mail/flush_clnt)
and postqueue -s / -i, in a real instance under the master.

Deferred messages are written with tern-test-qfile into hold (where qmgr
never looks), given a next-attempt time (mtime) an hour ahead and moved
into deferred/H/ID, so only a flush can make them due. Entries are added
to the per-destination logs through flush_add (tern-test-flush, as qmgr's
deferral path will call it). Two kinds of instance:

- flush alone, with a fake qmgr listening on public/qmgr that records the
  wake-up bytes it gets: exact checks of mtimes, logs and wake-ups;
- flush with the real qmgr, trivial-rewrite and the discard agent: the
  flushed messages are delivered ("(queue active)", "removed") and the
  others stay deferred.

postqueue's messages for the error cases are compared with Debian's
postqueue on the same main.cf (without a running flush service).
"""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from attr_wire import attr_decode, attr_encode
from mail_compare import LogDrain, make_queues, place_message, write_qfile
from tern_instance import (BIN, MAIL_MASTER_CF, TEST_BIN, PostfixOracle, TernInstance,
                           program_env, wait_for)

QUEUES = ["maildrop", "incoming", "active", "deferred", "hold", "corrupt", "bounce",
          "defer", "trace", "flush", "saved"]
FLUSH_CF = "flush     unix  n       -       {chroot}       1000?   0       flush\n"
QMGR_CF = """\
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
discard   unix  -       -       n       -       -       discard
retry     unix  -       -       n       -       -       error
"""
LATER = 3600  # seconds ahead: the next attempt of every test message
POSTFIX_POSTQUEUE = "/usr/sbin/postqueue"


class FakeQmgr:
    """A listener on public/qmgr that records the bytes of each wake-up."""

    def __init__(self, path):
        self.triggers = []
        self.stop = False
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while chunk := conn.recv(64):
                        data += chunk
                except OSError:
                    pass
                self.triggers.append(data)

    def close(self):
        self.stop = True
        self.thread.join(timeout=5)
        self.sock.close()


class FlushInstance(LogDrain):
    def __init__(self, qmgr=False, chroot="n", main_cf=None):
        for name in ["flush", "postqueue"] + (["qmgr", "trivial-rewrite", "discard", "error"]
                                              if qmgr else []):
            if not os.access(os.path.join(BIN, name), os.X_OK):
                pytest.skip(f"{name} is not built")
        if not os.access(os.path.join(TEST_BIN, "tern-test-flush"), os.X_OK):
            pytest.skip("tern-test-flush is not built")
        self.inst = TernInstance(daemon_directory=BIN, prefix="tern-flush-")
        self.owner = pwd.getpwnam("postfix")
        make_queues(self.inst, QUEUES + ["private"])
        transport = os.path.join(self.inst.base, "transport")
        with open(transport, "w") as f:
            f.write("example.com discard:\nexample.net discard:\nother.org discard:\n"
                    "slow.example.com retry:busy\nslow.other.org retry:busy\n")
        settings = {
            "myhostname": "tern.test", "mydomain": "tern.test", "command_directory": BIN,
            "relay_domains": "example.com, example.net, slow.example.com",
            "transport_maps": f"texthash:{transport}", "default_transport": "discard",
            "relay_transport": "discard", "local_transport": "discard",
            "minimal_backoff_time": "100s", "maximal_backoff_time": "400s",
            "queue_run_delay": "300s",
        }
        settings.update(main_cf or {})
        self.inst.write_main_cf(settings)
        self.inst.write_master_cf(FLUSH_CF.format(chroot=chroot) + (QMGR_CF if qmgr else ""))
        self.fake_qmgr = None
        self.qmgr = qmgr
        self.start_drain()  # daemons log through the datagram sink at public/postlog

    def start(self):
        self.inst.start()
        if not self.qmgr:
            self.fake_qmgr = FakeQmgr(self.inst.path("public", "qmgr"))
        assert wait_for(lambda: os.path.exists(self.inst.path("public", "flush")))

    def deferred(self, rcpt, queue="deferred"):
        """A message for RCPT in QUEUE, its next attempt LATER seconds ahead; its id."""
        qid = write_qfile(self.inst.queue_dir, [rcpt], queue="hold", sender="sender@tern.test")
        later = time.time() + LATER
        os.utime(self.inst.path("hold", qid), (later, later))
        if queue != "hold":
            place_message(self.inst, qid, queue)
        return qid

    def qpath(self, qid, queue="deferred"):
        if queue == "deferred":
            return self.inst.path("deferred", qid[0], qid)
        return self.inst.path(queue, qid)

    def due(self, qid, queue="deferred"):
        """Has the message's next attempt been set to (about) now?"""
        try:
            return abs(os.stat(self.qpath(qid, queue)).st_mtime - time.time()) < 60
        except FileNotFoundError:
            return False

    def flush_call(self, *args):
        """tern-test-flush ARGS as mail_owner; the flush_clnt status."""
        env = program_env(MAIL_CONFIG=self.inst.conf_dir)
        proc = subprocess.run([os.path.join(TEST_BIN, "tern-test-flush"), *args], env=env,
                              capture_output=True, timeout=20, user=self.owner.pw_uid,
                              group=self.owner.pw_gid, extra_groups=[], cwd="/")
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout.decode().strip()
        assert out.startswith("status "), out
        return int(out.split()[1])

    def run(self, prog, *args):
        env = program_env(MAIL_CONFIG=self.inst.conf_dir)
        return subprocess.run([os.path.join(BIN, prog), *args], env=env, capture_output=True,
                              text=True, timeout=20, cwd="/")

    def flush_log(self, name):
        """The text of flush/NAME, or None when there is none."""
        try:
            with open(self.inst.path("flush", name)) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def raw(self, data, reply=True):
        """Sends DATA to public/flush after the announcement; the reply list or None."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(self.inst.path("public", "flush"))
            assert attr_decode(s) == {"protocol": "flush_v1"}
            s.sendall(data)
            if not reply:
                s.shutdown(socket.SHUT_WR)
            try:
                return attr_decode(s)
            except EOFError:
                return None

    def cleanup(self):
        self.stop_drain()
        if self.fake_qmgr:
            self.fake_qmgr.close()
        self.inst.cleanup()


@pytest.fixture
def make_flush():
    made = []

    def make(**kwargs):
        f = FlushInstance(**kwargs)
        made.append(f)
        f.start()
        return f
    yield make
    for f in made:
        f.cleanup()


def test_send_site_makes_only_the_listed_messages_due(make_flush):
    f = make_flush(chroot="y")  # as the stock master.cf runs it
    a = f.deferred("u@example.com")
    b = f.deferred("u@example.net")
    c = f.deferred("w@example.com")  # deferred, but never added to a log
    assert f.flush_call("add", "example.com", a) == 0
    assert f.flush_call("add", "example.com", a) == 0
    assert f.flush_call("add", "EXAMPLE.NET", b) == 0
    assert f.flush_log("example_com") == f"{a}\n{a}\n"
    assert f.flush_log("example_net") == f"{b}\n"
    r = f.run("postqueue", "-s", "Example.COM")
    assert (r.returncode, r.stderr) == (0, "")
    assert f.due(a)
    assert not f.due(b) and not f.due(c)
    assert f.flush_log("example_com") == ""  # truncated: the ids were used
    assert f.flush_log("example_net") == f"{b}\n"
    assert wait_for(lambda: f.fake_qmgr.triggers == [b"FD"]), f.fake_qmgr.triggers
    # A site whose log is empty (or missing) is fine, and wakes nobody.
    r = f.run("postqueue", "-s", "example.com")
    assert (r.returncode, r.stderr) == (0, "")
    r = f.run("postqueue", "-s", "example.net")
    assert (r.returncode, r.stderr) == (0, "")
    assert f.due(b) and not f.due(c)
    assert wait_for(lambda: len(f.fake_qmgr.triggers) == 2)
    assert f.fake_qmgr.triggers == [b"FD", b"FD"]
    assert "warning" not in f.log() and "fatal" not in f.log(), f.log()


def test_send_file_makes_one_deferred_message_due(make_flush):
    f = make_flush()
    a = f.deferred("u@example.com")
    b = f.deferred("u@example.net")
    held = f.deferred("h@example.com", queue="hold")
    r = f.run("postqueue", "-i", a)
    assert (r.returncode, r.stderr) == (0, "")
    assert f.due(a) and not f.due(b)
    assert wait_for(lambda: f.fake_qmgr.triggers == [b"FD"]), f.fake_qmgr.triggers
    # An id that is in no queue, or in hold: nothing happens, and Postfix says nothing.
    for qid in ("ABCDEF12345", held):
        r = f.run("postqueue", "-i", qid)
        assert (r.returncode, r.stderr) == (0, "")
    assert not f.due(held, queue="hold") and os.path.exists(f.qpath(held, "hold"))
    r = f.run("postqueue", "-i", b)  # brackets the two above: one more wake-up only
    assert (r.returncode, r.stderr) == (0, "")
    assert wait_for(lambda: len(f.fake_qmgr.triggers) == 2)
    assert f.fake_qmgr.triggers == [b"FD", b"FD"] and f.due(b)
    r = f.run("postqueue", "-i", "../x")
    assert (r.returncode, r.stderr) == (
        69, 'postqueue: fatal: Cannot flush queue ID - invalid name: "../x"\n')


def test_sites_not_in_fast_flush_domains_are_refused(make_flush):
    f = make_flush()
    a = f.deferred("u@other.org")
    r = f.run("postqueue", "-s", "other.org")
    assert (r.returncode, r.stderr) == (
        69, 'postqueue: fatal: Flush service is not configured for destination "other.org"\n')
    assert f.flush_call("add", "other.org", a) == 4  # FLUSH_STAT_DENY, from the client's check
    assert f.flush_call("send_site", "other.org") == 4
    # The server checks too, for a client that does not.
    assert f.raw(attr_encode([("request", "add"), ("site", "other.org"), ("queue_id", a)])) == \
        {"status": 4}
    assert f.raw(attr_encode([("request", "send_site"), ("site", "other.org")])) == {"status": 4}
    assert f.flush_log("other_org") is None and not f.due(a)
    # Subdomains of a listed domain are eligible (parent_domain_matches_subdomains).
    assert f.flush_call("add", "mx.example.com", a) == 0
    assert f.flush_log("mx_example_com") == f"{a}\n"
    assert f.flush_call("eligible", "example.org") == 0


def test_bad_input_to_the_flush_socket(make_flush):
    f = make_flush()
    a = f.deferred("u@example.com")
    assert f.raw(b"\x01junk", reply=False) is None
    f.wait_log(r"postfix/flush\[\d+\]: warning: flush socket: malformed attribute list: "
               r"bad type byte 0x01")
    assert f.raw(attr_encode([("request", "explode")])) == {"status": 3}
    f.wait_log(r'warning: flush socket: unknown request "explode"')
    for site, qid in (("example.com", "../../etc/passwd"), ("example.com", ""),
                      ("a\x01b.example.com", a), ("x" * 300, a), ("", a)):
        reply = f.raw(attr_encode([("request", "add"), ("site", site), ("queue_id", qid)]))
        assert reply == {"status": 3}, (site, qid)
    f.wait_log(r'warning: flush socket: bad queue id "\.\./\.\./etc/passwd"')
    f.wait_log(r'warning: flush socket: bad site name "a\?b\.example\.com"')
    assert f.raw(attr_encode([("request", "send_file"), ("queue_id", "a/b")])) == {"status": 3}
    # A missing argument, an unexpected one, an oversized value: dropped, no reply.
    assert f.raw(attr_encode([("request", "add"), ("site", "example.com")]), reply=False) is None
    f.wait_log(r'warning: flush socket: malformed attribute list: missing attribute "queue_id"')
    assert f.raw(attr_encode([("request", "refresh"), ("site", "x")]), reply=False) is None
    f.wait_log(r'warning: flush socket: malformed attribute list: unexpected attribute "site"')
    big = attr_encode([("request", "send_site"), ("site", "x" * 5000)])
    assert f.raw(big, reply=False) is None
    f.wait_log(r'malformed attribute "site": value length 5000 exceeds limit 1024')
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:  # says nothing at all
        s.connect(f.inst.path("public", "flush"))
    assert os.listdir(f.inst.path("flush")) == []
    # The service still works, and nothing crashed.
    assert f.flush_call("add", "example.com", a) == 0
    assert f.flush_log("example_com") == f"{a}\n"
    assert "panic" not in f.log() and "fatal" not in f.log(), f.log()


def test_wakeup_refreshes_old_logs_and_purge_refreshes_all(make_flush):
    f = make_flush()
    a = f.deferred("u@example.com")
    b = f.deferred("u@example.net")
    assert f.flush_call("add", "example.com", a) == 0
    assert f.flush_call("add", "example.net", b) == 0
    long_ago = time.time() - 2 * 86400  # unread for longer than fast_flush_refresh_time
    os.utime(f.inst.path("flush", "example_com"), (long_ago, long_ago))
    stale = f.inst.path("flush", "stale_example")  # empty for longer than the purge time
    fresh = f.inst.path("flush", "fresh_example")  # empty, but recent
    for path, when in ((stale, time.time() - 8 * 86400), (fresh, time.time())):
        with open(path, "w"):
            pass
        os.chown(path, f.owner.pw_uid, -1)
        os.utime(path, (when, when))
    # What the master sends for the wake-up column: one byte, then end of file.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(f.inst.path("public", "flush"))
        s.sendall(b"W")
    assert wait_for(lambda: f.due(a)), f.log()
    assert wait_for(lambda: not os.path.exists(stale))
    assert os.path.exists(fresh) and not f.due(b)
    assert f.flush_log("example_com") == "" and f.flush_log("example_net") == f"{b}\n"
    assert wait_for(lambda: f.fake_qmgr.triggers == [b"D"]), f.fake_qmgr.triggers
    # purge: every non-empty log, whatever its age.
    assert f.flush_call("purge") == 0
    assert wait_for(lambda: f.due(b)) and f.flush_log("example_net") == ""
    assert wait_for(lambda: f.fake_qmgr.triggers == [b"D", b"D"]), f.fake_qmgr.triggers
    assert f.flush_call("refresh") == 0  # nothing left to do: no wake-up
    assert "warning" not in f.log(), f.log()


def test_flushed_mail_is_delivered_and_the_rest_stays(make_flush):
    f = make_flush(qmgr=True)
    a = f.deferred("u@example.com")
    b = f.deferred("u@example.net")
    c = f.deferred("v@example.net")
    for site, qid in (("example.com", a), ("example.net", b), ("example.net", c)):
        assert f.flush_call("add", site, qid) == 0
    r = f.run("postqueue", "-s", "example.com")
    assert (r.returncode, r.stderr) == (0, "")
    f.wait_log(rf"postfix/qmgr\[\d+\]: {a}: from=<sender@tern\.test>, size=\d+, nrcpt=1 "
               r"\(queue active\)")
    f.wait_log(rf"postfix/discard\[\d+\]: {a}: to=<u@example\.com>, relay=none, .*status=sent")
    f.wait_log(rf"postfix/qmgr\[\d+\]: {a}: removed")
    assert os.path.exists(f.qpath(b)) and os.path.exists(f.qpath(c))
    r = f.run("sendmail", f"-qI{b}")  # sendmail -qI runs postqueue -i
    assert (r.returncode, r.stderr) == (0, "")
    f.wait_log(rf"postfix/qmgr\[\d+\]: {b}: removed")
    log = f.log()
    assert f"{c}: from=" not in log and os.path.exists(f.qpath(c)) and not f.due(c)
    r = f.run("sendmail", "-qRexample.net")
    assert (r.returncode, r.stderr) == (0, "")
    f.wait_log(rf"postfix/qmgr\[\d+\]: {c}: removed")


def test_postqueue_messages_match_postfix_without_a_flush_service():
    """Error paths that need no running service, Tern's postqueue beside Debian's."""
    if not os.access(POSTFIX_POSTQUEUE, os.X_OK):
        pytest.skip("Debian's postqueue is not installed")
    if not os.access(os.path.join(BIN, "postqueue"), os.X_OK):
        pytest.skip("postqueue is not built")
    top = tempfile.mkdtemp(prefix="tern-flushdiff-")
    try:
        etc = os.path.join(top, "etc")
        os.makedirs(os.path.join(top, "queue", "public"))
        os.mkdir(etc)
        with open(os.path.join(etc, "main.cf"), "w") as cf:
            cf.write(f"compatibility_level = 3.6\nqueue_directory = {top}/queue\n"
                     "mail_owner = postfix\nsetgid_group = postdrop\n"
                     "relay_domains = example.com\n")
        env = program_env()
        cases = (["-s", "example.com"], ["-s", "mx.example.com"], ["-s", "other.org"],
                 ["-i", "ABCDEF12345"], ["-s", "bad site"], ["-i", "a/b"], ["-s", "[127.0.0.1]"])
        for args in cases:
            ours = subprocess.run([os.path.join(BIN, "postqueue"), "-c", etc, *args], env=env,
                                  capture_output=True, text=True, timeout=20, cwd="/")
            theirs = subprocess.run([POSTFIX_POSTQUEUE, "-c", etc, *args], env=env,
                                    capture_output=True, text=True, timeout=20, cwd="/")
            assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr), args
    finally:
        shutil.rmtree(top, ignore_errors=True)


# --- Debian's Postfix as the oracle, with a running flush service ---------------

ORACLE_CF = {"myhostname": "oracle.test", "mydestination": "$myhostname",
             "relay_domains": "example.com, example.net", "alias_maps": "",
             "alias_database": "", "transport_maps": "texthash:${config_directory}/transport"}


def flush_logs(oracle):
    try:
        return sorted(os.listdir(oracle.path("flush")))
    except FileNotFoundError:
        return []


# Postfix's local mail path (as MailInstance runs Tern's) with flush added.
POSTFIX_MASTER_CF = MAIL_MASTER_CF + FLUSH_CF.format(chroot="n")


def test_postqueue_and_logs_match_postfix_with_a_running_flush(make_flush):
    for path in (POSTFIX_POSTQUEUE, "/usr/sbin/postfix", "/usr/lib/postfix/sbin/flush"):
        if not os.access(path, os.X_OK):
            pytest.skip("Debian's Postfix is not installed")
    if os.geteuid() != 0:
        pytest.skip("starting Postfix needs root")
    oracle = PostfixOracle(master_cf=POSTFIX_MASTER_CF, main_cf=ORACLE_CF)
    with open(os.path.join(oracle.conf_dir, "transport"), "w") as f:
        f.write("example.com retry:4.4.1 test deferral\n"
                "sub.example.com retry:4.4.1 test deferral\nother.org retry:4.4.1 later\n")
    try:
        oracle.start()
        for rcpt in ("a@example.com", "b@sub.example.com", "c@other.org"):
            r = oracle.sendmail("-f", "s@oracle.test", rcpt, input=b"Subject: t\n\nx\n")
            assert r.returncode == 0, r.stderr
        assert wait_for(lambda: oracle.log().count("status=deferred") >= 3, timeout=20), \
            oracle.log()
        assert wait_for(lambda: flush_logs(oracle) == ["example_com", "sub_example_com"])
        ids = {}
        for line in oracle.log().splitlines():
            if "status=deferred" in line:
                ids[line.split("to=<")[1].split(">")[0]] = line.split(": ")[1]
        tern = make_flush()
        tern_ids = {rcpt: tern.deferred(rcpt) for rcpt in ids}
        for rcpt, qid in tern_ids.items():
            assert tern.flush_call("add", rcpt.split("@")[1], qid) in (0, 4)
        assert sorted(os.listdir(tern.inst.path("flush"))) == flush_logs(oracle)

        def both(*args, pf_id=None, tern_id=None):
            pf_args = [a if a != "ID" else pf_id for a in args]
            tern_args = [a if a != "ID" else tern_id for a in args]
            theirs = oracle.run("postqueue", "-c", oracle.conf_dir, *pf_args)
            ours = tern.run("postqueue", *tern_args)
            return (theirs.returncode, theirs.stderr.decode()), (ours.returncode, ours.stderr)

        for args in (["-s", "example.com"], ["-s", "SUB.example.com"], ["-s", "other.org"],
                     ["-s", "example.net"], ["-s", "mx.example.net"], ["-i", "ABCDEF12345"]):
            theirs, ours = both(*args)
            assert ours == theirs, args
        theirs, ours = both("-i", "ID", pf_id=ids["c@other.org"], tern_id=tern_ids["c@other.org"])
        assert ours == theirs == (0, "")
        # What the flushes did: Postfix tried a, b and c again; Tern made them due.
        assert wait_for(lambda: oracle.log().count("status=deferred") >= 6, timeout=20), \
            oracle.log()
        assert all(tern.due(qid) for qid in tern_ids.values())
    finally:
        oracle.cleanup()


def test_qmgr_records_deferred_mail_of_flush_domains(make_flush):
    f = make_flush(qmgr=True)
    a = f.deferred("u@slow.example.com", queue="incoming")
    b = f.deferred("v@slow.other.org", queue="incoming")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(f.inst.path("public", "qmgr"))
        s.sendall(b"I")  # what cleanup sends after a commit
    for qid in (a, b):
        f.wait_log(rf"postfix/error\[\d+\]: {qid}: .*status=deferred \(busy\)")
    assert wait_for(lambda: f.flush_log("slow_example_com") == f"{a}\n"), \
        f.flush_log("slow_example_com")
    assert f.flush_log("slow_other_org") is None  # not in fast_flush_domains
    assert "service failure" not in f.log()
