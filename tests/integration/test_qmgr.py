"""qmgr(8) and the simple delivery agents (error, retry, discard) in a real
instance: the master, trivial-rewrite, qmgr, the agents and the test agent
tern-test-agent (tests/services/agent.c) as the transport "test".

Messages are written into the queue with tern-test-qfile (as mail_owner,
as cleanup would) and qmgr is woken through public/qmgr. The bounce,
defer and trace services are played by a small bounce_v1 server in this
file (FakeBounce), which records each request together with the bounce log
as it was at that moment. Every wait is a poll with a deadline.
"""
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from attr_wire import attr_decode, attr_encode
from mail_compare import LogDrain, make_queues, place_message, write_qfile
from tern_instance import (BIN, TEST_BIN, TernInstance, alive, cmdline, program_env,
                           wait_for)

QUEUES = ["maildrop", "incoming", "active", "deferred", "hold", "corrupt", "bounce",
          "defer", "trace", "flush", "saved"]

MASTER_CF = """\
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
test      unix  -       n       n       -       -       tern-test-agent {out}
"""

DAEMONS = ["qmgr", "trivial-rewrite", "error", "discard"]


class FakeBounce:
    """bounce_v1 on private/bounce, private/defer and private/trace."""

    def __init__(self, queue_dir, status=0):
        self.queue_dir = queue_dir
        self.status = status
        self.requests = []
        self.socks = []
        self.stop = False
        owner = pwd.getpwnam("postfix")
        for service in ("bounce", "defer", "trace"):
            path = os.path.join(queue_dir, "private", service)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(path)
            os.chown(path, owner.pw_uid, -1)
            sock.listen(16)
            sock.settimeout(0.2)
            self.socks.append((service, sock))
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def log_text(self, queue, queue_id):
        for dirpath, _dirs, files in os.walk(os.path.join(self.queue_dir, queue)):
            if queue_id in files:
                with open(os.path.join(dirpath, queue_id)) as f:
                    return f.read()
        return ""

    def run(self):
        while not self.stop:
            for service, sock in self.socks:
                try:
                    conn, _ = sock.accept()
                except (socket.timeout, OSError):
                    continue
                with conn:
                    conn.settimeout(5)
                    try:
                        conn.sendall(attr_encode([("protocol", "bounce_v1")]))
                        req = attr_decode(conn)
                        req["service"] = service
                        req["bounce_log"] = self.log_text("bounce", req.get("queue_id", ""))
                        req["defer_log"] = self.log_text("defer", req.get("queue_id", ""))
                        req["trace_log"] = self.log_text("trace", req.get("queue_id", ""))
                        self.requests.append(req)
                        conn.sendall(attr_encode([("status", self.status), ("queue_id", "")]))
                    except (EOFError, OSError, ValueError):
                        pass

    def close(self):
        self.stop = True
        self.thread.join(timeout=5)
        for _service, sock in self.socks:
            sock.close()


# --- the instance ---

