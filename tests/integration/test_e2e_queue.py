"""Deferral, flush, hold and release, deletion, delay warnings and
pflogsumm on a whole system, side by side with Debian's Postfix
(PostfixOracle) on the same settings.

Mail for slow@tern.test is routed to the "retry" transport (error(8) in
retry mode) by a transport map, so it is deferred with the reason "try
later"; the backoff is long, so it moves only when a test flushes it.
"Fixing" the route removes the map entry, rebuilds the map, reloads, and
flushes; the alias slow: root then delivers it to root's mailbox.
mailq listings are compared after masking queue ids, sizes and times."""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from tern_instance import MailInstance, PostfixOracle, wait_for

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")

ALIASES = "postmaster: root\nslow: root\n"
SLOW = {"minimal_backoff_time": "300s", "maximal_backoff_time": "600s",
        "queue_run_delay": "300s"}


def postmap(system):
    return system.command("postmap") if isinstance(system, MailInstance) else "/usr/sbin/postmap"


def set_transport(system, text):
    """Writes and builds conf/transport (TEXT lines) and names it in main.cf once."""
    table = os.path.join(system.conf_dir, "transport")
    with open(table, "w") as f:
        f.write(text)
    subprocess.run([postmap(system), "-c", system.conf_dir, table], check=True,
                   capture_output=True, timeout=10)
    main_cf = os.path.join(system.conf_dir, "main.cf")
    with open(main_cf) as f:
        if "transport_maps" not in f.read():
            with open(main_cf, "a") as g:
                g.write(f"transport_maps = hash:{table}\n")


def make(cls, main_cf=None):
    system = cls(main_cf=dict(SLOW, **(main_cf or {})), aliases=ALIASES)
    set_transport(system, "slow@tern.test retry:try later\n")
    system.start()
    return system


@pytest.fixture
def pair():
    made = []
    try:
        made.append(make(MailInstance))
        made.append(make(PostfixOracle))
        yield made
    finally:
        for system in made:
            system.cleanup()


def queue_files(system, queue):
    found = []
    for _dirpath, _dirs, files in os.walk(os.path.join(system.queue_dir, queue)):
        found.extend(files)
    return found


def mailq(system):
    result = system.run("postqueue", "-p")
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


def masked(listing):
    """A mailq listing with queue ids, sizes, dates and totals masked."""
    listing = re.sub(r"^[0-9A-F]{6,}([*!]?) +\d+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d ",
                     r"QUEUEID\1 SIZE DATE ", listing, flags=re.M)
    return re.sub(r"^-- \d+ Kbytes", "-- N Kbytes", listing, flags=re.M)


def queue_ids(listing):
    return re.findall(r"^([0-9A-F]{6,})[*!]? ", listing, flags=re.M)


def wait_deferred(system, count=1):
    got = wait_for(lambda: len(queue_ids(mailq(system))) >= count and
                   "(try later)" in mailq(system), timeout=15)
    assert got, mailq(system)
    return queue_ids(mailq(system))


def fix_route(system):
    set_transport(system, "# nothing\n")
    result = system.run("postfix", "-c", system.conf_dir, "reload")
    assert result.returncode == 0, result.stderr


def test_deferred_mail_in_mailq_like_postfix(pair):
    listings = []
    for system in pair:
        result = system.sendmail("-f", "root", "slow", input=b"Subject: later\n\nx\n")
        assert result.returncode == 0
        wait_deferred(system)
        listings.append(masked(mailq(system)))
        # The JSON form has the same keys and reason.
        line = system.run("postqueue", "-j").stdout.decode().strip()
        assert '"queue_name": "deferred"' in line and '"delay_reason": "try later"' in line
    assert listings[0] == listings[1], listings
    assert "(try later)\n" in listings[0]
    pair[0].wait_log(r"postfix/error\[\d+\]: \w+: to=<slow@tern\.test>, orig_to=<slow>, "
                     r"relay=none, .*dsn=4\.0\.0, status=deferred \(try later\)$")


@pytest.mark.parametrize("flush", [("postqueue", "-f"), ("sendmail", "-q"), ("postfix", "flush")])
def test_flush_delivers_deferred_mail(flush):
    system = make(MailInstance)
    try:
        assert system.sendmail("-f", "root", "slow", input=b"Subject: flushed\n\nx\n") \
            .returncode == 0
        wait_deferred(system)
        fix_route(system)
        time.sleep(0.5)
        assert system.mbox("root") == []  # the backoff holds it; only a flush moves it
        args = flush[1:] if flush[0] != "postfix" else ("-c", system.conf_dir, "flush")
        result = system.run(flush[0], *args)
        assert result.returncode == 0, result.stderr
        [msg] = system.wait_mail("root", timeout=10)
        assert msg["Subject"] == "flushed"
        assert wait_for(lambda: mailq(system) == "Mail queue is empty\n", timeout=5)
    finally:
        system.cleanup()


