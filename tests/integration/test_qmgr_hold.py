"""qmgr(8) and postsuper(1) acting on a message during its delivery, end
to end: sendmail, pickup, cleanup, qmgr, local (aliases to |commands),
postsuper. The command of each alias announces that it started, then waits
for a "go" file the test creates, then records its recipient: so the test
holds (or deletes) the message while two deliveries are under way and a
third recipient waits for a free delivery slot.

What must hold (docs/queue-format.md, "What qmgr does about it"):
- postsuper -h during delivery: the recipients that finish afterwards keep
  their done-markers, so after postsuper -H only the recipient that never
  started is delivered: every recipient exactly once;
- postsuper -d during delivery: qmgr writes nothing (no logs re-created),
  does not crash, and keeps delivering other mail.
"""
import os
import re
import shutil
import tempfile
import time

import pytest

from tern_instance import BIN, MailInstance, cmdline, wait_for

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(os.access(os.path.join(BIN, n), os.X_OK)
                                 for n in ("sendmail", "postdrop", "postsuper", "local", "qmgr")),
    reason="needs root and the built mail system")

SCRIPT = """#!/bin/sh
# $1: recipient tag, $2: scratch directory
touch "$2/started.$1"
n=0
while [ ! -e "$2/go" ]; do
    n=$((n + 1))
    [ $n -gt 400 ] && exit 75
    sleep 0.05
done
cat > /dev/null
echo "$1" >> "$2/out"
exit 0
"""

TAGS = ("a1", "a2", "a3")


@pytest.fixture
def system():
    # Under /tmp, not pytest's tmp_path: the commands run as default_privs.
    base = tempfile.mkdtemp(prefix="tern-qmgr-hold-", dir="/tmp")
    os.chmod(base, 0o755)
    scratch = os.path.join(base, "scratch")
    os.mkdir(scratch)
    os.chmod(scratch, 0o777)
    script = os.path.join(base, "slow")
    with open(script, "w") as f:
        f.write(SCRIPT)
    os.chmod(script, 0o755)
    aliases = "postmaster: root\n" + "".join(
        f"{tag}: \"|{script} {tag} {scratch}\"\n" for tag in TAGS)
    mi = MailInstance(main_cf={"local_destination_concurrency_limit": "2",
                               "local_destination_recipient_limit": "1",
                               "minimal_backoff_time": "300s",
                               "maximal_backoff_time": "600s"},
                      aliases=aliases)
    try:
        mi.start()
        yield mi, scratch
    finally:
        mi.cleanup()
        shutil.rmtree(base, ignore_errors=True)


def delivered(scratch):
    try:
        with open(os.path.join(scratch, "out")) as f:
            return f.read().split()
    except FileNotFoundError:
        return []


def started(scratch):
    return sorted(t for t in TAGS if os.path.exists(os.path.join(scratch, f"started.{t}")))


def submit_and_catch_in_flight(mi, scratch):
    """Sends to a1 a2 a3; waits until two commands run; returns the queue id."""
    r = mi.sendmail("-f", "root", *TAGS, input=b"Subject: slow\n\nbody\n")
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: len(started(scratch)) == 2, timeout=15), mi.log()
    ids = mi.queue_files("active")
    assert len(ids) == 1, (ids, mi.log())
    time.sleep(0.3)  # the third recipient really waits for a slot: it must not start
    assert len(started(scratch)) == 2
    return ids[0]


def qmgr_pids(mi):
    return [pid for pid in mi.children()
            if os.path.basename((cmdline(pid) or [""])[0]) == "qmgr"]


def let_go(scratch):
    """The waiting commands may finish."""
    open(os.path.join(scratch, "go"), "w").close()


def postsuper(mi, *args):
    result = mi.run("postsuper", *args)
    assert result.returncode == 0, result.stderr