class QmgrInstance(LogDrain):
    def __init__(self, main_cf=None, transports="", master_cf_extra=""):
        for name in DAEMONS:
            if not os.access(os.path.join(BIN, name), os.X_OK):
                pytest.skip(f"{name} is not built")
        if not os.access(os.path.join(TEST_BIN, "tern-test-agent"), os.X_OK):
            pytest.skip("tern-test-agent is not built")
        self.inst = TernInstance(prefix="tern-qmgr-")
        base = self.inst.base
        self.libexec = os.path.join(base, "libexec")
        os.mkdir(self.libexec, 0o755)
        for name in DAEMONS:
            os.symlink(os.path.join(BIN, name), os.path.join(self.libexec, name))
        os.symlink(os.path.join(TEST_BIN, "tern-test-agent"),
                   os.path.join(self.libexec, "tern-test-agent"))
        self.out = os.path.join(base, "delivered")
        self.transport_file = os.path.join(base, "transport")
        with open(self.transport_file, "w") as f:
            f.write(transports)
        make_queues(self.inst, QUEUES)
        settings = {
            "daemon_directory": self.libexec, "myhostname": "tern.test",
            "mydomain": "tern.test", "default_transport": "test", "local_transport": "test",
            "relay_transport": "test", "transport_maps": f"texthash:{self.transport_file}",
            "minimal_backoff_time": "100s", "maximal_backoff_time": "400s",
            "queue_run_delay": "300s",
        }
        settings.update(main_cf or {})
        self.inst.write_main_cf(settings)
        self.inst.write_master_cf(MASTER_CF.format(out=self.out) + master_cf_extra)
        self.bounce = None
        # Daemons log through the datagram sink at public/postlog, whose queue
        # is short: drain it all the time so that no record is dropped.
        self.start_drain()

    def start(self, bounce=True, bounce_status=0):
        os.makedirs(self.inst.path("private"), exist_ok=True)
        self.inst.start()
        if bounce:
            self.bounce = FakeBounce(self.inst.queue_dir, bounce_status)

    def qfile(self, *rcpts, queue="incoming", sender="sender@example.com", attrs=(),
              body="Subject: test\n\nhello\n", args=()):
        return write_qfile(self.inst.queue_dir, rcpts, queue, sender, attrs, body, args)

    def place(self, qid, queue):
        """Moves a message written to hold (where qmgr never looks) into QUEUE."""
        return place_message(self.inst, qid, queue)

    def trigger(self, data=b"I"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(5)
        sock.connect(self.inst.path("public", "qmgr"))
        sock.sendall(data)
        sock.close()

    def delivered(self):
        """[(queue_id, recipient)] in delivery order."""
        try:
            with open(self.out) as f:
                text = f.read()
        except FileNotFoundError:
            return []
        return re.findall(r"^=== (\S+) <([^>]*)>", text, re.M)

    def events(self):
        try:
            with open(self.out + ".events") as f:
                return [line.split() for line in f]
        except FileNotFoundError:
            return []

    def files(self, queue):
        found = []
        for _dirpath, _dirs, files in os.walk(self.inst.path(queue)):
            found.extend(n for n in files if not n.startswith("."))
        return sorted(found)

    def find(self, queue, queue_id):
        for dirpath, _dirs, files in os.walk(self.inst.path(queue)):
            if queue_id in files:
                return os.path.join(dirpath, queue_id)
        return None

    def qmgr_pid(self):
        for pid in self.inst.children():
            if os.path.basename(cmdline(pid)[0] if cmdline(pid) else "") == "qmgr":
                return pid
        return None

    def cleanup(self):
        self.stop_drain()
        if self.bounce:
            self.bounce.close()
        self.inst.cleanup()


@pytest.fixture
def make_qmgr():
    made = []

    def make(**kwargs):
        q = QmgrInstance(**kwargs)
        made.append(q)
        return q
    yield make
    for q in made:
        q.cleanup()


def max_overlap(events):
    """The most requests of the test agent that were under way at once."""
    points = []
    for e in events:
        points.append((float(e[3]), 1 if e[0] == "start" else -1))
    points.sort(key=lambda p: (p[0], p[1]))
    busy = best = 0
    for _t, d in points:
        busy += d
        best = max(best, busy)
    return best


DELIVERY_LINE = (r"postfix/tern-test-agent\[\d+\]: {id}: to=<{rcpt}>, relay=test, "
                 r"delay=\d+(\.\d+)?, delays=\d+(\.\d+)?/\d+(\.\d+)?/0/\d+(\.\d+)?, "
                 r"dsn=2\.0\.0, status=sent \(delivered to test file\)")


# --- tests ---

def test_delivers_many_messages_with_exact_log_lines(make_qmgr):
    q = make_qmgr()
    q.start()
    ids = [q.qfile(f"user{i}@example.com") for i in range(20)]
    q.trigger(b"I")
    assert wait_for(lambda: len(q.delivered()) == 20), q.log()
    assert sorted(i for i, _r in q.delivered()) == sorted(ids)
    q.wait_log(r"postfix/qmgr\[\d+\]: \w+: removed$", count=20)
    log = q.log()
    for i, qid in enumerate(ids):
        assert re.search(rf"postfix/qmgr\[\d+\]: {qid}: from=<sender@example\.com>, size=24, "
                         rf"nrcpt=1 \(queue active\)$", log, re.M), log
        assert re.search(DELIVERY_LINE.format(id=qid, rcpt=f"user{i}@example\\.com"), log), log
    assert q.files("active") == [] and q.files("incoming") == []


def test_recipient_limit_per_request(make_qmgr):
    q = make_qmgr(main_cf={"test_destination_recipient_limit": "3"})
    q.start()
    qid = q.qfile(*[f"r{i}@example.com" for i in range(7)])
    q.trigger()
    assert wait_for(lambda: len(q.delivered()) == 7), q.log()
    counts = sorted(int(e[2]) for e in q.events() if e[0] == "start")
    assert counts == [1, 3, 3]
    q.wait_log(rf"{qid}: removed")


def test_concurrency_limit_is_observed(make_qmgr):
    q = make_qmgr(main_cf={"test_destination_concurrency_limit": "2",
                           "test_destination_recipient_limit": "1"})
    q.start()
    for i in range(6):
        q.qfile(f"slow-{i}@example.com")
    q.trigger()
    assert wait_for(lambda: len(q.delivered()) == 6, timeout=20), q.log()
    assert max_overlap(q.events()) == 2


def test_other_destinations_run_in_parallel(make_qmgr):
    q = make_qmgr(main_cf={"test_destination_concurrency_limit": "1"})
    q.start()
    for i in range(4):
        q.qfile(f"slow-{i}@d{i}.example")
    q.trigger()
    assert wait_for(lambda: len(q.delivered()) == 4, timeout=20), q.log()
    assert max_overlap(q.events()) >= 3


def test_deferral_sets_backoff_mtime_and_defer_log(make_qmgr):
    q = make_qmgr()
    q.start()
    qid = q.qfile("defer-a@example.com", "ok@example.com")
    before = time.time()
    q.trigger()
    q.wait_log(rf"{qid}: to=<defer-a@example\.com>, relay=test, .*dsn=4\.2\.0, "
               rf"status=deferred \(test defer\)")
    assert wait_for(lambda: q.find("deferred", qid)), q.log()
    path = q.find("deferred", qid)
    mtime = os.stat(path).st_mtime
    assert before + 100 - 2 <= mtime <= time.time() + 100 + 2
    with open(q.find("defer", qid)) as f:
        text = f.read()
    assert "recipient=defer-a@example.com" in text and "reason=test defer" in text
    assert [r for _i, r in q.delivered()] == ["ok@example.com"]
    assert q.files("active") == []
    assert f"{qid}: removed" not in q.log()
    # The next attempt: only the pending recipient is tried again.
    os.utime(path, (time.time() - 1, time.time() - 1))
    q.trigger(b"D")
    q.wait_log(rf"{qid}: to=<defer-a@example\.com>.*status=deferred", count=2)
    assert [r for _i, r in q.delivered()] == ["ok@example.com"]


def test_deferred_scan_honours_mtime_and_flush_takes_all(make_qmgr):
    q = make_qmgr()
    q.start()
    qid = q.qfile("later@example.com", queue="hold")
    os.utime(q.find("hold", qid), (time.time() + 3600, time.time() + 3600))
    path = q.place(qid, "deferred")
    q.trigger(b"D")
    time.sleep(0.5)  # nothing may happen: give qmgr the chance to do it wrongly
    assert q.delivered() == [] and q.find("deferred", qid)
    q.trigger(b"DA")
    assert wait_for(lambda: q.delivered() == [(qid, "later@example.com")]), q.log()
    q.wait_log(rf"{qid}: removed")


def test_expiry_returns_the_message_with_the_last_reason(make_qmgr):
    q = make_qmgr(main_cf={"maximal_queue_lifetime": "0"})
    q.start()
    qid = q.qfile("defer-x@example.com")
    q.trigger()
    q.wait_log(rf"postfix/qmgr\[\d+\]: {qid}: from=<sender@example\.com>, "
               rf"status=expired, returned to sender$")
    q.wait_log(rf"{qid}: removed")
    reqs = [r for r in q.bounce.requests if r["queue_id"] == qid]
    assert [r["request"] for r in reqs] == ["bounce"]
    assert reqs[0]["service"] == "bounce" and reqs[0]["sender"] == "sender@example.com"
    assert "recipient=defer-x@example.com" in reqs[0]["bounce_log"]
    assert "reason=test defer" in reqs[0]["bounce_log"]
    assert "action=failed" in reqs[0]["bounce_log"]
    assert q.files("bounce") == [] and q.find("deferred", qid) is None


def test_expiry_bit_returns_message_at_next_attempt(make_qmgr):
    q = make_qmgr()
    q.start()
    qid = q.qfile("anyone@example.com", queue="hold")
    os.chmod(q.find("hold", qid), 0o710)  # postsuper -e
    q.place(qid, "deferred")
    q.trigger(b"DA")
    q.wait_log(rf"{qid}: from=<sender@example\.com>, status=expired, returned to sender")
    q.wait_log(rf"{qid}: removed")
    assert q.delivered() == []
    req = [r for r in q.bounce.requests if r["queue_id"] == qid][0]
    assert "reason=message is administratively expired" in req["bounce_log"]


def test_bounce_reason_bounces_everyone_and_delivers_nothing(make_qmgr):
    """Content cleanup refused: cleanup logs the recipients' bounced lines,
    qmgr sends the notice and removes the file without a line of its own
    (no "queue active", no "to=", no "removed"), as Postfix's qmgr never
    sees such a message."""
    q = make_qmgr()
    q.start()
    qid = q.qfile("a@example.com", "b@example.com",
                  attrs=["bounce_reason=5.7.1 message content rejected"])
    q.trigger()
    assert wait_for(lambda: [r for r in q.bounce.requests if r["queue_id"] == qid]), q.log()
    assert wait_for(lambda: not any(q.find(queue, qid) for queue in
                                    ("incoming", "active", "deferred"))), q.log()
    assert f"{qid}:" not in q.log()
    assert q.delivered() == []
    req = [r for r in q.bounce.requests if r["queue_id"] == qid]
    assert len(req) == 1 and req[0]["request"] == "bounce"
    assert req[0]["bounce_log"].count("recipient=") == 2
    assert "status=5.7.1" in req[0]["bounce_log"]
    assert "reason=message content rejected" in req[0]["bounce_log"]


def test_bounce_failure_keeps_the_message(make_qmgr):
    q = make_qmgr()
    q.start(bounce_status=-1)
    qid = q.qfile("bounce-me@example.com")
    q.trigger()
    q.wait_log(rf"warning: {qid}: bounce request to bounce service failed")
    assert wait_for(lambda: q.find("deferred", qid)), q.log()
    assert q.find("bounce", qid), "bounce log must be kept for the next try"
    assert f"{qid}: removed" not in q.log()


def test_error_retry_discard_agents(make_qmgr):
    q = make_qmgr(transports="err.example error:5.1.2 bad host\n"
                             "plain.example error:no code here\n"
                             "retry.example retry:4.4.1 try later\n"
                             "discard.example discard:silently\n")
    q.start()
    qid = q.qfile("u@err.example", "u@plain.example", "u@retry.example", "u@discard.example")
    q.trigger()
    q.wait_log(rf"postfix/error\[\d+\]: {qid}: to=<u@err\.example>, relay=none, "
               rf"delay=[\d.]+, delays=[\d.]+/[\d.]+/0/[\d.]+, dsn=5\.1\.2, "
               rf"status=bounced \(bad host\)")
    q.wait_log(rf"{qid}: to=<u@plain\.example>, .*dsn=5\.0\.0, status=bounced \(no code here\)")
    q.wait_log(rf"postfix/error\[\d+\]: {qid}: to=<u@retry\.example>, relay=none, "
               rf".*dsn=4\.4\.1, status=deferred \(try later\)")
    q.wait_log(rf"postfix/discard\[\d+\]: {qid}: to=<u@discard\.example>, relay=none, "
               rf".*dsn=2\.0\.0, status=sent \(silently\)")
    assert wait_for(lambda: q.find("deferred", qid)), q.log()
    assert wait_for(lambda: [r for r in q.bounce.requests if r["queue_id"] == qid])
    req = [r for r in q.bounce.requests if r["queue_id"] == qid][0]
    assert req["bounce_log"].count("recipient=") == 2


def test_unknown_transport_defers_as_unavailable(make_qmgr):
    q = make_qmgr(transports="nosuch.example nosuch:\n")
    q.start()
    qid = q.qfile("u@nosuch.example")
    q.trigger()
    q.wait_log(rf"postfix/qmgr\[\d+\]: {qid}: to=<u@nosuch\.example>, relay=none, "
               rf".*dsn=4\.3\.0, status=deferred \(mail transport unavailable\)")
    q.wait_log(r"warning: connect to transport private/nosuch: No such file or directory")
    assert wait_for(lambda: q.find("deferred", qid)), q.log()


def test_crashing_agent_defers_its_recipients(make_qmgr):
    q = make_qmgr()
    q.start()
    qid = q.qfile("crash-1@example.com")
    ok = q.qfile("fine@example.com")
    q.trigger()
    q.wait_log(rf"{qid}: to=<crash-1@example\.com>, relay=none, .*dsn=4\.3\.0, "
               rf"status=deferred \(unknown mail transport error\)")
    assert wait_for(lambda: q.find("deferred", qid)), q.log()
    assert wait_for(lambda: (ok, "fine@example.com") in q.delivered()), q.log()


def test_redirect_and_filter_attributes(make_qmgr):
    q = make_qmgr(transports="err.example error:5.1.2 bad host\n")
    q.start()
    red = q.qfile("a@example.com", "b@example.com", attrs=["redirect=boss@example.org"])
    filt = q.qfile("u@err.example", attrs=["filter=test:filter.example"])
    q.trigger()
    q.wait_log(rf"{red}: removed")
    q.wait_log(rf"{filt}: removed")
    got = q.delivered()
    assert sorted(r for i, r in got if i == red) == ["boss@example.org", "boss@example.org"]
    assert [r for i, r in got if i == filt] == ["u@err.example"]
    with open(q.out) as f:
        assert f"=== {filt} <u@err.example> <sender@example.com> nexthop=filter.example" in f.read()


def test_trace_flags_verify_only_delivers_nothing(make_qmgr):
    q = make_qmgr()
    q.start()
    qid = q.qfile("someone@example.com", attrs=["trace_flags=2"])
    q.trigger()
    q.wait_log(rf"{qid}: to=<someone@example\.com>, relay=test, .*status=deliverable")
    q.wait_log(rf"{qid}: removed")
    assert q.delivered() == []
    req = [r for r in q.bounce.requests if r["queue_id"] == qid]
    assert len(req) == 1 and req[0]["request"] == "trace" and req[0]["service"] == "trace"
    assert "recipient=someone@example.com" in req[0]["trace_log"]


def test_corrupt_file_is_quarantined_and_mail_flows(make_qmgr):
    q = make_qmgr()
    q.start()
    bad = q.qfile("x@example.com", queue="hold")
    path = q.find("hold", bad)
    with open(path, "r+b") as f:
        f.seek(-20, os.SEEK_END)
        byte = f.read(1)
        f.seek(-20, os.SEEK_END)
        f.write(bytes([byte[0] ^ 0xFF]))
    q.place(bad, "incoming")
    good = q.qfile("y@example.com")
    q.trigger()
    q.wait_log(rf"warning: {bad}: corrupt queue file in active queue moved to corrupt queue: ")
    assert wait_for(lambda: q.delivered() == [(good, "y@example.com")]), q.log()
    assert q.files("corrupt") == [bad]


def test_crash_recovery_after_kill_9(make_qmgr):
    q = make_qmgr(main_cf={"test_destination_recipient_limit": "1"})
    q.start()
    ids = [q.qfile(f"slow-{i}@example.com", "fast@example.com") for i in range(4)]
    q.trigger()
    assert wait_for(lambda: len(q.files("active")) >= 1), q.log()
    pid = q.qmgr_pid()
    assert pid
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not alive(pid))
    q.wait_log(r"qmgr.*(killed|signal)", timeout=10)
    time.sleep(0.2)
    # A wake-up makes the master start a new qmgr, which recovers active.
    assert wait_for(lambda: _try_trigger(q), timeout=10)
    want = {(i, f"slow-{n}@example.com") for n, i in enumerate(ids)}
    want |= {(i, "fast@example.com") for i in ids}
    assert wait_for(lambda: want <= set(q.delivered()), timeout=30), q.log()
    for qid in ids:
        q.wait_log(rf"{qid}: removed")
    assert q.files("active") == [] and q.files("incoming") == []


