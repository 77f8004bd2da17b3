"""Delivery status notices on a whole system, compared with Debian's
Postfix (PostfixOracle) field by field: the notice's own headers (their
order, From:, Received:, To:, Auto-Submitted:, MIME), every MIME part's
headers, the delivery-status fields (Diagnostic-Code by its type), and the
returned message (Return-Path: first, Content-Transfer-Encoding of the
part). What must differ is masked: queue ids, dates, boundaries, the
product name. The human-readable text is each product's own wording and
is not compared (test_e2e_dsn.py compares the report structure too)."""
import re

import pytest

from tern_instance import MailInstance, PostfixOracle, wait_for

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")

ALIASES = "postmaster: root\nsender: root\n"

SUBMISSIONS = [
    (["-i", "-f", "sender@tern.test", "nosuch"], b"Subject: default ret\n\nbody one\n"),
    (["-i", "-f", "sender@tern.test", "-R", "hdrs", "nosuch"], b"Subject: hdrs ret\n\nbody\n"),
    (["-i", "-f", "sender@tern.test", "-N", "success", "root"], b"Subject: success\n\nbody\n"),
]
# Each notice and the successful delivery land in root's mailbox.
EXPECTED = 4


def mask(text):
    text = re.sub(r"\b[0-9A-F]{10,12}\b", "QID", text)
    text = re.sub(r"\b\d{14}\b", "STAMP", text)
    text = re.sub(r"\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)", "DATE", text)
    text = re.sub(r"QID\.\d+/", "QID.TIME/", text)
    return text.replace("Postfix", "MTA").replace("Tern", "MTA")


def headers(part):
    return [(name, mask(value)) for name, value in part.items()]


def skeleton(message):
    """Everything of a notice that must agree, masked."""
    out = {"headers": headers(message), "parts": []}
    for part in message.get_payload():
        entry = {"headers": headers(part)}
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            blocks = []
            for block in part.get_payload():
                fields = []
                for name, value in block.items():
                    if name.lower() == "diagnostic-code":
                        value = value.split(";")[0]
                    fields.append((mask(name), mask(value)))
                blocks.append(fields)
            entry["report"] = blocks
        elif ctype == "text/rfc822-headers":
            entry["returned"] = [line.split(":")[0] for line in
                                 part.get_payload().splitlines() if line and line[0] != "\t"]
        elif ctype == "message/rfc822":
            entry["returned"] = [name for name, _ in part.get_payload()[0].items()]
        out["parts"].append(entry)
    return out


def original_subject(message):
    """The Subject of the message a notice is about (or of a delivered one)."""
    found = re.findall(r"^Subject: (default ret|hdrs ret|success)$", message.as_string(), re.M)
    return found[0] if found else None


def run(system):
    system.start()
    for args, data in SUBMISSIONS:
        result = system.sendmail(*args, input=data)
        assert result.returncode == 0, result.stderr
    system.wait_mail("root", count=EXPECTED, timeout=30)
    assert wait_for(lambda: system.run("postqueue", "-p").stdout == b"Mail queue is empty\n",
                    timeout=20)
    return {original_subject(m): m for m in system.mbox("root")
            if m.get_content_type() == "multipart/report"}


@pytest.fixture(scope="module")
def notices():
    with MailInstance(aliases=ALIASES) as tern, PostfixOracle(aliases=ALIASES) as oracle:
        yield run(tern), run(oracle)


@pytest.mark.parametrize("about", ["default ret", "hdrs ret", "success"])
def test_notice_matches_postfix(notices, about):
    ours, theirs = notices
    assert about in theirs, sorted(theirs)
    assert about in ours, sorted(ours)
    got, want = skeleton(ours[about]), skeleton(theirs[about])
    assert got == want, f"tern:\n{got}\npostfix:\n{want}"


def test_notice_headers_in_postfix_order(notices):
    ours, _ = notices
    notice = ours["default ret"]
    names = [name for name, _ in notice.items()]
    start = names.index("Received")
    assert names[start:start + 10] == ["Received", "Date", "From", "Subject", "To",
                                       "Auto-Submitted", "MIME-Version", "Content-Type",
                                       "Content-Transfer-Encoding", "Message-Id"], names
    assert notice["From"] == "Mail Delivery System <MAILER-DAEMON@tern.test>"
    assert re.match(r"by tern\.test \(Tern\)\s+id [0-9A-F]+; ", notice["Received"])
    returned = [p for p in notice.walk() if p.get("Content-Description", "").startswith(
        "Undelivered Message")]
    assert returned and returned[0]["Content-Transfer-Encoding"] == "8bit"
    assert returned[0].get_content_type() == "message/rfc822"
    assert returned[0].get_payload()[0].items()[0] == ("Return-Path", "<sender@tern.test>")