def assert_gone(mi, qid):
    """No queue directory holds QID any more."""
    for queue in ("hold", "deferred", "active", "incoming", "defer", "bounce", "trace"):
        assert qid not in mi.queue_files(queue), queue


def test_hold_during_delivery_keeps_done_markers(system):
    mi, scratch = system
    qid = submit_and_catch_in_flight(mi, scratch)
    first = started(scratch)
    postsuper(mi, "-h", qid)
    assert mi.queue_files("hold") == [qid]
    let_go(scratch)
    assert wait_for(lambda: sorted(delivered(scratch)) == first, timeout=15), mi.log()
    for tag in first:
        mi.wait_log(rf"postfix/local\[\d+\]: {qid}: to=<{tag}@tern\.test>.*status=sent")
    # qmgr records both results in the held file: postcat shows them done.
    def marks():
        out = mi.run("postcat", "-e", "-q", qid).stdout.decode()
        return sorted(re.findall(r"^done_recipient: (\w+)@", out, re.M))
    assert wait_for(lambda: marks() == first, timeout=10), (marks(), mi.log())
    # Held: nothing else moves, the third recipient never started.
    time.sleep(0.3)
    assert mi.queue_files("hold") == [qid] and mi.queue_files("active") == []
    assert started(scratch) == first
    assert not re.search(rf"postfix/qmgr\[\d+\]: {qid}: removed", mi.log())
    postsuper(mi, "-H", qid)
    mi.postfix("flush")
    assert wait_for(lambda: len(delivered(scratch)) == 3, timeout=15), mi.log()
    mi.wait_log(rf"postfix/qmgr\[\d+\]: {qid}: removed$")
    time.sleep(0.3)
    assert sorted(delivered(scratch)) == list(TAGS)  # each exactly once
    log = mi.log()
    for tag in TAGS:
        sent = re.findall(rf"{qid}: to=<{tag}@tern\.test>.*status=sent", log)
        assert len(sent) == 1, (tag, log)
    assert_gone(mi, qid)


def test_delete_during_delivery_writes_nothing(system):
    mi, scratch = system
    qid = submit_and_catch_in_flight(mi, scratch)
    pids = qmgr_pids(mi)
    postsuper(mi, "-d", qid)
    let_go(scratch)
    assert wait_for(lambda: len(delivered(scratch)) == 2, timeout=15), mi.log()
    mi.wait_log(rf"postfix/local\[\d+\]: {qid}: to=<a\d@tern\.test>.*status=sent", timeout=10)
    # Later mail still flows through the same qmgr.
    r = mi.sendmail("-f", "root", "root", input=b"Subject: after\n\nx\n")
    assert r.returncode == 0, r.stderr
    mi.wait_mail("root")
    assert qmgr_pids(mi) == pids and pids
    time.sleep(0.3)
    assert len(delivered(scratch)) == 2
    assert_gone(mi, qid)
    assert not re.search(rf"postfix/qmgr\[\d+\]: {qid}: removed", mi.log())
    assert "panic" not in mi.log() and "fatal" not in mi.log()


def test_hold_and_release_during_delivery_delivers_each_once(system):
    """Released while its first deliveries still run: qmgr does not take the
    released copy in again until they finished, so nobody gets it twice."""
    mi, scratch = system
    qid = submit_and_catch_in_flight(mi, scratch)
    first = started(scratch)
    postsuper(mi, "-h", qid)
    postsuper(mi, "-H", qid)
    mi.postfix("flush")
    time.sleep(0.5)  # a second copy would start its deliveries now
    assert mi.queue_files("active") == [] and mi.queue_files("deferred") == [qid]
    let_go(scratch)
    assert wait_for(lambda: len(delivered(scratch)) >= 3, timeout=15), mi.log()
    mi.wait_log(rf"postfix/qmgr\[\d+\]: {qid}: removed$")
    time.sleep(0.3)
    assert sorted(delivered(scratch)) == list(TAGS), (delivered(scratch), first)