def _try_trigger(q):
    try:
        q.trigger(b"I")
        return True
    except OSError:
        return False


def test_postsuper_delete_and_hold_during_delivery(make_qmgr):
    if not os.access(os.path.join(BIN, "postsuper"), os.X_OK):
        pytest.skip("postsuper is not built")
    q = make_qmgr()
    q.start()
    gone = q.qfile("slow-a@example.com")
    held = q.qfile("slow-b@example.com")
    q.trigger()
    assert wait_for(lambda: len([e for e in q.events() if e[0] == "start"]) == 2), q.log()
    env = program_env(MAIL_CONFIG=q.inst.conf_dir)
    postsuper = os.path.join(BIN, "postsuper")
    r = subprocess.run([postsuper, "-d", gone], capture_output=True, env=env, timeout=10)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([postsuper, "-h", held], capture_output=True, env=env, timeout=10)
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: len(q.delivered()) == 2, timeout=10), q.log()
    time.sleep(0.5)  # let qmgr handle the results
    log = q.log()
    assert not re.search(rf"postfix/qmgr\[\d+\]: ({gone}|{held}): removed", log), log
    assert q.find("hold", held) and not q.find("active", held) and not q.find("deferred", held)
    for queue in ("active", "deferred", "incoming", "defer", "bounce"):
        assert gone not in q.files(queue), queue


