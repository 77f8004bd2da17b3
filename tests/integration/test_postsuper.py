"""postsuper: delete, hold, release, requeue, expire, structure check and
purge on a temporary Tern queue, with Postfix's messages and counts.

The expected stderr lines are those of Debian's Postfix 3.7 postsuper for
the same requests (observed on a temporary Postfix instance): per-message
lines for ids but not for ALL, the counts in a fixed order (Requeued,
Deleted, Force-expired, Placed on hold, Released from hold), "invalid mail
queue id" warnings, "invalid directory name" and the superuser check as
fatal errors, and the rename report of -s.
"""
import fcntl
import os
import re
import shutil
import subprocess
import time

import pytest

from queue_util import QueueDir, binary, long_id_inode, qdir  # noqa: F401 (fixture)


def errors(res):
    return res.errors("postsuper")


def test_delete_one_message_and_its_logs(qdir):
    msg_id = qdir.make("deferred")
    other = qdir.make("deferred")
    logs = [qdir.write_log(q, msg_id) for q in ("defer", "bounce", "trace")]
    other_log = qdir.write_log("defer", other)
    res = qdir.run("postsuper", "-d", msg_id)
    assert res.rc == 0, res
    assert errors(res) == [f"{msg_id}: removed", "Deleted: 1 message"]
    assert not os.path.exists(qdir.path("deferred", msg_id))
    assert not any(os.path.exists(p) for p in logs)
    assert os.path.exists(qdir.path("deferred", other)) and os.path.exists(other_log)
    assert re.search(rf"postfix/postsuper\[\d+\]: {msg_id}: removed\n", qdir.log_text())
    assert re.search(r"postfix/postsuper\[\d+\]: Deleted: 1 message\n", qdir.log_text())


def test_delete_all_with_queue_restriction(qdir):
    held = [qdir.make("hold") for _ in range(2)]
    deferred = [qdir.make("deferred") for _ in range(3)]
    incoming = qdir.make("incoming")
    res = qdir.run("postsuper", "-d", "ALL", "deferred")
    assert res.rc == 0, res
    assert errors(res) == ["Deleted: 3 messages"]  # no per-message lines for ALL
    assert qdir.files("deferred") == []
    assert len(qdir.files("hold")) == 2 and len(qdir.files("incoming")) == 1
    res = qdir.run("postsuper", "-d", held[0], "incoming")  # not in the named queue
    assert errors(res) == ["Deleted: 0 messages"]
    assert os.path.exists(qdir.path("hold", held[0]))
    res = qdir.run("postsuper", "-d", "all")  # ALL in capitals only
    assert errors(res) == ["Deleted: 0 messages"]
    res = qdir.run("postsuper", "-d", "ALL")
    assert errors(res) == ["Deleted: 3 messages"]
    assert qdir.files("hold") == [] and qdir.files("incoming") == []
    assert deferred and incoming


def test_ids_from_standard_input(qdir):
    first = qdir.make("hold")
    second = qdir.make("active")
    kept = qdir.make("hold")
    stdin = f"{first}\n\n  {kept} \n../etc\n{second}\nNOSUCH1\n".encode()
    res = qdir.run("postsuper", "-d", "-", stdin=stdin)
    assert res.rc == 0, res
    assert errors(res) == [f"{first}: removed", "warning: invalid mail queue id: ",
                           f"warning: invalid mail queue id:   {kept} ",
                           "warning: invalid mail queue id: ../etc",
                           f"{second}: removed", "Deleted: 2 messages"]
    assert os.path.exists(qdir.path("hold", kept))


def test_bad_queue_ids_are_refused(qdir):
    msg_id = qdir.make("hold")
    victim = os.path.join(qdir.top, "victim")
    with open(victim, "w") as f:
        f.write("x")
    os.chown(victim, qdir.owner.pw_uid, -1)
    for bad in ("../victim", "../../victim", "a/b", ".tmpAAAAAA", "x" * 40, f"{msg_id}\x01"):
        res = qdir.run("postsuper", "-d", bad, "-h", bad)
        assert res.rc == 0, res
        assert errors(res)[0].startswith("warning: invalid mail queue id: "), res
        assert errors(res)[-2:] == ["Deleted: 0 messages", "Placed on hold: 0 messages"]
    assert os.path.exists(victim) and os.path.exists(qdir.path("hold", msg_id))


