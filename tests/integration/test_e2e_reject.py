"""Mail submitted locally (sendmail -> postdrop -> pickup -> cleanup)
whose content cleanup refuses: header_checks and body_checks REJECT,
message_size_limit (set on the cleanup service in master.cf) and
hopcount_limit. Each case runs on Tern and on Debian's Postfix with the
same settings (the Scenario of test_e2e_cleanup.py) and compares:

- every log line about the refused message, in order: cleanup's reject
  or warning lines, its message-id line and the per-recipient
  "relay=none, ..., status=bounced" lines, which Postfix's cleanup logs
  itself (qmgr logs nothing about the message: no "queue active", no
  "removed"), then bounce's "sender non-delivery notification";
- the lines about the notice (as a set: qmgr and bounce race);
- the notice the sender gets (its parts, the delivery-status report);
- what pflogsumm counts (Grand Totals, senders).

One difference is left out on purpose: for an oversized message Postfix
also logs "warning: incoming/ID: unexpected EOF in data, record type 78
...", a side effect of how it reads back its truncated queue file; Tern
keeps no truncated file and logs no such warning.

The last tests check durability: when the bounce service cannot take
the notice, the refused message stays queued (deferred) and is returned
to its sender once the service works again; and with qmgr killed after
each refused message was queued, every sender still gets the notice.
"""
import os
import re
import signal
import subprocess

import pytest

from tern_instance import PostfixOracle, cmdline, wait_for
from test_e2e_cleanup import Scenario, idle, mask

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")

BIG_BODY = b"".join(b"line %04d " % i + b"x" * 60 + b"\n" for i in range(100))
ALIASES = "postmaster: root\nsender: root\ncarol: root\n"
RCPTS = ["root", "bob@tern.test", "carol"]
POSTFIX_ONLY = re.compile(r"unexpected EOF in data, record type")

CASES = {
    "header": (dict(tables={"header_checks": "/^Subject: bad/ REJECT no bad subjects\n"}),
               b"Subject: bad one\n\nhello\n"),
    "header-default-text": (dict(tables={"header_checks": "/^X-Evil:/ REJECT\n"}),
                            b"Subject: fine\nX-Evil: yes\n\nhello\n"),
    "body": (dict(tables={"body_checks": "/^evil/ REJECT\n"}),
             b"Subject: fine\n\nfirst\nevil text\n"),
    "size": (dict(cleanup_opts=" -o message_size_limit=3000"), b"Subject: big\n\n" + BIG_BODY),
    "hold-then-reject": (dict(tables={"header_checks": "/^Subject: hold/ HOLD\n",
                                      "body_checks": "/^evil/ REJECT\n"}),
                         b"Subject: hold me\n\nevil\n"),
    "hops": (dict(main_cf={"hopcount_limit": "3"}),
             b"Received: a\nReceived: b\nReceived: c\nReceived: d\nSubject: hops\n\nx\n"),
}