def test_backoff_is_age_clamped_to_maximal_backoff_time(make_qmgr):
    q = make_qmgr()
    q.start()
    old = int(time.time()) - 3600
    qid = q.qfile("defer-old@example.com", args=["-t", str(old)])
    q.trigger()
    assert wait_for(lambda: q.find("deferred", qid)), q.log()
    mtime = os.stat(q.find("deferred", qid)).st_mtime
    assert abs(mtime - (time.time() + 400)) < 5  # age 3600s > maximal_backoff_time 400s


def test_delay_warning_is_sent_once(make_qmgr):
    q = make_qmgr()
    q.start()
    qid = q.qfile("defer-w@example.com", args=["-w", str(int(time.time()) - 10)])
    q.trigger()
    assert wait_for(lambda: [r for r in q.bounce.requests if r["queue_id"] == qid]), q.log()
    req = [r for r in q.bounce.requests if r["queue_id"] == qid]
    assert [(r["service"], r["request"]) for r in req] == [("defer", "delay")]
    assert "recipient=defer-w@example.com" in req[0]["defer_log"]
    assert wait_for(lambda: q.find("deferred", qid)), q.log()
    path = q.find("deferred", qid)
    os.utime(path, (time.time() - 1, time.time() - 1))
    q.trigger(b"D")
    q.wait_log(rf"{qid}: to=<defer-w@example\.com>.*status=deferred", count=2)
    assert wait_for(lambda: q.find("deferred", qid)), q.log()
    assert len([r for r in q.bounce.requests if r["queue_id"] == qid]) == 1


