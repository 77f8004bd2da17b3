"""Delivery status notifications on a whole system, each scenario run on
Tern (MailInstance) and on Debian's Postfix (PostfixOracle) with the same
main.cf and aliases: sendmail -bv and -v reports, the DSN options -N, -R
and -V, double bounces to 2bounce_notice_recipient, notify_classes=bounce
copies, and the loop stop for notices that cannot be delivered.

The notices are compared by structure (RFC 3464), not by wording: the
Subject, the MIME tree, the per-message fields (Reporting-MTA,
Original-Envelope-Id, X-<MTA>-Queue-ID, X-<MTA>-Sender, Arrival-Date) and
per recipient Final-Recipient, Action and Status. The human-readable text
and Diagnostic-Code are each product's own words and are not compared."""

import pytest

from tern_instance import MailInstance, PostfixOracle, wait_for

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")

ALIASES = "postmaster: root\ntwice: root\ncopies: root\nteam: root, nobody\n"


def dsn_fields(message):
    """(per-message field names, [per-recipient {name: value}]) of a report."""
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            blocks = part.get_payload()
            head = {name.lower().replace("x-postfix-", "x-mta-").replace("x-tern-", "x-mta-"):
                    value for name, value in blocks[0].items()}
            rcpts = [{name.lower(): value for name, value in block.items()}
                     for block in blocks[1:]]
            return head, rcpts
    return None, []


def summary(message):
    """What must agree between the two systems for one message."""
    head, rcpts = dsn_fields(message)
    return {
        "from": message.get_from().split()[0],
        "subject": message["Subject"],
        "tree": [part.get_content_type() for part in message.walk()],
        "report-type": message.get_param("report-type"),
        "head": sorted(head) if head else None,
        "envid": head.get("original-envelope-id") if head else None,
        "rcpts": [(r.get("final-recipient", "").replace(" ", ""), r.get("action"),
                   r.get("status")) for r in rcpts],
    }


def both(main_cf=None, aliases=ALIASES):
    """A started Tern and a started Postfix with the same settings."""
    tern = MailInstance(main_cf=main_cf, aliases=aliases)
    oracle = PostfixOracle(main_cf=main_cf, aliases=aliases)
    tern.start()
    oracle.start()
    return tern, oracle


def idle(system, timeout=20):
    """Waits until the queue is empty: every delivery and notice is done
    (a notice is queued before the message that caused it is removed)."""
    assert wait_for(lambda: system.run("postqueue", "-p").stdout == b"Mail queue is empty\n",
                    timeout=timeout), system.run("postqueue", "-p").stdout


def settle(system, user, count, timeout=20):
    """Waits for COUNT messages in USER's mailbox and an idle queue;
    returns the mailbox (then any extra message would be there too)."""
    system.wait_mail(user, count=count, timeout=timeout)
    idle(system)
    return system.mbox(user)


def by_subject(messages):
    return sorted((summary(m) for m in messages), key=lambda s: (s["subject"] or "", repr(s)))


@pytest.fixture(scope="module")
def pair():
    tern, oracle = both()
    try:
        yield tern, oracle
    finally:
        tern.cleanup()
        oracle.cleanup()


def run_both(pair, user, count, *submissions):
    """Submits every (args, data) to both systems; their mailboxes of USER."""
    results = []
    for system in pair:
        idle(system)
        open(system.mailbox_path(user), "w").close()
        for args, data in submissions:
            result = system.sendmail(*args, input=data)
            assert result.returncode == 0, (system, args, result.stderr)
        results.append(settle(system, user, count))
    return results


def test_sendmail_bv_reports_and_delivers_nothing(pair):
    ours, theirs = run_both(pair, "root", 1, (["-bv", "-f", "root", "root"], b""))
    assert len(ours) == len(theirs) == 1, [m["Subject"] for m in ours]
    [report] = ours
    assert report["Subject"] == "Mail Delivery Status Report"
    assert summary(report)["rcpts"] == [("rfc822;root@tern.test", "deliverable", "2.0.0")]
    assert by_subject(ours) == by_subject(theirs)
    pair[0].wait_log(r"postfix/bounce\[\d+\]: \w+: sender delivery status notification: \w+$")


def test_sendmail_bv_expands_aliases_and_reports_unknown_users(pair):
    ours, theirs = run_both(pair, "root", 1, (["-bv", "-f", "root", "team", "nobody-bv"], b""))
    assert sorted(summary(ours[0])["rcpts"]) == sorted(summary(theirs[0])["rcpts"])


def test_sendmail_v_delivers_and_reports(pair):
    ours, theirs = run_both(pair, "root", 2,
                            (["-v", "-f", "root", "root"], b"Subject: verbose\n\nx\n"))
    assert {m["Subject"] for m in ours} == {"verbose", "Mail Delivery Status Report"}
    assert by_subject(ours) == by_subject(theirs)


def test_notify_success_with_envid_and_headers_only(pair):
    ours, theirs = run_both(pair, "root", 2, (
        ["-N", "success", "-V", "env-123", "-R", "hdrs", "-f", "root", "root"],
        b"Subject: success please\n\nbody text\n"))
    [report] = [m for m in ours if m["Subject"] == "Successful Mail Delivery Report"]
    assert summary(report)["envid"] == "env-123"
    assert summary(report)["rcpts"] == [("rfc822;root@tern.test", "delivered", "2.0.0")]
    assert "text/rfc822-headers" in summary(report)["tree"]
    assert "body text" not in report.as_string()
    assert by_subject(ours) == by_subject(theirs)