def test_defer_transports_defers_local_mail():
    system = MailInstance(main_cf=dict(SLOW, defer_transports="local"), aliases=ALIASES)
    try:
        system.start()
        assert system.sendmail("-f", "root", "root", input=b"Subject: d\n\nx\n").returncode == 0
        assert wait_for(lambda: "(deferred transport)" in mailq(system), timeout=5), \
            mailq(system) + system.log()
        system.wait_log(r"postfix/error\[\d+\]: \w+: to=<root@tern\.test>, orig_to=<root>, "
                        r"relay=none, .*dsn=4\.3\.2, status=deferred \(deferred transport\)$")
        # As Postfix: a flush delivers it although the transport is still listed.
        assert system.run("postqueue", "-f").returncode == 0
        [msg] = system.wait_mail("root", timeout=10)
        assert msg["Subject"] == "d"
    finally:
        system.cleanup()


def test_hold_and_release_like_postfix(pair):
    outputs = []
    for system in pair:
        assert system.sendmail("-f", "root", "slow", input=b"Subject: held\n\nx\n") \
            .returncode == 0
        [qid] = wait_deferred(system)
        held = system.run("postsuper", "-h", qid)
        listing = mailq(system)
        assert re.search(rf"^{qid}! ", listing, flags=re.M), listing
        released = system.run("postsuper", "-H", qid)
        assert re.search(rf"^{qid} ", mailq(system), flags=re.M), mailq(system)
        outputs.append((held.returncode, held.stderr.decode().replace(qid, "QUEUEID"),
                        masked(listing), released.returncode,
                        released.stderr.decode().replace(qid, "QUEUEID")))
        fix_route(system)
        assert system.run("postqueue", "-f").returncode == 0
        [msg] = system.wait_mail("root", timeout=10)
        assert msg["Subject"] == "held"
    assert outputs[0] == outputs[1], outputs
    assert outputs[0][1] == "postsuper: QUEUEID: placed on hold\n" \
        "postsuper: Placed on hold: 1 message\n"
    assert outputs[0][4] == "postsuper: QUEUEID: released from hold\n" \
        "postsuper: Released from hold: 1 message\n"
    pair[0].wait_log(r"postfix/postsuper\[\d+\]: \w+: placed on hold$")
    pair[0].wait_log(r"postfix/postsuper\[\d+\]: \w+: released from hold$")


def test_postsuper_delete_all_like_postfix(pair):
    outputs = []
    for system in pair:
        for n in range(3):
            system.sendmail("-f", "root", "slow", input=f"Subject: del {n}\n\nx\n".encode())
        ids = wait_deferred(system, count=3)
        system.run("postsuper", "-h", ids[0])
        deleted = system.run("postsuper", "-d", "ALL")
        outputs.append((deleted.returncode, deleted.stderr.decode().strip(), mailq(system)))
        assert queue_files(system, "deferred") == [] and queue_files(system, "hold") == []
        assert queue_files(system, "defer") == []  # the logs go with the messages
    assert outputs[0] == outputs[1], outputs
    assert outputs[0][1] == "postsuper: Deleted: 3 messages"
    assert outputs[0][2] == "Mail queue is empty\n"


def test_delay_warning_arrives():
    cfg = {"delay_warning_time": "1s", "minimal_backoff_time": "1s",
           "maximal_backoff_time": "1s", "queue_run_delay": "1s"}
    system = make(MailInstance, cfg)
    try:
        assert system.sendmail("-f", "root", "slow", input=b"Subject: slowly\n\nx\n") \
            .returncode == 0
        [notice] = system.wait_mail("root", timeout=5)
        assert notice["Subject"] == "Delayed Mail (still being retried)"
        assert "Action: delayed" in notice.as_string()
    finally:
        system.cleanup()