def test_bounce_queue_lifetime_applies_to_the_null_sender(make_qmgr):
    q = make_qmgr(main_cf={"bounce_queue_lifetime": "0"})
    q.start()
    bounce = q.qfile("defer-b@example.com", sender="")
    normal = q.qfile("defer-n@example.com")
    q.trigger()
    q.wait_log(rf"{bounce}: from=<>, status=expired, returned to sender")
    assert wait_for(lambda: q.find("deferred", normal)), q.log()
    assert "status=expired" not in "".join(
        line for line in q.log().splitlines() if normal in line)


def test_trace_flags_record_successes(make_qmgr):
    q = make_qmgr()
    q.start()
    qid = q.qfile("t@example.com", attrs=["trace_flags=1"])
    q.trigger()
    q.wait_log(rf"{qid}: removed")
    assert q.delivered() == [(qid, "t@example.com")]
    req = [r for r in q.bounce.requests if r["queue_id"] == qid]
    assert [(r["service"], r["request"]) for r in req] == [("trace", "trace")]
    assert "action=delivered" in req[0]["trace_log"]


def test_active_and_recipient_limits(make_qmgr):
    q = make_qmgr(main_cf={"qmgr_message_active_limit": "2",
                           "qmgr_message_recipient_limit": "2",
                           "qmgr_message_recipient_minimum": "2",
                           "test_destination_recipient_limit": "10"})
    q.start()
    ids = [q.qfile(*[f"r{n}-{i}@example.com" for n in range(5)]) for i in range(5)]
    q.trigger()
    assert wait_for(lambda: len(q.delivered()) == 25, timeout=20), q.log()
    for qid in ids:
        q.wait_log(rf"{qid}: removed")
    # Slices of two recipients: no request carries more than two.
    assert max(int(e[2]) for e in q.events() if e[0] == "start") == 2


