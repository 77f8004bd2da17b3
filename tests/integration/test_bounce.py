"""The bounce daemon (bounce, defer and trace services) under a real master,
with cleanup and trivial-rewrite: a bounce_v1 request for a message whose
delivery log says what happened gives an RFC 3464 notice that cleanup
commits in incoming/ (no qmgr runs, so it stays there), and Postfix's log
line. Queue files come from tern-test-qfile and logs from tern-test-dsnlog
(the real dsn_log writer); notices are read back with postcat.

Covered: the non-delivery notice to the sender (headers, the three
parts, the original), RET=HDRS, NOTIFY=NEVER (nothing sent), the delay
warning, the double bounce (discarded by default, sent to
2bounce_notice_recipient with notify_classes=2bounce), the postmaster
copy of notify_classes=bounce, and bad input: no log, a corrupt queue
file, an unknown request, a bad queue id, garbage instead of a list.
"""
import os
import pwd
import socket
import subprocess

import pytest

from attr_wire import attr_decode, attr_encode
from tern_instance import BIN, TEST_BIN, TernInstance, program_env

QUEUES = ["maildrop", "incoming", "active", "deferred", "hold", "corrupt", "bounce",
          "defer", "trace", "flush", "saved", "private", "pid"]

MASTER_CF = """\
cleanup   unix  n       -       n       -       0       cleanup
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
"""

MESSAGE = b"Subject: lunch\nFrom: alice@example.com\n\nsee you at noon\n"


def as_postfix():
    pw = pwd.getpwnam("postfix")

    def switch():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    return switch


class BounceInstance(TernInstance):
    def __init__(self, main_cf=None):
        settings = {"myhostname": "mx.example.org", "mydomain": "example.org",
                    "mydestination": "mx.example.org, localhost"}
        settings.update(main_cf or {})
        super().__init__(master_cf=MASTER_CF, main_cf=settings, daemon_directory=BIN)
        pw = pwd.getpwnam("postfix")
        for name in QUEUES:
            path = self.path(name)
            os.makedirs(path, exist_ok=True)
            os.chown(path, pw.pw_uid, -1)

    def queue_file(self, queue="active", sender="alice@example.com",
                   rcpts=("bob@example.com",), args=(), message=MESSAGE):
        cmd = [os.path.join(TEST_BIN, "tern-test-qfile"), "-C", self.queue_dir, "-q", queue,
               "-t", "1700000000", "-s", sender]
        for rcpt in rcpts:
            cmd += ["-r", rcpt]
        proc = subprocess.run(cmd + list(args), input=message, capture_output=True, timeout=10,
                              preexec_fn=as_postfix())
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.decode().strip()

    def failed_message(self, sender="alice@example.com"):
        """A message whose bounce log says bob@example.com failed (5.1.1, "no such
        user"); its id."""
        msg_id = self.queue_file(sender=sender)
        self.log_entry("bounce", msg_id, "bob@example.com", "-s", "5.1.1", "-a", "failed",
                       "-m", "no such user")
        return msg_id

    def notice(self, service, request, msg_id, what, **kwargs):
        """Asks SERVICE for a REQUEST notice about MSG_ID; asserts that one was
        queued and logged as "MSG_ID: WHAT notification: NEWID"; its postcat text."""
        reply = self.request(service, request, msg_id, **kwargs)
        assert reply["status"] == 0 and reply["queue_id"], reply
        self.wait_log(rf"{msg_id}: {what} notification: {reply['queue_id']}$")
        return self.postcat(reply["queue_id"])

    def log_entry(self, queue, msg_id, rcpt, *args):
        cmd = [os.path.join(TEST_BIN, "tern-test-dsnlog"), "-C", self.queue_dir, "-q", queue,
               "-i", msg_id, "-r", rcpt, "-t", "1700000100", *args]
        proc = subprocess.run(cmd, capture_output=True, timeout=10, preexec_fn=as_postfix())
        assert proc.returncode == 0, proc.stderr

    def request(self, service, request, msg_id, sender="alice@example.com", queue="active",
                envid="", ret=0, raw=None):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(20)
            sock.connect(self.path("private", service))
            assert attr_decode(sock) == {"protocol": "bounce_v1"}
            if raw is not None:
                sock.sendall(raw)
            else:
                sock.sendall(attr_encode([("request", request), ("flags", 0), ("queue_name", queue),
                                          ("queue_id", msg_id), ("sender", sender),
                                          ("dsn_envid", envid), ("dsn_ret", ret)]))
            try:
                return attr_decode(sock)
            except EOFError:
                return None

    def postcat(self, msg_id, queue="incoming"):
        proc = subprocess.run([os.path.join(BIN, "postcat"), "-c", self.conf_dir, "-q", msg_id],
                              capture_output=True, timeout=10, env=program_env(TZ="UTC"))
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.decode(errors="replace")

    def incoming(self):
        return sorted(os.listdir(self.path("incoming")))


@pytest.fixture
def inst():
    i = BounceInstance()
    try:
        i.start()
        yield i
    finally:
        i.cleanup()