def test_hold_and_release(qdir):
    msg_id = qdir.make("deferred")
    log = qdir.write_log("defer", msg_id)
    res = qdir.run("postsuper", "-h", msg_id)
    assert errors(res) == [f"{msg_id}: placed on hold", "Placed on hold: 1 message"]
    assert os.path.exists(qdir.path("hold", msg_id)) and os.path.exists(log)
    assert qdir.files("deferred") == []
    res = qdir.run("postsuper", "-h", msg_id)  # already held
    assert errors(res) == ["Placed on hold: 0 messages"]
    old = time.time() - 86400
    os.utime(qdir.path("hold", msg_id), (old, old))
    res = qdir.run("postsuper", "-H", msg_id)
    assert errors(res) == [f"{msg_id}: released from hold", "Released from hold: 1 message"]
    released = qdir.path("deferred", msg_id)
    assert os.path.exists(released) and qdir.files("hold") == []
    assert os.stat(released).st_mtime > time.time() - 600  # due for delivery now
    res = qdir.run("postsuper", "-H", msg_id)
    assert errors(res) == ["Released from hold: 0 messages"]


def test_hold_all_and_pointless_queues(qdir):
    for queue in ("incoming", "active", "deferred", "deferred"):
        qdir.make(queue)
    maildrop = qdir.make("maildrop")
    res = qdir.run("postsuper", "-h", "ALL")
    assert errors(res) == ["Placed on hold: 4 messages"]
    assert len(qdir.files("hold")) == 4 and qdir.files("maildrop") == [f"maildrop/{maildrop}"]
    assert errors(qdir.run("postsuper", "-h", "ALL", "hold")) == ["Placed on hold: 0 messages"]
    assert errors(qdir.run("postsuper", "-H", "ALL", "deferred")) == [
        "Released from hold: 0 messages"]
    assert errors(qdir.run("postsuper", "-H", "ALL")) == ["Released from hold: 4 messages"]
    assert len(qdir.files("deferred")) == 4


def test_requeue(qdir):
    msg_id = qdir.make("deferred")
    logs = [qdir.write_log(q, msg_id) for q in ("defer", "bounce")]
    res = qdir.run("postsuper", "-r", msg_id)
    assert errors(res) == [f"{msg_id}: requeued", "Requeued: 1 message"]
    assert qdir.files("maildrop") == [f"maildrop/{msg_id}"]
    assert not any(os.path.exists(p) for p in logs)
    # the file moved as it is: still a valid queue file, owned by mail_owner
    path = os.path.join(qdir.queue, "maildrop", msg_id)
    assert os.stat(path).st_uid == qdir.owner.pw_uid
    assert qdir.run("postcat", path).rc == 0
    res = qdir.run("postsuper", "-r", msg_id, "maildrop")
    assert errors(res) == ["Requeued: 0 messages"]
    assert errors(qdir.run("postsuper", "-r", "ALL")) == ["Requeued: 0 messages"]


def test_expire_and_expire_release(qdir):
    deferred = qdir.make("deferred")
    held = qdir.make("hold")
    res = qdir.run("postsuper", "-e", deferred, "-e", held)
    assert errors(res) == [f"{deferred}: expired", f"{held}: expired", "Force-expired: 2 messages"]
    assert os.stat(qdir.path("deferred", deferred)).st_mode & 0o010
    assert os.stat(qdir.path("hold", held)).st_mode & 0o010  # marked, still held
    res = qdir.run("postsuper", "-e", deferred)
    assert errors(res) == ["Force-expired: 0 messages"]
    res = qdir.run("postsuper", "-f", held)  # already expired: only released
    assert errors(res) == [f"{held}: released from hold", "Force-expired: 0 messages",
                           "Released from hold: 1 message"]
    assert os.path.exists(qdir.path("deferred", held))
    other = qdir.make("hold")
    res = qdir.run("postsuper", "-f", "ALL")
    assert errors(res) == ["Force-expired: 1 message", "Released from hold: 1 message"]
    assert os.stat(qdir.path("deferred", other)).st_mode & 0o010