def test_dead_destination_and_f_trigger(make_qmgr):
    q = make_qmgr(main_cf={"initial_destination_concurrency": "1",
                           "test_destination_recipient_limit": "1"})
    q.start()
    first = q.qfile("crash-1@dead.example")
    q.trigger()
    q.wait_log(rf"{first}: to=<crash-1@dead\.example>.*status=deferred "
               rf"\(unknown mail transport error\)")
    starts = len([e for e in q.events() if e[0] == "start"])
    second = q.qfile("a@dead.example")
    q.trigger()
    q.wait_log(rf"postfix/qmgr\[\d+\]: {second}: to=<a@dead\.example>, relay=none, .*dsn=4\.3\.0, "
               rf"status=deferred \(delivery temporarily suspended: unknown mail transport error\)")
    assert len([e for e in q.events() if e[0] == "start"]) == starts
    other = q.qfile("b@alive.example")
    q.trigger()
    assert wait_for(lambda: (other, "b@alive.example") in q.delivered()), q.log()
    q.trigger(b"F")
    third = q.qfile("c@dead.example")
    q.trigger()
    assert wait_for(lambda: (third, "c@dead.example") in q.delivered()), q.log()


LOCAL_MASTER_CF = """\
local     unix  -       n       n       -       -       local
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
cleanup   unix  n       -       n       -       0       cleanup
"""