def test_bounce_sends_notice_to_sender(inst):
    msg_id = inst.queue_file(rcpts=("bob@example.com", "carol@example.com"))
    inst.log_entry("bounce", msg_id, "bob@example.com", "-s", "5.1.1", "-a", "failed",
                   "-m", 'unknown user: "bob"', "-R", "local", "-o", "bobby@example.com")
    reply = inst.request("bounce", "bounce", msg_id)
    assert reply["status"] == 0 and reply["queue_id"], reply
    new_id = reply["queue_id"]
    inst.wait_log(rf"postfix/bounce\[\d+\]: {msg_id}: sender non-delivery notification: {new_id}$")
    assert inst.incoming() == [new_id]
    text = inst.postcat(new_id)
    assert "sender: \n" in text
    assert "recipient: alice@example.com\n" in text
    for want in [f"Received: by mx.example.org (Tern)\n\tid {new_id}; ",
                 "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n",
                 "Subject: Undelivered Mail Returned to Sender\n",
                 "Content-Type: multipart/report; report-type=delivery-status;\n",
                 '<bob@example.com> (expanded from <bobby@example.com>): unknown user: "bob"\n',
                 "Content-Type: message/delivery-status\n",
                 "Reporting-MTA: dns; mx.example.org\n",
                 f"X-Tern-Queue-ID: {msg_id}\n",
                 "X-Tern-Sender: rfc822; alice@example.com\n",
                 "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\n",
                 "Final-Recipient: rfc822; bob@example.com\n"
                 "Original-Recipient: rfc822; bobby@example.com\n"
                 "Action: failed\nStatus: 5.1.1\n",
                 "Diagnostic-Code: X-Tern; unknown user: \"bob\"\n",
                 "Content-Description: Undelivered Message\nContent-Type: message/rfc822\n"
                 "Content-Transfer-Encoding: 8bit\n\nReturn-Path: <alice@example.com>\n"
                 "Subject: lunch\nFrom: alice@example.com\n\nsee you at noon\n"]:
        assert want in text, want
    assert "carol@example.com" not in text.split("*** MESSAGE CONTENTS")[1]
    # The bounce daemon only reads: the message and its log stay.
    assert os.path.exists(inst.path("active", msg_id))
    assert os.path.exists(inst.path("bounce", msg_id))


def test_ret_hdrs_returns_headers_only(inst):
    msg_id = inst.failed_message()
    reply = inst.request("bounce", "bounce", msg_id, ret=2)
    assert reply["status"] == 0 and reply["queue_id"]
    text = inst.postcat(reply["queue_id"])
    assert ("Content-Type: text/rfc822-headers\nContent-Transfer-Encoding: 8bit\n\n"
            "Return-Path: <alice@example.com>\nSubject: lunch\nFrom: alice@example.com\n\n--") \
        in text
    assert "see you at noon" not in text


def test_notify_never_sends_nothing(inst):
    msg_id = inst.queue_file(rcpts=("bob@example.com|||1",))
    inst.log_entry("bounce", msg_id, "bob@example.com", "-n", "1", "-s", "5.1.1",
                   "-a", "failed", "-m", "no such user")
    assert inst.request("bounce", "bounce", msg_id) == {"status": 0, "queue_id": ""}
    assert inst.incoming() == []


def test_delay_warning(inst):
    msg_id = inst.queue_file(queue="deferred")
    inst.log_entry("defer", msg_id, "bob@example.com", "-s", "4.4.1", "-a", "delayed",
                   "-m", "connect to mx.example.com[192.0.2.1]:25: Connection timed out",
                   "-R", "mx.example.com[192.0.2.1]:25")
    text = inst.notice("defer", "delay", msg_id, "sender delay", queue="deferred")
    assert "Subject: Delayed Mail (still being retried)\n" in text
    assert "Action: delayed\nStatus: 4.4.1\nRemote-MTA: dns; mx.example.com\n" in text
    assert "Will-Retry-Until: " in text
    assert "Content-Type: text/rfc822-headers\n" in text


def test_double_bounce_discarded_by_default(inst):
    msg_id = inst.failed_message(sender="")
    assert inst.request("bounce", "bounce", msg_id, sender="") == {"status": 0, "queue_id": ""}
    assert inst.incoming() == []
    # A bounce of double_bounce_sender's mail is never sent anywhere.
    other = inst.failed_message(sender="double-bounce")
    assert inst.request("bounce", "bounce", other, sender="double-bounce") == \
        {"status": 0, "queue_id": ""}
    inst.wait_log(rf"{other}: undeliverable postmaster notification discarded")
    assert inst.incoming() == []
    assert "notification" not in "".join(line for line in inst.log().splitlines()
                                          if msg_id in line)