def test_requests_in_order_counts_in_fixed_order(qdir):
    a, b = qdir.make("deferred"), qdir.make("hold")
    res = qdir.run("postsuper", "-d", a, "-r", b, "-H", "NOSUCH1", "-h", "NOSUCH2",
                   "-e", "NOSUCH3")
    assert res.rc == 0, res
    assert errors(res) == [f"{a}: removed", f"{b}: requeued", "Requeued: 1 message",
                           "Deleted: 1 message", "Force-expired: 0 messages",
                           "Placed on hold: 0 messages", "Released from hold: 0 messages"]


def test_refusals(qdir):
    msg_id = qdir.make("hold")
    res = qdir.run("postsuper", "-d", "ALL", "corrupt")
    assert res.rc == 1 and errors(res) == ["fatal: invalid directory name: corrupt"]
    res = qdir.run("postsuper", "-d", "ALL", user="nobody")
    assert res.rc == 1
    assert errors(res) == ["fatal: use of this command is reserved for the superuser"]
    proc = subprocess.run([binary("postsuper"), "-c", "etc", "-d", "ALL"], cwd=qdir.top,
                          capture_output=True, env=qdir.env(), timeout=30)
    assert proc.returncode == 1
    assert b"fatal: -c requires absolute pathname" in proc.stderr
    res = qdir.run("postsuper", "-x")
    assert res.rc == 1 and "fatal: usage: postsuper" in res.err
    assert os.path.exists(qdir.path("hold", msg_id))


def test_personal_instance_owner_may_run_it():
    q = QueueDir(owner="nobody")
    try:
        msg_id = q.make("deferred")
        res = q.run("postsuper", "-h", msg_id, user="nobody")
        assert res.rc == 0, res
        assert errors(res) == [f"{msg_id}: placed on hold", "Placed on hold: 1 message"]
        assert os.path.exists(q.path("hold", msg_id))
    finally:
        q.cleanup()


def fake_name(qdir, queue, msg_id, name):
    """Gives a message file a name that does not match its inode."""
    src = qdir.path(queue, msg_id)
    dst = qdir.path(queue, name)
    qdir.makedirs(os.path.dirname(dst))
    os.rename(src, dst)
    return dst


def test_structure_renames_names_that_do_not_match_the_inode(qdir):
    msg_id = qdir.make("hold")
    fake_name(qdir, "hold", msg_id, "ABCDE12")
    log = qdir.write_log("defer", "ABCDE12")
    inode = os.stat(qdir.path("hold", "ABCDE12")).st_ino
    new_id = "ABCDE%X" % inode
    res = qdir.run("postsuper", "-s")
    assert res.rc == 0, res
    assert errors(res) == ["Renamed to match inode number: 1 message",
                           "warning: QUEUE FILE NAMES WERE CHANGED TO MATCH INODE NUMBERS"]
    assert qdir.files("hold") == [f"hold/{new_id}"]
    assert not os.path.exists(log) and os.path.exists(qdir.path("defer", new_id))
    assert errors(qdir.run("postsuper", "-s")) == []  # nothing left to do


def test_structure_change_stops_the_other_requests(qdir):
    msg_id = qdir.make("hold")
    fake_name(qdir, "hold", msg_id, "ABCDE12")
    res = qdir.run("postsuper", "-s", "-d", "ABCDE12")
    assert res.rc == 1
    assert errors(res) == ["error: QUEUE FILE NAMES WERE CHANGED TO MATCH INODE NUMBERS",
                           "fatal: CHECK YOUR QUEUE IDS AND RE-ISSUE THE COMMAND",
                           "warning: OPERATION INCOMPLETE -- RERUN COMMAND TO FIX THE QUEUE FIRST"]
    assert len(qdir.files("hold")) == 1  # not deleted


