"""The delivery status filter (postconf(5) default_delivery_status_filter,
local_delivery_status_filter) on a whole system, run on Tern
(MailInstance) and on Debian's Postfix (PostfixOracle) with the same
main.cf, aliases and pcre filter table.

Compared: each delivery agent's log line per recipient (dsn= and the
status text; times, pids and queue ids left out), the filter's warnings,
what happens to each message (a bounce filtered into a deferral stays in
the queue; a changed code reaches the sender's notice), sendmail -bv
reports (the filtered codes, alias members included), that the error(8)
agent is not filtered, postconf -d of the filter parameters, and
soft_bounce after the filter (status=SOFTBOUNCE, the message kept)."""

import os
import re
import shutil
import tempfile

import pytest

from tern_instance import MailInstance, PostfixOracle, wait_for

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")

FILTER = r'''/^5(\.1\.1 unknown user: "soft1")$/	4$1
/^5\.1\.1 (unknown user: "hard2")$/	5.1.2 changed $1
/^5\.1\.1 unknown user: "kind3"$/	2.0.0 oops
/^5\.1\.1 unknown user: "code4"$/	5.1.6
/^5\.1\.1 unknown user: "junk5"$/	garbage
/^5\.1\.1 unknown user: "space6"$/	5.1.3    lots  of space
/^2\.0\.0 delivered to mailbox$/	2.1.5 censored
/^5\.0\.0 nope$/	4.0.0 error agent filtered
'''

RECIPIENTS = ["root", "soft1", "hard2", "kind3", "code4", "junk5", "space6", "x@errdom.test"]
BOUNCED = 6  # hard2 kind3 code4 junk5 space6 and x@errdom.test: one notice each to root
PARAMS = ["default_delivery_status_filter", "local_delivery_status_filter",
          "smtp_delivery_status_filter", "lmtp_delivery_status_filter",
          "pipe_delivery_status_filter", "virtual_delivery_status_filter"]

DELIVERY = re.compile(r"postfix/(local|error)\[\d+\]: (?:[0-9A-F]+: )?(.*)$")


def normalize(log):
    """Sorted delivery lines and warnings of the agents, without ids and times."""
    lines = []
    for line in log.splitlines():
        m = DELIVERY.search(line)
        if not m or ("to=<" not in m.group(2) and "warning:" not in m.group(2)):
            continue
        text = re.sub(r"delay=[\d.]+, delays=[\d./]+", "delay=D", m.group(2))
        lines.append(f"{m.group(1)}: {text}")
    return sorted(lines)


def idle_except(system, keep):
    """Waits until only KEEP messages are left in the queue (the deferred ones)."""
    def done():
        out = system.run("postqueue", "-p").stdout.decode()
        return len(re.findall(r"^[0-9A-F]{6,}\*?!?\s", out, re.M)) == keep
    assert wait_for(done, timeout=20), system.run("postqueue", "-p").stdout


def filter_table():
    """A directory holding the pcre filter table; (directory, main.cf settings)."""
    tables = tempfile.mkdtemp(prefix="tern-dsnfilter-")
    os.chmod(tables, 0o755)
    path = os.path.join(tables, "dsn_filter.pcre")
    with open(path, "w") as f:
        f.write(FILTER)
    os.chmod(path, 0o644)
    return tables, {"default_delivery_status_filter": f"pcre:{path}",
                    "transport_maps": "inline:{errdom.test=error:nope}"}


@pytest.fixture(scope="module")
def pair():
    tables, main_cf = filter_table()
    systems = []
    try:
        for kind in (MailInstance, PostfixOracle):
            system = kind(main_cf=main_cf, aliases="postmaster: root\nteam: root, hard2\n")
            systems.append(system)
            system.start()
            for rcpt in RECIPIENTS:
                result = system.sendmail("-f", "root", rcpt, input=b"Subject: filtered\n\nhi\n")
                assert result.returncode == 0, result.stderr
        for system in systems:
            system.wait_mail("root", count=1 + BOUNCED, timeout=30)
            idle_except(system, 1)
            assert wait_for(lambda: len([x for x in normalize(system.log()) if "to=<" in x])
                            >= len(RECIPIENTS) + BOUNCED)
        yield systems
    finally:
        for system in systems:
            system.cleanup()
        shutil.rmtree(tables, ignore_errors=True)


def test_log_lines_match_postfix(pair):
    tern, oracle = pair
    ours, theirs = normalize(tern.log()), normalize(oracle.log())
    assert ours == theirs, "\n".join(["tern:"] + ours + ["postfix:"] + theirs)