def test_double_bounce_and_postmaster_copy():
    i = BounceInstance(main_cf={"notify_classes": "bounce, 2bounce",
                                "2bounce_notice_recipient": "twice@mx.example.org",
                                "bounce_notice_recipient": "copies@mx.example.org"})
    try:
        i.start()
        msg_id = i.failed_message(sender="")
        text = i.notice("bounce", "bounce", msg_id, "postmaster non-delivery", sender="")
        assert "sender: double-bounce" in text
        assert "recipient: twice@mx.example.org\n" in text
        assert "Subject: Postmaster Copy: Undelivered Mail\n" in text
        assert "Content-Type: message/rfc822\n" in text

        msg2 = i.failed_message(sender="alice@example.com")
        reply = i.request("bounce", "bounce", msg2)
        i.wait_log(rf"{msg2}: sender non-delivery notification: {reply['queue_id']}$")
        copy = i.wait_log(rf"{msg2}: postmaster non-delivery notification: \w+$")[0].split()[-1]
        text = i.postcat(copy)
        assert "recipient: copies@mx.example.org\n" in text
        assert "Content-Type: text/rfc822-headers\n" in text
        assert "see you at noon" not in text
    finally:
        i.cleanup()


def test_bad_inputs(inst):
    # No log: nothing to report.
    msg_id = inst.queue_file()
    assert inst.request("bounce", "bounce", msg_id) == {"status": 0, "queue_id": ""}
    inst.wait_log(rf"warning: {msg_id}: no bounce log: nothing to report")
    # A corrupt queue file: the notice goes out without the original.
    bad = inst.queue_file()
    path = inst.path("active", bad)
    with open(path, "r+b") as f:
        f.seek(os.path.getsize(path) - 3)
        f.write(b"\xff\xff\xff")
    inst.log_entry("bounce", bad, "bob@example.com", "-s", "5.1.1", "-a", "failed", "-m", "x")
    reply = inst.request("bounce", "bounce", bad)
    assert reply["status"] == 0 and reply["queue_id"]
    inst.wait_log(rf"warning: {bad}: original not attached: ")
    text = inst.postcat(reply["queue_id"])
    assert "Final-Recipient: rfc822; bob@example.com\n" in text
    assert "message/rfc822" not in text and "Subject: lunch" not in text
    assert os.path.exists(path)  # bounce never moves files
    # Unknown request, bad queue id, bad queue name: refused.
    assert inst.request("bounce", "explode", msg_id)["status"] == -1
    assert inst.request("bounce", "bounce", "../x")["status"] == -1
    assert inst.request("bounce", "bounce", msg_id, queue="corrupt")["status"] == -1
    inst.wait_log(r"warning: bounce socket: unknown request")
    inst.wait_log(r"warning: bounce socket: bad queue id")
    # Garbage instead of an attribute list: dropped with a warning.
    assert inst.request("bounce", "", "", raw=b"2garbage") is None
    inst.wait_log(r"warning: bounce socket: malformed attribute list: bad type byte 0x32")


def test_trace_reports(inst):
    # NOTIFY=SUCCESS recipients get a success report; others are left out.
    msg_id = inst.queue_file(rcpts=("bob@example.com|||2", "carol@example.com"))
    inst.log_entry("trace", msg_id, "bob@example.com", "-n", "2", "-s", "2.0.0",
                   "-a", "delivered", "-m", "delivered to mailbox", "-R", "local")
    inst.log_entry("trace", msg_id, "carol@example.com", "-s", "2.0.0",
                   "-a", "delivered", "-m", "delivered to mailbox", "-R", "local")
    text = inst.notice("trace", "trace", msg_id, "sender delivery status")
    assert "Subject: Successful Mail Delivery Report\n" in text
    assert "Final-Recipient: rfc822; bob@example.com\nAction: delivered\n" in text
    assert "carol@example.com" not in text
    # A log without NOTIFY=SUCCESS (sendmail -v): a status report of every entry.
    other = inst.queue_file()
    inst.log_entry("trace", other, "bob@example.com", "-s", "2.0.0", "-a", "delivered",
                   "-m", "delivered to mailbox")
    reply = inst.request("trace", "trace", other)
    text = inst.postcat(reply["queue_id"])
    assert "Subject: Mail Delivery Status Report\n" in text
    assert "<bob@example.com>: delivered to mailbox\n" in text
    # No trace log; a trace of a notice (null sender): nothing sent.
    third = inst.queue_file()
    assert inst.request("trace", "trace", third) == {"status": 0, "queue_id": ""}
    inst.wait_log(rf"{third}: no trace file -- not sending a notification")
    inst.log_entry("trace", third, "bob@example.com", "-s", "2.0.0", "-a", "delivered",
                   "-m", "delivered to mailbox")
    assert inst.request("trace", "trace", third, sender="") == {"status": 0, "queue_id": ""}
    inst.wait_log(rf"{third}: not sending trace/success notification for single-bounce message")


def test_cleanup_down_means_try_later():
    i = BounceInstance()
    try:
        i.write_master_cf("\n".join(line for line in MASTER_CF.splitlines()
                                    if not line.startswith("cleanup")) + "\n")
        i.start()
        msg_id = i.failed_message()
        assert i.request("bounce", "bounce", msg_id) == {"status": -1, "queue_id": ""}
        i.wait_log(rf"warning: {msg_id}: cannot send notice to <alice@example.com>: ")
        assert "sender non-delivery notification" not in i.log()
        assert os.path.exists(i.path("bounce", msg_id))
    finally:
        i.cleanup()