def test_structure_long_and_short_ids(qdir):
    long_id = qdir.make("hold", long_ids=True)
    assert "z" in long_id
    res = qdir.run("postsuper", "-s")  # enable_long_queue_ids = no: long names become short
    assert errors(res)[0] == "Renamed to match inode number: 1 message"
    inode = os.stat(qdir.path("hold", qdir.files("hold")[0].split("/")[1])).st_ino
    assert qdir.files("hold")[0].endswith("%X" % inode)
    qdir.configure({"enable_long_queue_ids": "yes"})
    good = qdir.make("hold", long_ids=True)
    wrong = good[:good.rindex("z") + 1] + "0"
    fake_name(qdir, "hold", good, wrong)
    assert errors(qdir.run("postsuper", "-s")) == []  # -s trusts long names
    res = qdir.run("postsuper", "-S")
    assert errors(res)[0] == "Renamed to match inode number: 1 message"
    renamed = [f for f in qdir.files("hold") if "z" in f][0].split("/")[1]
    assert long_id_inode(renamed) == os.stat(qdir.path("hold", renamed)).st_ino
    assert renamed[:renamed.rindex("z")] == good[:good.rindex("z")]


def test_structure_moves_files_and_reports_bogus_names(qdir):
    msg_id = qdir.make("deferred")
    flat = os.path.join(qdir.queue, "deferred", msg_id)
    os.rename(qdir.path("deferred", msg_id), flat)  # as if hash_queue_depth had changed
    held = qdir.make("hold")
    qdir.makedirs(os.path.join(qdir.queue, "hold", "Z"))
    os.rename(qdir.path("hold", held), os.path.join(qdir.queue, "hold", "Z", held))
    bogus = os.path.join(qdir.queue, "active", "bad.name")
    with open(bogus, "w") as f:
        f.write("x")
    res = qdir.run("postsuper", "-s")
    assert res.rc == 0, res
    assert errors(res) == ["warning: bogus file name: active/bad.name"]
    assert qdir.files("deferred") == [f"deferred/{msg_id[0]}/{msg_id}"]
    assert qdir.files("hold") == [f"hold/{held}"]
    assert not os.path.exists(os.path.join(qdir.queue, "hold", "Z"))
    assert os.path.exists(bogus)
    qdir.configure({"hash_queue_depth": 2, "hash_queue_names": "deferred, defer, hold"})
    assert qdir.run("postsuper", "-s", "hold").rc == 0  # only the hold queue
    assert qdir.files("hold") == [f"hold/{held[0]}/{held[1]}/{held}"]
    assert qdir.files("deferred") == [f"deferred/{msg_id[0]}/{msg_id}"]


def test_purge_removes_only_stale_unlocked_temporary_files(qdir):
    incoming = os.path.join(qdir.queue, "incoming")
    paths = {}
    for name in ("stale", "fresh", "locked"):
        paths[name] = os.path.join(incoming, ".tmp" + name[:6].ljust(6, "X"))
        with open(paths[name], "w") as f:
            f.write("x")
        os.chown(paths[name], qdir.owner.pw_uid, -1)
    old = time.time() - 7200
    os.utime(paths["stale"], (old, old))
    os.utime(paths["locked"], (old, old))
    with open(paths["locked"]) as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        res = qdir.run("postsuper", "-p")
    assert res.rc == 0 and errors(res) == []
    assert not os.path.exists(paths["stale"])
    assert os.path.exists(paths["fresh"]) and os.path.exists(paths["locked"])


def test_no_options_means_structure_and_purge(qdir):
    msg_id = qdir.make("hold")
    fake_name(qdir, "hold", msg_id, "ABCDE12")
    stale = os.path.join(qdir.queue, "maildrop", ".tmpABCDEF")
    with open(stale, "w") as f:
        f.write("x")
    os.chown(stale, qdir.owner.pw_uid, -1)
    os.utime(stale, (time.time() - 7200,) * 2)
    res = qdir.run("postsuper")
    assert res.rc == 0, res
    assert errors(res)[0] == "Renamed to match inode number: 1 message"
    assert not os.path.exists(stale)


def test_waits_for_the_lock_of_another_mover(qdir):
    msg_id = qdir.make("active")
    path = qdir.path("active", msg_id)
    holder = open(path)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        proc = subprocess.Popen([binary("postsuper"), "-c", qdir.etc, "-d", msg_id],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=qdir.env())
        try:
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:  # it must not get through while we hold the lock
                assert proc.poll() is None
                assert os.path.exists(path)
                time.sleep(0.05)
            fcntl.flock(holder, fcntl.LOCK_UN)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        holder.close()
    assert proc.returncode == 0
    assert err.decode().splitlines() == [f"postsuper: {msg_id}: removed",
                                         "postsuper: Deleted: 1 message"]
    assert not os.path.exists(path)
