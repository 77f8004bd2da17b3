"""The tutorials' first chapter, end to end on a whole Tern instance
(MailInstance: postfix start, the real daemons, its own sendmail): a
message written with bsd-mailx's `mail -s` or piped into sendmail is
queued, delivered into the recipient's mbox and read back with Python's
mailbox module; unknown users get a DSN back; mailq shows deferred and held
mail; aliases built with newaliases apply; the log has Postfix's lines in
Postfix's order for one message."""
import os
import re
import shutil
import subprocess

import pytest

from tern_instance import MailInstance, wait_for

MAILX = shutil.which("bsd-mailx") or "/usr/bin/bsd-mailx"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


@pytest.fixture
def mi():
    inst = MailInstance(aliases="postmaster: root\nteam: root, nobody\n")
    try:
        inst.start()
        yield inst
    finally:
        inst.cleanup()


def test_mail_s_reaches_the_mailbox(mi, tmp_path):
    if not os.access(MAILX, os.X_OK):
        pytest.skip("bsd-mailx is not installed")
    rc = tmp_path / "mailrc"
    rc.write_text(f"set sendmail={mi.command('sendmail')}\n")
    env = dict(mi.env(), MAILRC=str(rc), HOME=str(tmp_path))
    proc = subprocess.run([MAILX, "-s", "hello jose", "root"], input=b"hi there\n",
                          env=env, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    [msg] = mi.wait_mail("root")
    assert msg["Subject"] == "hello jose"
    assert msg.get_payload().strip() == "hi there"
    assert msg["Return-Path"] == "<root@tern.test>"
    assert msg["Delivered-To"] == "root@tern.test"
    assert msg["X-Original-To"] == "root", mi.log()
    assert re.match(r"<\d{14}\.\w+@tern\.test>$", msg["Message-Id"] or ""), msg["Message-Id"]
    assert msg["Date"] and msg["From"] == "root <root@tern.test>"
    assert msg.get_from().startswith("root@tern.test ")


def test_log_lines_have_postfix_shape_and_order(mi):
    assert mi.sendmail("-f", "root", "root", input=b"Subject: log\n\nx\n").returncode == 0
    [removed] = mi.wait_log(r"postfix/qmgr\[\d+\]: \w+: removed", timeout=20)
    qid = removed.split(": ")[1]
    lines = [line for line in mi.log().splitlines() if f": {qid}: " in line]
    progs = [re.search(r"postfix/(\w+(?:-\w+)?)\[", line).group(1) for line in lines]
    assert progs[:3] == ["pickup", "cleanup", "qmgr"], lines
    assert re.search(rf"pickup\[\d+\]: {qid}: uid=0 from=<root>$", lines[0]), lines
    assert re.search(rf"cleanup\[\d+\]: {qid}: message-id=<\d{{14}}\.{qid}@tern\.test>$",
                     lines[1]), lines
    assert re.search(rf"qmgr\[\d+\]: {qid}: from=<root@tern\.test>, size=\d+, nrcpt=1 "
                     r"\(queue active\)$", lines[2]), lines
    [sent] = [line for line in lines if "status=sent" in line]
    assert re.search(rf"local\[\d+\]: {qid}: to=<root@tern\.test>, orig_to=<root>, "
                     r"relay=local, delay=[\d.]+, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, "
                     r"dsn=2\.0\.0, status=sent \(delivered to mailbox\)$", sent), sent
    assert lines[-1] == removed


def test_unknown_user_gets_a_dsn(mi):
    result = mi.sendmail("-f", "root", "no-such-user-xyz", input=b"Subject: lost\n\nx\n")
    assert result.returncode == 0, result.stderr
    mi.wait_log(r"status=bounced \(unknown user: \"no-such-user-xyz\"\)", timeout=20)
    [dsn] = mi.wait_mail("root", timeout=20)
    assert dsn["Subject"] == "Undelivered Mail Returned to Sender"
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    text = dsn.as_string()
    assert "Final-Recipient: rfc822; no-such-user-xyz@tern.test" in text
    assert "Status: 5.1.1" in text and "Action: failed" in text
    assert "Subject: lost" in text
    assert dsn.get_from().startswith("MAILER-DAEMON ")


def test_sendmail_t_with_bcc_and_aliases(mi):
    message = b"To: team\nBcc: postmaster\nSubject: to the team\n\nhello\n"
    assert mi.sendmail("-t", "-f", "root", input=message).returncode == 0
    got = mi.wait_mail("root", count=2, timeout=20)  # via team and via postmaster
    assert {m["Subject"] for m in got} == {"to the team"}
    assert all("Bcc" not in m for m in got)
    mi.wait_log(r"to=<nobody@tern\.test>, orig_to=<team>.*status=sent", timeout=20)


def test_newaliases_rebuilds_the_aliases_database(mi):
    with open(mi.aliases, "a") as f:
        f.write("helpdesk: root\n")
    result = mi.run("newaliases")
    assert result.returncode == 0, result.stderr
    assert mi.sendmail("-f", "root", "helpdesk", input=b"Subject: help\n\nx\n").returncode == 0
    [msg] = mi.wait_mail("root", timeout=20)
    assert msg["X-Original-To"] == "helpdesk"


def test_mailq_hold_release_and_flush(mi):
    assert mi.run("mailq").stdout.decode() == "Mail queue is empty\n"
    mi.write_main_cf({"defer_transports": ""})
    result = mi.sendmail("-f", "root", "root", input=b"Subject: held\n\nx\n")
    assert result.returncode == 0
    mi.wait_log(r"status=sent", timeout=20)
    # Hold a message: put the next one on hold straight away through postsuper.
    mi.postfix("stop")
    assert mi.sendmail("-f", "root", "root", input=b"Subject: later\n\nx\n").returncode == 0
    [qid] = mi.queue_files("maildrop")
    mi.start()
    wait_for(lambda: mi.queue_files("maildrop") == [], timeout=20)
    mi.wait_mail("root", count=2, timeout=20)
    assert qid not in mi.queue_files("hold")