def test_with_real_local_bounce_and_cleanup(make_qmgr, monkeypatch):
    import mailbox
    for name in ("local", "bounce", "cleanup"):
        if not os.access(os.path.join(BIN, name), os.X_OK):
            pytest.skip(f"{name} is not built")
    monkeypatch.setattr(__import__(__name__), "DAEMONS", DAEMONS + ["local", "bounce", "cleanup"])
    q = make_qmgr(main_cf={"local_transport": "local", "mydestination": "tern.test",
                           "alias_maps": ""},
                  master_cf_extra=LOCAL_MASTER_CF)
    spool = os.path.join(q.inst.base, "spool")
    os.mkdir(spool)
    os.chmod(spool, 0o1777)
    q.inst.write_main_cf({"mail_spool_directory": spool})
    q.start(bounce=False)
    good = q.qfile("root@tern.test", sender="root@tern.test")
    bad = q.qfile("nosuchuser@tern.test", sender="root@tern.test")
    q.trigger()
    q.wait_log(rf"postfix/local\[\d+\]: {good}: to=<root@tern\.test>, relay=local, .*"
               rf"dsn=2\.0\.0, status=sent \(delivered to mailbox\)")
    q.wait_log(rf"postfix/qmgr\[\d+\]: {bad}: removed")
    q.wait_log(r"postfix/qmgr\[\d+\]: \w+: from=<>, size=\d+, nrcpt=1 \(queue active\)")
    path = os.path.join(spool, "root")
    assert wait_for(lambda: os.path.exists(path) and len(mailbox.mbox(path)) == 2, timeout=10), \
        q.log()
    subjects = sorted(m["Subject"] for m in mailbox.mbox(path))
    assert subjects == ["Undelivered Mail Returned to Sender", "test"], subjects
    assert wait_for(lambda: not any(q.files(x) for x in ("active", "incoming", "deferred")))


