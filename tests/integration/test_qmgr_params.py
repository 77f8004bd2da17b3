"""qmgr(8) parameters in a real instance (the QmgrInstance of
test_qmgr.py: master, trivial-rewrite, qmgr and the test agent):
dont_remove, the removal of orphan logs at start-up,
qmgr_clog_warn_time / helpful_warnings, and
qmgr_message_recipient_limit with qmgr_message_recipient_minimum.
"""
import os
import pwd
import re

from tern_instance import wait_for
from test_qmgr import make_qmgr  # noqa: F401 (the fixture)


def test_dont_remove_keeps_finished_files_in_saved(make_qmgr):  # noqa: F811
    q = make_qmgr(main_cf={"dont_remove": "1"})
    q.start()
    qid = q.qfile("a@example.com", "defer-b@example.com")
    other = q.qfile("c@example.com")
    q.trigger()
    q.wait_log(rf"postfix/qmgr\[\d+\]: {other}: removed$")
    assert q.files("saved") == [other]
    # A deferred message is not finished: it stays in deferred, not saved.
    assert wait_for(lambda: q.find("deferred", qid)), q.log()
    assert qid not in q.files("saved")
    assert q.files("active") == []


def test_files_are_removed_without_dont_remove(make_qmgr):  # noqa: F811
    q = make_qmgr()
    q.start()
    qid = q.qfile("a@example.com")
    q.trigger()
    q.wait_log(rf"{qid}: removed")
    assert q.files("saved") == [] and q.files("active") == []


def _log_path(q, queue, qid):
    top = q.inst.path(queue)
    if queue == "defer":  # hashed, as hash_queue_names says by default
        top = os.path.join(top, qid[0])
    os.makedirs(top, exist_ok=True)
    owner = pwd.getpwnam("postfix")
    os.chown(top, owner.pw_uid, -1)
    path = os.path.join(top, qid)
    with open(path, "w") as f:
        f.write("recipient=x@example.com\nreason=old\n\n")
    os.chown(path, owner.pw_uid, -1)
    return path


def test_orphan_logs_are_removed_at_start(make_qmgr):  # noqa: F811
    q = make_qmgr()
    held = q.qfile("h@example.com", queue="hold")
    gone = q.qfile("g@example.com", queue="hold")
    os.unlink(q.find("hold", gone))
    orphans = [_log_path(q, name, gone) for name in ("defer", "bounce", "trace")]
    kept = [_log_path(q, name, held) for name in ("defer", "bounce", "trace")]
    q.start()
    assert wait_for(lambda: not any(os.path.exists(p) for p in orphans)), q.log()
    assert all(os.path.exists(p) for p in kept)
    assert q.find("hold", held)
    assert q.qmgr_pid()


CLOG = r"warning: mail for {dest} is using up (\d+) of (\d+) active queue entries"


def test_clog_warning_names_the_destination_once(make_qmgr):  # noqa: F811
    q = make_qmgr(main_cf={"qmgr_message_active_limit": "10",
                           "test_destination_concurrency_limit": "1",
                           "test_initial_destination_concurrency": "1"})
    q.start()
    for i in range(6):
        q.qfile(f"slow-{i}@clog.example")
    q.trigger()
    lines = q.wait_log(CLOG.format(dest=r"clog\.example"))
    length, total = map(int, re.search(CLOG.format(dest=r"clog\.example"), lines[0]).groups())
    assert length == 3 and 3 <= total <= 6  # more than a fifth of 10
    q.wait_log(r"warning: you may need to increase the main\.cf "
               r"test_destination_concurrency_limit from 1$")
    q.wait_log(r"warning: to turn off these warnings specify: qmgr_clog_warn_time = 0$")
    assert wait_for(lambda: len(q.delivered()) == 6, timeout=20), q.log()
    # At most one warning per qmgr_clog_warn_time (300s by default).
    assert len(re.findall(CLOG.format(dest=r"clog\.example"), q.log())) == 1


def test_clog_warning_off(make_qmgr):  # noqa: F811
    for settings in ({"qmgr_clog_warn_time": "0"}, {"helpful_warnings": "no"}):
        q = make_qmgr(main_cf=dict(settings, qmgr_message_active_limit="10",
                                   test_destination_concurrency_limit="1"))
        q.start()
        ids = [q.qfile(f"x{i}@quiet.example") for i in range(6)]
        q.trigger()
        for qid in ids:
            q.wait_log(rf"{qid}: removed")
        assert "active queue entries" not in q.log()


def test_recipient_minimum_takes_priority(make_qmgr):  # noqa: F811
    q = make_qmgr(main_cf={"qmgr_message_recipient_limit": "1",
                           "qmgr_message_recipient_minimum": "4",
                           "test_destination_recipient_limit": "100"})
    q.start()
    qid = q.qfile(*[f"r{i}@example.com" for i in range(10)])
    q.trigger()
    assert wait_for(lambda: len(q.delivered()) == 10), q.log()
    q.wait_log(rf"{qid}: removed")
    counts = [int(e[2]) for e in q.events() if e[0] == "start"]
    assert counts == [4, 4, 2], counts