def test_filtered_log_lines(pair):
    tern, _ = pair
    lines = normalize(tern.log())
    expected = [
        'local: to=<root@tern.test>, orig_to=<root>, relay=local, delay=D, dsn=2.1.5, '
        'status=sent (censored)',
        'local: to=<soft1@tern.test>, orig_to=<soft1>, relay=local, delay=D, dsn=4.1.1, '
        'status=deferred (unknown user: "soft1")',
        'local: to=<hard2@tern.test>, orig_to=<hard2>, relay=local, delay=D, dsn=5.1.2, '
        'status=bounced (changed unknown user: "hard2")',
        'local: to=<kind3@tern.test>, orig_to=<kind3>, relay=local, delay=D, dsn=5.1.1, '
        'status=bounced (unknown user: "kind3")',
        'local: to=<code4@tern.test>, orig_to=<code4>, relay=local, delay=D, dsn=5.1.6, '
        'status=bounced (unknown user: "code4")',
        'local: to=<junk5@tern.test>, orig_to=<junk5>, relay=local, delay=D, dsn=5.1.1, '
        'status=bounced (unknown user: "junk5")',
        'local: to=<space6@tern.test>, orig_to=<space6>, relay=local, delay=D, dsn=5.1.3, '
        'status=bounced (lots  of space)',
        'error: to=<x@errdom.test>, relay=none, delay=D, dsn=5.0.0, status=bounced (nope)',
        'local: warning: local_delivery_status_filter: bad status code: 2.0.0 oops',
        'local: warning: local_delivery_status_filter: bad status code: garbage',
    ]
    for line in expected:
        assert line in lines, "\n".join(lines)


def test_bounce_filtered_into_deferral_stays_queued(pair):
    for system in pair:
        queue = system.run("postqueue", "-p").stdout.decode()
        assert "soft1@tern.test" in queue and '(unknown user: "soft1")' in queue, queue


def notices(system, user="root"):
    """{final recipient: (action, status)} of the notices in USER's mailbox."""
    found = {}
    for message in system.mbox(user):
        for part in message.walk():
            if part.get_content_type() == "message/delivery-status":
                for block in part.get_payload()[1:]:
                    rcpt = block["Final-Recipient"].split(";")[1].strip()
                    found[rcpt] = (block["Action"], block["Status"])
    return found


def test_notices_carry_the_filtered_status(pair):
    tern, oracle = pair
    ours = notices(tern)
    assert ours["hard2@tern.test"] == ("failed", "5.1.2")
    assert ours["code4@tern.test"] == ("failed", "5.1.6")
    assert ours["kind3@tern.test"] == ("failed", "5.1.1")
    assert "soft1@tern.test" not in ours
    assert ours == notices(oracle)


def test_sendmail_bv_reports_filtered_codes(pair):
    reports = []
    for system in pair:
        result = system.sendmail("-bv", "-f", "nobody", "root", "soft1", "hard2", "team")
        assert result.returncode == 0, result.stderr
        system.wait_mail("nobody", count=1)
        reports.append(notices(system, "nobody"))
    ours, theirs = reports
    assert ours["soft1@tern.test"] == ("undeliverable", "4.1.1")
    assert ours["hard2@tern.test"] == ("undeliverable", "5.1.2")
    assert ours["root@tern.test"] == ("deliverable", "2.0.0")
    assert ours == theirs


def test_postconf_defaults_match_postfix(pair):
    tern, oracle = pair
    for name in PARAMS:
        ours = tern.run("postconf", "-d", name)
        theirs = oracle.run("postconf", "-d", name)
        assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), name
    # Postfix has no filter parameter for error(8) or discard(8).
    for name in ("error_delivery_status_filter", "discard_delivery_status_filter"):
        assert tern.run("postconf", "-d", name).stdout == oracle.run("postconf", "-d",
                                                                      name).stdout == b""


def test_soft_bounce_after_the_filter():
    tables, main_cf = filter_table()
    main_cf["soft_bounce"] = "yes"
    rcpts = ["soft1", "hard2", "kind3", "x@errdom.test"]
    systems = []
    try:
        for kind in (MailInstance, PostfixOracle):
            system = kind(main_cf=main_cf)
            systems.append(system)
            system.start()
            for rcpt in rcpts:
                result = system.sendmail("-f", "root", rcpt, input=b"Subject: soft\n\nhi\n")
                assert result.returncode == 0, result.stderr
        for system in systems:
            assert wait_for(lambda: len([x for x in normalize(system.log()) if "to=<" in x])
                            >= len(rcpts)), system.log()
            idle_except(system, len(rcpts))
        ours, theirs = (normalize(system.log()) for system in systems)
        assert ours == theirs, "\n".join(["tern:"] + ours + ["postfix:"] + theirs)
        assert ('local: to=<hard2@tern.test>, orig_to=<hard2>, relay=local, delay=D, '
                'dsn=4.1.2, status=SOFTBOUNCE (changed unknown user: "hard2")') in ours
        assert ('error: to=<x@errdom.test>, relay=none, delay=D, dsn=4.0.0, '
                'status=SOFTBOUNCE (nope)') in ours
        assert systems[0].mbox("root") == []
    finally:
        for system in systems:
            system.cleanup()
        shutil.rmtree(tables, ignore_errors=True)