def test_notify_failure_with_full_return(pair):
    ours, theirs = run_both(pair, "root", 1, (
        ["-N", "delay,failure", "-R", "full", "-V", "env-456", "-f", "root", "nobody-xyz"],
        b"Subject: full return\n\nthe whole body\n"))
    [bounce] = ours
    s = summary(bounce)
    assert s["subject"] == "Undelivered Mail Returned to Sender"
    assert s["report-type"] == "delivery-status" and "message/rfc822" in s["tree"]
    assert s["envid"] == "env-456"
    assert s["rcpts"] == [("rfc822;nobody-xyz@tern.test", "failed", "5.1.1")]
    assert "the whole body" in bounce.as_string()
    assert by_subject(ours) == by_subject(theirs)


def test_notify_never_sends_nothing(pair):
    for system in pair:
        idle(system)
        open(system.mailbox_path("root"), "w").close()
        result = system.sendmail("-N", "never", "-f", "root", "nobody-never",
                                 input=b"Subject: quiet\n\nx\n")
        assert result.returncode == 0
        # A marker message after it: once it is here, a notice would be too.
        system.sendmail("-f", "root", "root", input=b"Subject: marker\n\nx\n")
    for system in pair:
        got = settle(system, "root", 1)
        assert [m["Subject"] for m in got] == ["marker"], system
    pair[0].wait_log(r"to=<nobody-never@tern\.test>.*status=bounced")


def test_original_recipient_matches_postfix(pair):
    ours, theirs = run_both(pair, "root", 1, (["-bv", "-f", "root", "root"], b""))
    orig = [dsn_fields(m)[1][0].get("original-recipient", "").replace(" ", "")
            for m in (ours[0], theirs[0])]
    assert orig[0] == orig[1]


def test_double_bounce_discarded_by_default(pair):
    """notify_classes without 2bounce: a notice that cannot be delivered is
    dropped (after its log line), on both systems."""
    for system in pair:
        idle(system)
        open(system.mailbox_path("root"), "w").close()
        assert system.sendmail("-f", "", "nobody-dd", input=b"Subject: dd\n\nx\n") \
            .returncode == 0
        system.sendmail("-f", "root", "root", input=b"Subject: marker\n\nx\n")
    for system in pair:
        assert [m["Subject"] for m in settle(system, "root", 1)] == ["marker"], system
    pair[0].wait_log(r"to=<nobody-dd@tern\.test>.*status=bounced")


def test_double_bounce_goes_to_2bounce_recipient():
    cfg = {"notify_classes": "2bounce", "2bounce_notice_recipient": "twice"}
    tern, oracle = both(cfg)
    try:
        boxes = []
        for system in (tern, oracle):
            result = system.sendmail("-f", "", "nobody-dbl", input=b"Subject: from null\n\nx\n")
            assert result.returncode == 0
            boxes.append(settle(system, "root", 1))
        assert by_subject(boxes[0]) == by_subject(boxes[1])
        [notice] = boxes[0]
        assert notice["X-Original-To"] == "twice"
        assert summary(notice)["rcpts"] == [("rfc822;nobody-dbl@tern.test", "failed", "5.1.1")]
        tern.wait_log(r": postmaster non-delivery notification: \w+$")
    finally:
        tern.cleanup()
        oracle.cleanup()


def test_notify_classes_bounce_copies_postmaster():
    cfg = {"notify_classes": "bounce", "bounce_notice_recipient": "copies"}
    tern, oracle = both(cfg)
    try:
        boxes = []
        for system in (tern, oracle):
            result = system.sendmail("-f", "root", "nobody-cp",
                                     input=b"Subject: copy me\n\nsecret body\n")
            assert result.returncode == 0
            boxes.append(settle(system, "root", 2))
        assert by_subject(boxes[0]) == by_subject(boxes[1])
        [copy] = [m for m in boxes[0] if m["X-Original-To"] == "copies"]
        assert copy.get_from().startswith("double-bounce@tern.test ")
        assert "secret body" not in copy.as_string()  # headers only
    finally:
        tern.cleanup()
        oracle.cleanup()


def test_undeliverable_postmaster_notices_stop():
    """A postmaster notice that cannot be delivered is discarded with a
    warning, not bounced again (a bounce storm otherwise)."""
    cfg = {"notify_classes": "bounce, 2bounce", "2bounce_notice_recipient": "nowhere-2b",
           "bounce_notice_recipient": "nowhere-cp"}
    tern = MailInstance(main_cf=cfg, aliases=ALIASES)
    try:
        tern.start()
        tern.sendmail("-f", "", "nobody-a", input=b"Subject: a\n\nx\n")
        tern.sendmail("-f", "root", "nobody-b", input=b"Subject: b\n\nx\n")
        tern.wait_log(r"warning: \w+: undeliverable postmaster notification discarded",
                      count=2, timeout=20)
        empty = wait_for(lambda: tern.run("mailq").stdout == b"Mail queue is empty\n",
                         timeout=10)
        assert empty, tern.run("mailq").stdout.decode()[:2000]
        idle(tern)
        notices = tern.log().count("postmaster non-delivery notification")
        assert notices == 2, tern.log()[-4000:]
        assert [m["Subject"] for m in tern.mbox("root")] == ["Undelivered Mail Returned to Sender"]
    finally:
        tern.cleanup()
