"""The same submissions through Tern and through Debian's Postfix (the
oracle, PostfixOracle in tern_instance.py), on the same main.cf settings
and aliases: the delivered mailboxes must agree header by header and byte
by byte in the body, after the parts that differ by nature are masked
(queue ids, times, the product name in Received:)."""
import pytest

from mail_compare import normalize
from tern_instance import MailInstance, PostfixOracle

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")

ALIASES = "postmaster: root\nteam: root, postmaster\nroot-copy: root\n"

# (sendmail arguments, message); every case is delivered to root's mbox.
CASES = [
    (["-i", "root"], b"Subject: plain\n\nhello\n"),
    (["-i", "-t"], b"To: root\nSubject: extracted\n\nhello\n"),
    (["-i", "-t"], b"To: root\nBcc: root-copy\nSubject: blind\n\nhello\n"),
    (["-i", "-F", "Jose Tester", "-f", "jose", "root"], b"Subject: named\n\nhi\n"),
    (["-i", "root"], b"Message-Id: <given@example.org>\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n"
                     b"From: Someone <someone@example.org>\nSubject: kept\n\nbody\n"),
    (["-i", "root"], b"Subject: quoting\n\nFrom the start of a line\n>From already\n"
                     b"From\n"),
    (["-i", "root"], b"Content-Length: 99\nReturn-Path: <forged@example.org>\n"
                     b"Subject: dropped headers\n\nx\n"),
    (["-f", "", "-i", "root"], b"Subject: null sender\n\nx\n"),
    (["root"], b"Subject: dot ends\n\nbefore\n.\nafter\n"),
    (["-i", "team"], b"Subject: alias fan-out\n\nx\n"),
    (["-i", "root"], b"Subject: long line\n\n" + b"y" * 3000 + b"\n"),
    (["-i", "root"], b"Subject: crlf\r\nX-Test: yes\r\n\r\nline one\r\n"),
    (["-i", "root"], b"Subject: no trailing newline\n\nlast"),
    (["-i", "root"], b"no header at all, just text\n"),
]


def deliver_all(system):
    for args, data in CASES:
        result = system.sendmail(*args, input=data)
        assert result.returncode == 0, (args, result.stderr)
    # The Bcc: adds a copy; team's two ways to root (root, postmaster -> root)
    # are one delivery: local drops the duplicate.
    return system.wait_mail("root", count=len(CASES) + 1, timeout=30)


def by_subject(messages):
    found = {}
    for message in messages:
        found.setdefault(message.get("Subject", "(none)"), []).append(message)
    return found


def test_mailboxes_agree_with_postfix():
    with MailInstance(aliases=ALIASES) as tern, PostfixOracle(aliases=ALIASES) as oracle:
        tern.start()
        oracle.start()
        ours = by_subject(deliver_all(tern))
        theirs = by_subject(deliver_all(oracle))
        assert sorted(ours) == sorted(theirs)
        for subject in theirs:
            want = sorted((normalize(m) for m in theirs[subject]), key=repr)
            got = sorted((normalize(m) for m in ours[subject]), key=repr)
            assert got == want, f"{subject!r}:\ntern:    {got}\npostfix: {want}"
            for m_ours, m_theirs in zip(ours[subject], theirs[subject]):
                assert m_ours.get_from().split()[0] == m_theirs.get_from().split()[0]