LINE = re.compile(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ postfix/([\w-]+)\[\d+\]: (.*)$")
QID = re.compile(r"\b[0-9A-F]{10,12}\b")


def story(system):
    """(program, text) per queue id, ids in the order of first mention."""
    by_id = {}
    for raw in system.log().splitlines():
        m = LINE.match(raw)
        if not m or POSTFIX_ONLY.search(m.group(2)):
            continue
        ids = QID.findall(m.group(2))
        if not ids:
            continue
        text = mask(re.sub(r"^[0-9A-F]{10,12}: ", "", m.group(2)))
        text = re.sub(r"delay=[\d.]+, delays=[\d./]+", "delay=D, delays=D", text)
        text = re.sub(r"size=\d+", "size=N", text)
        by_id.setdefault(ids[0], []).append((m.group(1), text))
    return list(by_id.values())


def report(box):
    """The notice's parts and its delivery-status report, masked."""
    assert len(box) == 1, [m["Subject"] for m in box]
    notice = box[0]
    assert notice["Subject"] == "Undelivered Mail Returned to Sender"
    parts = notice.get_payload()
    kinds = [p.get_content_type() for p in parts]
    status = parts[1].as_string().split("\n\n", 1)[1]
    status = mask(re.sub(r"X-(Postfix|Tern)", "X-MTA", status))
    status = re.sub(r"Arrival-Date: .*", "Arrival-Date: DATE", status)
    headers = mask(parts[2].get_payload() if parts[2].is_multipart() is False else "")
    return kinds, status, re.sub(r"\n\s+", " ", headers)


def grand_totals(system):
    """pflogsumm's Grand Totals and sender lists, byte counts of the
    notice itself (its wording differs) left out."""
    with open(system.log_file) as f:
        text = subprocess.run(["pflogsumm"], stdin=f, capture_output=True, text=True,
                              timeout=30).stdout
    totals = text.split("Grand Totals", 1)[1].split("Per-Hour", 1)[0]
    senders = text.split("Senders by message count", 1)[1].split("Recipients by", 1)[0]
    kept = [line for line in (totals + senders).splitlines() if "bytes delivered" not in line]
    return "\n".join(kept)


def run_both(s, message):
    for system in (s.tern, s.oracle):
        system.start()
        result = system.sendmail("-i", "-f", "sender@tern.test", *RCPTS, input=message)
        assert result.returncode == 0, (system, result.stderr)
        system.wait_mail("root", count=1, timeout=30)
        idle(system)
        # The notice's last line ("removed") may trail its delivery.
        assert wait_for(lambda: len(story(system)) == 2 and story(system)[1][-1][1] == "removed",
                        timeout=10), system.log()


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_content_logged_and_returned_as_postfix_does(case):
    kwargs, message = CASES[case]
    s = Scenario(aliases=ALIASES, **kwargs)
    try:
        run_both(s, message)
        ours, theirs = story(s.tern), story(s.oracle)
        assert ours[0] == theirs[0], "\n".join(
            ["tern:"] + [f"{p}: {t}" for p, t in ours[0]] +
            ["postfix:"] + [f"{p}: {t}" for p, t in theirs[0]])
        assert sorted(ours[1]) == sorted(theirs[1])
        programs = [p for p, _ in ours[0]]
        assert "qmgr" not in programs and programs[-1] == "bounce"
        assert sum(1 for _, t in ours[0] if "status=bounced" in t) == len(RCPTS)
        assert report(s.tern.mbox("root")) == report(s.oracle.mbox("root"))
        assert grand_totals(s.tern) == grand_totals(s.oracle)
    finally:
        s.cleanup()


def test_refused_message_waits_for_the_bounce_service():
    """With no bounce service the refused message stays queued; once the
    service is back (and the queue flushed) the sender gets the notice."""
    s = Scenario(aliases=ALIASES, tables={"body_checks": "/^evil/ REJECT\n"})
    tern = s.tern
    try:
        master_cf = open(os.path.join(tern.conf_dir, "master.cf")).read()
        broken = re.sub(r"(?m)^bounce(\s+unix\s.*)$", r"bounce-off\1", master_cf)
        tern.write_master_cf(broken)
        tern.start()
        result = tern.sendmail("-i", "-f", "sender@tern.test", "root", input=b"Subject: x\n\nevil\n")
        assert result.returncode == 0, result.stderr
        tern.wait_log(r"request to bounce service failed", timeout=20)
        assert wait_for(lambda: tern.queue_files("deferred"), timeout=10), tern.log()
        assert tern.mbox("root") == []
        tern.write_master_cf(master_cf)
        tern.reload()
        assert tern.postfix("flush").returncode == 0
        box = tern.wait_mail("root", count=1, timeout=30)
        assert box[0]["Subject"] == "Undelivered Mail Returned to Sender"
        idle(tern)
        refused = story(tern)[0]
        assert sum(1 for _, t in refused if "status=bounced" in t) == 1
        assert not [t for p, t in refused if p == "qmgr" and not t.startswith("warning:")]
    finally:
        s.cleanup()


def test_notices_survive_qmgr_killed_while_bouncing():
    """qmgr killed (SIGKILL) right after each refused message was queued:
    the restarted qmgr finds the message (incoming or active) and the
    sender still gets one notice for each."""
    # A qmgr killed before its first request throttles the service: briefly.
    s = Scenario(aliases=ALIASES, tables={"body_checks": "/^evil/ REJECT\n"},
                 main_cf={"service_throttle_time": "1s"})
    tern = s.tern
    count = 4
    try:
        tern.start()
        for i in range(count):
            result = tern.sendmail("-i", "-f", "sender@tern.test", "root",
                                   input=b"Subject: %d\n\nevil\n" % i)
            assert result.returncode == 0, result.stderr
            assert wait_for(lambda: tern.log().count("status=bounced") > i, timeout=20), tern.log()
            for pid in tern.children():
                if "qmgr" in " ".join(cmdline(pid)):
                    os.kill(pid, signal.SIGKILL)
        # As Postfix's master, Tern's starts the next qmgr at the next wake-up
        # or trigger: notices left in active by the last kill need one.
        tern.run("postqueue", "-f")
        box = tern.wait_mail("root", count=count, timeout=60)
        idle(tern)
        refused = set(re.findall(r"\b([0-9A-F]{10,12}): to=<root@tern\.test>, orig_to=<root>, "
                                 r"relay=none, .*status=bounced", tern.log()))
        returned = set(re.findall(r"X-Tern-Queue-ID: ([0-9A-F]+)",
                                  "".join(m.as_string() for m in box)))
        assert len(refused) == count and returned == refused, tern.log()
        assert all(m["Subject"] == "Undelivered Mail Returned to Sender" for m in box)
    finally:
        s.cleanup()