def pflogsumm_totals(log_file):
    """The Grand Totals of pflogsumm over LOG_FILE: {"received": N, ...}."""
    result = subprocess.run(["pflogsumm", log_file], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    totals = {}
    for key in ("received", "delivered", "forwarded", "deferred", "bounced", "rejected"):
        match = re.search(rf"^\s*(\d+)\s+{key}\b", result.stdout, flags=re.M)
        assert match, f"no {key} in:\n{result.stdout[:2000]}"
        totals[key] = int(match.group(1))
    return totals


@pytest.mark.skipif(not shutil.which("pflogsumm"), reason="pflogsumm is not installed")
def test_pflogsumm_counts_like_postfix(pair):
    totals = []
    for system in pair:
        for n in range(3):
            system.sendmail("-f", "root", "root", input=f"Subject: ok {n}\n\nx\n".encode())
        for n in range(2):
            system.sendmail("-f", "root", f"nobody-{n}", input=b"Subject: no\n\nx\n")
        system.sendmail("-f", "root", "slow", input=b"Subject: later\n\nx\n")
        system.wait_mail("root", count=5, timeout=20)  # 3 messages + 2 bounces
        wait_deferred(system)
        time.sleep(0.5)
        totals.append(pflogsumm_totals(system.log_file))
    assert totals[0] == totals[1], totals
    # pflogsumm counts pickup's and smtpd's submissions: 6 (not the 2
    # notices); 3 messages + 2 notices delivered.
    assert totals[0] == {"received": 6, "delivered": 5, "forwarded": 0, "deferred": 1,
                         "bounced": 2, "rejected": 0}, totals


def agent_results(log_text):
    """(program, to, orig_to, relay, dsn, status) of every error/discard line."""
    return sorted(re.findall(r"postfix/(error|discard)\[\d+\]: \w+: to=<([^>]*)>, "
                             r"orig_to=<([^>]*)>, relay=(\S+), delay=[\d.]+, "
                             r"delays=[\d./]+, dsn=(\S+), status=(.*)$", log_text, flags=re.M))


def test_error_retry_discard_agents_like_postfix():
    """The error agent (bounce or, as retry, defer, with the reason and
    status of the transport's next hop), the discard agent, the notice
    and a mailq of several recipients with different reasons."""
    routes = ("slow@tern.test retry:try later\nslow2@tern.test retry:4.7.1 other reason\n"
              "err@tern.test error:5.7.1 go away\nerr2@tern.test error:no code\n"
              "sink@tern.test discard:sunk here\nsink2@tern.test discard\n")
    seen = []
    for cls in (MailInstance, PostfixOracle):
        system = cls(main_cf=SLOW, aliases=ALIASES)
        try:
            set_transport(system, routes)
            system.start()
            long_sender = "someone.with.a.very.long.address@example.very-long-domain-name.test"
            for args in (["slow", "slow2", "root"], ["err", "err2", "sink", "sink2"]):
                assert system.sendmail("-f", "root", *args,
                                       input=b"Subject: agents\n\nx\n").returncode == 0
            assert system.sendmail("-f", long_sender, "slow", input=b"Subject: long\n\n" +
                                   b"x" * 5000 + b"\n").returncode == 0
            [notice] = [m for m in system.wait_mail("root", count=2, timeout=15)
                        if m.get_content_type() == "multipart/report"]
            wait_deferred(system, count=2)
            with open(system.log_file) as f:
                log_text = f.read()
            rcpts = []
            for part in notice.walk():
                if part.get_content_type() == "message/delivery-status":
                    rcpts = sorted((b["Final-Recipient"], b["Action"], b["Status"])
                                   for b in part.get_payload()[1:])
            heading, rest = masked(mailq(system)).split("\n", 1)
            entries = [heading] + sorted(rest.split("\n\n"))  # the scan order varies
            seen.append((agent_results(log_text), rcpts, entries))
        finally:
            system.cleanup()
    assert seen[0] == seen[1], seen
    assert len(seen[0][0]) == 7
    assert ("discard", "sink2@tern.test", "sink2", "none", "2.0.0", "sent (tern.test)") \
        in seen[0][0]
    assert ("error", "err2@tern.test", "err2", "none", "5.0.0", "bounced (no code)") \
        in seen[0][0]


@pytest.fixture
def scratch():
    """A directory under /tmp that every user can reach."""
    path = tempfile.mkdtemp(prefix="tern-e2e-q-", dir="/tmp")
    os.chmod(path, 0o755)
    try:
        yield pathlib.Path(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_active_mail_marked_in_mailq_like_postfix(scratch):
    """A message whose delivery is under way is listed with '*'."""
    gate = scratch / "gate"
    script = scratch / "slowbox"
    script.write_text(f"#!/bin/sh\ncat > /dev/null\nwhile [ ! -e {gate} ]; do sleep 0.05; done\n")
    script.chmod(0o755)
    listings = []
    for cls in (MailInstance, PostfixOracle):
        system = cls(main_cf=dict(SLOW, mailbox_command=str(script)), aliases=ALIASES)
        try:
            system.start()
            assert system.sendmail("-f", "root", "nobody", input=b"Subject: busy\n\nx\n") \
                .returncode == 0
            got = wait_for(lambda: re.search(r"^[0-9A-F]+\* ", mailq(system), flags=re.M),
                           timeout=15)
            assert got, mailq(system)
            listings.append(masked(mailq(system)))
            gate.touch()
            assert wait_for(lambda: mailq(system) == "Mail queue is empty\n", timeout=15)
            gate.unlink()
        finally:
            system.cleanup()
    assert listings[0] == listings[1], listings
    assert listings[0].splitlines()[1].startswith("QUEUEID* SIZE DATE  root@tern.test")