def test_startup_recovers_active_and_skips_done_recipients(make_qmgr):
    q = make_qmgr()
    qid = q.qfile("done@example.com||||1", "pending@example.com", queue="active")
    q.start()  # qmgr starts with the master: active -> incoming -> delivery
    assert wait_for(lambda: q.delivered() == [(qid, "pending@example.com")]), q.log()
    q.wait_log(rf"postfix/qmgr\[\d+\]: {qid}: from=<sender@example\.com>, size=24, nrcpt=2 "
               rf"\(queue active\)")
    q.wait_log(rf"{qid}: removed")
    assert q.files("active") == [] and q.files("incoming") == []


def test_many_recipients_in_slices(make_qmgr):
    q = make_qmgr(main_cf={"qmgr_message_recipient_limit": "7"})
    q.start()
    many = q.qfile(*[f"m{i}@example.com" for i in range(300)])
    rejected = q.qfile(*[f"x{i}@example.com" for i in range(200)],
                       attrs=["bounce_reason=5.7.1 go away"])
    q.trigger()
    assert wait_for(lambda: len(q.delivered()) == 300, timeout=30), q.log()[-3000:]
    assert len(set(q.delivered())) == 300
    q.wait_log(rf"{many}: removed")
    # Refused content: bounced without qmgr log lines (cleanup logs them).
    assert wait_for(lambda: [r for r in q.bounce.requests if r["queue_id"] == rejected])
    assert wait_for(lambda: not any(q.find(queue, rejected) for queue in
                                    ("incoming", "active", "deferred"))), q.log()[-3000:]
    assert f"{rejected}:" not in q.log()
    req = [r for r in q.bounce.requests if r["queue_id"] == rejected]
    assert len(req) == 1 and req[0]["bounce_log"].count("recipient=") == 200


def test_trace_report_after_first_attempt_only(make_qmgr):
    """sendmail -v (trace_flags 1): the report covers the first delivery
    attempt and is sent then, deferred recipients or not (as Postfix); later
    attempts record and report nothing more."""
    q = make_qmgr()
    q.start()
    qid = q.qfile("ok@example.com", "defer-v@example.com", attrs=["trace_flags=1"])
    q.trigger()
    assert wait_for(lambda: q.find("deferred", qid)), q.log()
    req = [r for r in q.bounce.requests if r["queue_id"] == qid]
    assert [(r["service"], r["request"]) for r in req] == [("trace", "trace")]
    assert "recipient=ok@example.com" in req[0]["trace_log"]
    assert "action=delivered" in req[0]["trace_log"]
    assert "recipient=defer-v@example.com" in req[0]["trace_log"]
    assert "action=delayed" in req[0]["trace_log"]
    assert q.files("trace") == []
    path = q.find("deferred", qid)
    assert os.stat(path).st_mode & 0o001  # the report is sent: marked in the mode
    os.utime(path, (time.time() - 1, time.time() - 1))
    q.trigger(b"D")
    q.wait_log(rf"{qid}: to=<defer-v@example\.com>.*status=deferred", count=2)
    assert wait_for(lambda: q.find("deferred", qid)), q.log()
    time.sleep(0.3)
    assert len([r for r in q.bounce.requests if r["queue_id"] == qid]) == 1
    assert q.files("trace") == []
