"""cleanup(8) on a whole system, each scenario run on Tern (MailInstance)
and on Debian's Postfix (PostfixOracle) with the same main.cf, master.cf
and tables: which table (header_checks, mime_header_checks,
nested_header_checks, body_checks) sees each line of a MIME message with
attached messages, the BCC action of header_checks(5), the Resent-
headers added instead of Message-Id/Date/From, header rewriting of local
submissions whatever remote_header_rewrite_domain says, and a message
over message_size_limit returned to its sender as headers. Queue ids,
dates and the product name are masked; log lines are compared without
their time stamps and process ids."""
import os
import re
import shutil
import tempfile

import pytest

from tern_instance import MAIL_MASTER_CF, MailInstance, PostfixOracle, wait_for

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")


def mask(text):
    text = re.sub(r"\b[0-9A-F]{10,12}\b", "QID", text)
    text = re.sub(r"\b\d{14}\b", "STAMP", text)
    text = re.sub(r"\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)", "DATE", text)
    return text.replace("(Postfix", "(MTA").replace("(Tern", "(MTA")


def log_lines(system, pattern):
    """Matching log lines without time, host, pid and queue id."""
    found = []
    for line in system.log().splitlines():
        line = mask(re.sub(r"^.*? postfix/(\w+)\[\d+\]: (?:[0-9A-F]{10,12}: )?", r"\1: ", line))
        if re.search(pattern, line):
            found.append(line)
    return found


def idle(system):
    assert wait_for(lambda: system.run("postqueue", "-p").stdout == b"Mail queue is empty\n",
                    timeout=20), system.run("postqueue", "-p").stdout


class Scenario:
    """Tables in a directory of their own, then the same submissions to both."""

    def __init__(self, tables=None, main_cf=None, cleanup_opts="", aliases="postmaster: root\n"):
        self.dir = tempfile.mkdtemp(prefix="tern-e2e-cleanup-")
        os.chmod(self.dir, 0o755)
        settings = dict(main_cf or {})
        for name, text in (tables or {}).items():
            path = os.path.join(self.dir, name)
            with open(path, "w") as f:
                f.write(text)
            settings[name] = f"regexp:{path}"
        master_cf = MAIL_MASTER_CF.replace("0       cleanup\n", f"0       cleanup{cleanup_opts}\n")
        self.tern = MailInstance(main_cf=settings, master_cf=master_cf, aliases=aliases)
        self.oracle = PostfixOracle(main_cf=settings, master_cf=master_cf, aliases=aliases)

    def run(self, submissions, user="root", count=1):
        """Mailboxes of USER on (tern, oracle) after every submission."""
        boxes = []
        for system in (self.tern, self.oracle):
            system.start()
            for args, data in submissions:
                result = system.sendmail(*args, input=data)
                assert result.returncode == 0, (system, result.stderr)
            system.wait_mail(user, count=count, timeout=30)
            idle(system)
            boxes.append(system.mbox(user))
        return boxes

    def cleanup(self):
        try:
            self.tern.cleanup()
        finally:
            try:
                self.oracle.cleanup()
            finally:
                shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def scenario():
    made = []

    def make(**kwargs):
        made.append(Scenario(**kwargs))
        return made[-1]
    yield make
    for item in made:
        item.cleanup()


def normalized(box):
    return sorted(([(name, mask(value)) for name, value in m.items()],
                   m.as_string().split("\n\n", 1)[-1]) for m in box)


MIME_MESSAGE = b"""Subject: top
X-Top: 1
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

preamble
--b1
Content-Type: text/plain
X-Part: p

part one
--b1
Content-Type: message/rfc822
Content-Transfer-Encoding: 7bit

Subject: inner
X-Inner: i
Content-Type: multipart/alternative; boundary=b2

--b2
X-Deep: 1
Content-Type: message/global

X-Deeper: 2

Subject: in body
--b2--
--b1
Content-Type: message/partial

X-Partial: not nested

--b1--
"""


def test_each_table_sees_what_postfix_shows_it(scenario):
    s = scenario(tables={
        "header_checks": "/^(Subject|X-[A-Za-z]+):/ WARN hc\n",
        "mime_header_checks": "/^(Subject|X-[A-Za-z]+|Content-[A-Za-z-]+|MIME-Version):/ "
                              "WARN mhc\n",
        "nested_header_checks": "/^(Subject|X-[A-Za-z]+|Content-[A-Za-z-]+):/ WARN nhc\n",
        "body_checks": "/^--b|^Subject|^X-|^Content/ WARN bc\n"})
    ours, theirs = s.run([(["-i", "root"], MIME_MESSAGE)])
    assert normalized(ours) == normalized(theirs)
    pattern = r"^cleanup: warning: (header|body) "
    got, want = log_lines(s.tern, pattern), log_lines(s.oracle, pattern)
    assert got == want, "\n".join(["tern:"] + got + ["postfix:"] + want)
    assert any("header X-Deeper: 2 from local" in line and line.endswith(": nhc") for line in got)
    assert any("header X-Part: p from local" in line and line.endswith(": mhc") for line in got)
    assert any("body X-Partial: not nested" in line for line in got)


