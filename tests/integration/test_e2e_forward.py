"""Which alias, .forward and :include: expansions local(8) delivers in the
same process and which it forwards as a new message through cleanup
("status=sent (forwarded as NEWID)"), differentially: each case runs on
Tern (MailInstance) and on Debian's Postfix (PostfixOracle) with the same
aliases and .forward file, and the local(8) delivery lines of both
(queue ids, delays and process ids masked, sorted) and the headers of the
delivered copies must be the same. Findings checked against Postfix:

  alias -> local user               in-process ("delivered to mailbox")
  alias -> alias -> local user      in-process
  alias with owner-ALIAS            forwarded, sender owner-ALIAS@domain,
                                    the new recipient is its own orig_to;
                                    nested aliases are expanded first and
                                    their users forwarded (reset_owner_alias:
                                    delivered in-process)
  :include: -> local user           forwarded, orig_to stays the original
  .forward -> local user            forwarded, the log names the queue
                                    recipient, also below an alias;
  .forward -> alias -> user         the alias expanded, the user forwarded
  "\\user" in .forward or alias     in-process (the user's mailbox)
"""
import os
import re

import pytest

from mail_compare import (QUEUE_ID, each_system, login_user, masked_local_lines,
                          wait_queue_empty)
from tern_instance import PostfixOracle

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")

USER = "ternfwd"


@pytest.fixture(scope="module")
def user():
    """A login user with its home in /tmp, and a root-owned :include: list."""
    with login_user(USER, "tern-fwd-home-") as (pw, parent):
        with open(os.path.join(parent, "list"), "w") as f:
            f.write("root\n")
        os.chmod(os.path.join(parent, "list"), 0o644)
        yield pw, parent


def set_forward(pw, text):
    path = os.path.join(pw.pw_dir, ".forward")
    if text is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, 0o644)


def masked_headers(message):
    out = []
    for name, value in message.items():
        if name in ("Return-Path", "X-Original-To", "Delivered-To", "Received"):
            value = re.sub(QUEUE_ID, "QUEUEID", value)
            value = re.sub(r";.*$", "; DATE", value, flags=re.S)
            value = re.sub(r"\((Postfix|Tern)", "(MTA", value)
            out.append((name, value))
    return out


def run_case(pw, parent, rcpt, forward, boxes, main_cf=None):
    set_forward(pw, forward)
    aliases = (f"postmaster: root\nal: root\nal2: {USER}\nal3: al\n"
               f"lst: root\nowner-lst: root\nincl: :include:{parent}/list\n"
               f"self: \\{USER}, root\nlst2: sub\nowner-lst2: root\nsub: root, nobody\n")

    def body(system):
        assert system.sendmail("-f", "root", rcpt, input=b"Subject: fwd\n\nx\n").returncode == 0
        copies = {box: system.wait_mail(box) for box in boxes}
        wait_queue_empty(system)
        return (masked_local_lines(system.log()),
                {box: [masked_headers(m) for m in msgs] for box, msgs in copies.items()})
    return each_system(body, main_cf, aliases)


CASES = [
    ("al", None, ("root",), "in-process"),
    ("al3", None, ("root",), "in-process"),
    ("al2", None, (USER,), "in-process"),
    ("lst", None, ("root",), "forwarded"),
    ("incl", None, ("root",), "forwarded"),
    ("self", None, ("root", USER), "in-process"),
    (USER, f"root, \\{USER}\n", ("root", USER), "forwarded"),
    ("al2", f"root, \\{USER}\n", ("root", USER), "forwarded"),
    (USER, "al\n", ("root",), "forwarded"),
    ("lst2", None, ("root", "nobody"), "forwarded"),
]


@pytest.mark.parametrize("rcpt,forward,boxes,how", CASES,
                         ids=[f"{c[0]}{'-dotforward' if c[1] else ''}" for c in CASES])
def test_forwarding_matches_postfix(user, rcpt, forward, boxes, how):
    pw, parent = user
    ours, theirs = run_case(pw, parent, rcpt, forward, boxes)
    assert ours == theirs
    forwarded = [line for line in ours[0] if "forwarded as QUEUEID" in line]
    assert bool(forwarded) == (how == "forwarded"), ours[0]


def test_reset_owner_alias_delivers_nested_alias_members_here(user):
    pw, parent = user
    ours, theirs = run_case(pw, parent, "lst2", None, ("root", "nobody"),
                            main_cf={"reset_owner_alias": "yes"})
    assert ours == theirs
    assert not any("forwarded as" in line for line in ours[0]), ours[0]


def test_forward_log_names_queue_recipient_with_unfrozen_delivered_to(user):
    pw, parent = user
    ours, theirs = run_case(pw, parent, "al2", f"root, \\{USER}\n", ("root", USER),
                            main_cf={"frozen_delivered_to": "no"})
    assert ours == theirs
    assert any(line.startswith("to=<al2@tern.test>, orig_to=<al2>") and "forwarded as" in line
               for line in ours[0]), ours[0]
    # the new copy's forwarding Delivered-To is the user's, not the alias's
    assert ("Delivered-To", f"{USER}@tern.test") in ours[1]["root"][0]