def test_bcc_action_adds_blind_copies(scenario):
    s = scenario(tables={"header_checks": "/^Subject: copy/ BCC copy@tern.test\n"
                                          "/^X-Twice:/ BCC copy@tern.test\n"
                                          "/^X-Bad:/ BCC copy\n",
                         "body_checks": "/^bodycopy/ BCC other@tern.test\n"},
                 aliases="postmaster: root\ncopy: root\nother: root\n")
    submissions = [(["-i", "root"], b"Subject: copy me\nX-Twice: 1\n\nx\n"),
                   (["-i", "root"], b"Subject: bad\nX-Bad: 1\n\nbodycopy\n")]
    ours, theirs = s.run(submissions, count=4)
    assert len(ours) == len(theirs) == 4
    assert normalized(ours) == normalized(theirs)
    pattern = r"^cleanup: (bcc:|warning: bad BCC)|^qmgr: .*nrcpt"
    # Sorted: the two systems may pick the messages up in another order.
    got = sorted(re.sub(r"size=\d+", "size=N", line) for line in log_lines(s.tern, pattern))
    want = sorted(re.sub(r"size=\d+", "size=N", line) for line in log_lines(s.oracle, pattern))
    assert got == want, "\n".join(["tern:"] + got + ["postfix:"] + want)
    assert 'cleanup: warning: bad BCC address "copy" in header_checks map -- need user@domain' \
        in got


def test_resent_headers_added_instead(scenario):
    s = scenario()
    submissions = [
        (["-i", "root"], b"Subject: r1\nResent-To: root\n\nx\n"),
        (["-i", "root"], b"Subject: r2\nResent-From: someone@example.org\nFrom: a@example.org\n"
                         b"\nx\n"),
        (["-i", "-F", "Full Name", "root"], b"Subject: r3\nresent-cc: root\nMessage-ID: <o@y>\n"
                                            b"\nx\n"),
        (["-i", "root"], b"Subject: r4\nResent-Foo: not a resent header\n\nx\n"),
    ]
    ours, theirs = s.run(submissions, count=4)
    assert normalized(ours) == normalized(theirs)
    r1 = [m for m in ours if m["Subject"] == "r1"][0]
    assert r1["Resent-From"] == "root <root@tern.test>" and r1["From"] is None
    assert r1["Resent-Message-Id"] and r1["Message-Id"] is None
    # Sorted: the two systems may pick the messages up in another order.
    got = sorted(log_lines(s.tern, r"^cleanup: (resent-)?message-id="))
    want = sorted(log_lines(s.oracle, r"^cleanup: (resent-)?message-id="))
    assert got == want, "\n".join(["tern:"] + got + ["postfix:"] + want)


def test_local_submission_headers_always_rewritten(scenario):
    s = scenario(main_cf={"local_header_rewrite_clients": "",
                          "remote_header_rewrite_domain": "domain.invalid"})
    ours, theirs = s.run([(["-i", "root"], b"Subject: rw\nTo: bob, carol@example.org\n"
                                           b"Cc: dave\nFrom: alice\n\nx\n")])
    assert normalized(ours) == normalized(theirs)
    assert ours[0]["To"] == "bob@tern.test, carol@example.org"
    assert ours[0]["From"] == "alice@tern.test"


def test_oversized_message_returned_as_headers(scenario):
    body = b"".join(b"line %04d " % i + b"x" * 60 + b"\n" for i in range(100))
    s = scenario(cleanup_opts=" -o message_size_limit=3000",
                 aliases="postmaster: root\nsender: root\n")
    ours, theirs = s.run([(["-i", "-f", "sender@tern.test", "root"],
                           b"Subject: big\n\n" + body)])
    for box in (ours, theirs):
        assert len(box) == 1 and box[0]["Subject"] == "Undelivered Mail Returned to Sender"
    parts = [[(p.get_content_type(), p.get("Content-Description")) for p in m.get_payload()]
             for m in (ours[0], theirs[0])]
    assert parts[0] == parts[1]
    assert parts[0][-1] == ("text/rfc822-headers", "Undelivered Message Headers")
    assert "line 0001" not in ours[0].as_string()
    assert "message file too big" in ours[0].as_string()
    for system in (s.tern, s.oracle):
        assert log_lines(system, r"^cleanup: warning: QID: queue file size limit exceeded")
        assert log_lines(system, r"dsn=5\.3\.4, status=bounced \(message file too big\)")