def report_rcpts(message):
    """(Final-Recipient, Original-Recipient present, Action, Status) of a report."""
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            return sorted((block.get("Final-Recipient", "").replace(" ", ""),
                           "Original-Recipient" in block, block.get("Action"),
                           block.get("Status")) for block in part.get_payload()[1:])
    return None


def test_sendmail_bv_reports_each_expansion_leaf(user):
    """sendmail -bv: every leaf of an alias (owner- aliases, remote and
    local members, :include:), of a .forward and an unknown user is a
    recipient of its own in the report, as in Postfix; nothing is delivered."""
    pw, parent = user
    set_forward(pw, f"root, \\{USER}\n")
    aliases = (f"postmaster: root\nlst: root, nobody\nowner-lst: root\n"
               f"far: someone@example.org, root\nincl: :include:{parent}/list\n")

    def body(system):
        assert system.sendmail("-bv", "-f", "root", "lst", "far", "incl", USER, "nobody-bv",
                               input=b"").returncode == 0
        [report] = system.wait_mail("root")
        wait_queue_empty(system)
        assert system.mbox(USER) == []
        return report["Subject"], report_rcpts(report), masked_local_lines(system.log())
    ours, theirs = each_system(body, aliases=aliases)
    assert ours[0] == "Mail Delivery Status Report"
    assert ours[1] == theirs[1]
    assert ("rfc822;nobody-bv@tern.test", True, "undeliverable", "5.1.1") in ours[1]
    assert len(ours[1]) == 8, ours[1]
    # the report's own delivery is the only "sent" line
    assert ours[2] == theirs[2], (ours[2], theirs[2])


def test_notify_success_reports_expansions(user):
    """DSN NOTIFY=SUCCESS for recipients that expand: one notice whose
    recipients are the alias ("expanded"), the mailing list with an owner-
    alias ("delivered"), the :include: alias and the user with a .forward
    ("expanded"), all "alias expanded"; the members, in-process or
    forwarded, ask for no further success notice. As in Postfix."""
    pw, parent = user
    set_forward(pw, f"root, \\{USER}\n")
    aliases = (f"postmaster: root\nteam: root, nobody\nlst: root, nobody\nowner-lst: root\n"
               f"incl: :include:{parent}/list\n")

    def body(system):
        assert system.sendmail("-N", "success", "-f", "root", "team", "lst", "incl", USER,
                               input=b"Subject: notify\n\nx\n").returncode == 0
        system.wait_mail("root", count=5)
        wait_queue_empty(system)
        box = system.mbox("root")
        notices = [report_rcpts(m) for m in box if m["Subject"] != "notify"]
        return len(box), notices, len(system.mbox(USER))
    ours, theirs = each_system(body, aliases=aliases)
    assert ours == theirs
    assert ours[1] == [sorted([
        ("rfc822;team@tern.test", True, "expanded", "2.0.0"),
        ("rfc822;lst@tern.test", True, "delivered", "2.0.0"),
        ("rfc822;incl@tern.test", True, "expanded", "2.0.0"),
        (f"rfc822;{USER}@tern.test", True, "expanded", "2.0.0")])]


def test_missing_include_file_is_a_configuration_error(user):
    """An :include: file that does not exist: a warning and a bounce with
    5.3.5 "mail system configuration error", as Postfix."""
    _pw, parent = user
    aliases = f"postmaster: root\ngone: :include:{parent}/no-such-list\n"

    def body(system):
        assert system.sendmail("-f", "root", "gone", input=b"Subject: gone\n\nx\n"
                               ).returncode == 0
        system.wait_mail("root")
        wait_queue_empty(system)
        warnings = [line.split("]: ", 1)[1] for line in system.log().splitlines()
                    if "local[" in line and "warning:" in line]
        return masked_local_lines(system.log()), warnings
    ours, theirs = each_system(body, aliases=aliases)
    assert ours == theirs
    assert any("dsn=5.3.5, status=bounced (mail system configuration error)" in line
               for line in ours[0]), ours


def test_bounced_alias_member_is_named_and_expansion_still_reported(user):
    """An alias with a member that bounces, NOTIFY=SUCCESS,FAILURE: the
    non-delivery notice names the member (not the alias) and the success
    notice still reports the alias "expanded", as in Postfix."""
    _pw, _parent = user
    aliases = "postmaster: root\nmixed: root, nosuch-member\n"

    def body(system):
        assert system.sendmail("-N", "success,failure", "-f", "root", "mixed",
                               input=b"Subject: mixed\n\nx\n").returncode == 0
        system.wait_mail("root", count=3)
        wait_queue_empty(system)
        return sorted((m["Subject"], report_rcpts(m) or []) for m in system.mbox("root"))
    ours, theirs = each_system(body, aliases=aliases)
    assert ours == theirs
    assert ("Undelivered Mail Returned to Sender",
            [("rfc822;nosuch-member@tern.test", True, "failed", "5.1.1")]) in ours
    assert ("Successful Mail Delivery Report",
            [("rfc822;mixed@tern.test", True, "expanded", "2.0.0")]) in ours
