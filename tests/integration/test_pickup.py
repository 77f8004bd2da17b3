"""pickup, the local mail pickup daemon, with real daemons.

An instance runs master, trivial-rewrite, cleanup and pickup (no qmgr: the
new messages are read back from incoming/ with postcat from the build).
Maildrop files are written with tern-test-qfile (Tern's own qfile writer,
as postdrop uses it) and given the owner a test needs; pickup is woken
with "W" on public/pickup, as postdrop wakes it.
"""
import os
import pwd
import re
import socket
import subprocess
import time

import pytest

from tern_instance import BIN, TEST_BIN, TernInstance, wait_for
from test_cleanup import HOST, content, make_queues, postcat, queue_files, BASE_CF

MASTER_CF = (
    "rewrite unix - - n - - trivial-rewrite\n"
    "cleanup unix n - n - 0 cleanup\n"
    "pickup unix n - n 60 1 pickup\n"
)
NOBODY = pwd.getpwnam("nobody").pw_uid


@pytest.fixture
def inst():
    instance = TernInstance(master_cf=MASTER_CF, main_cf=dict(BASE_CF), daemon_directory=BIN)
    try:
        make_queues(instance)
        owner = pwd.getpwnam(instance.mail_owner)
        os.chmod(instance.path("maildrop"), 0o1730)
        os.chown(instance.path("maildrop"), owner.pw_uid, owner.pw_gid)
        yield instance
    finally:
        instance.cleanup()


def start(instance):
    instance.start()
    assert wait_for(lambda: os.path.exists(instance.path("public", "pickup")))


def drop(instance, message="Subject: test\n\nbody\n", sender="joe", rcpts=("bob",),
         attrs=(), owner=NOBODY, mode="0644"):
    """A maildrop file owned by OWNER; returns its queue id.

    The file is made in saved/ and renamed into maildrop/ once it has its
    owner, so that pickup never sees it half-made."""
    args = [os.path.join(TEST_BIN, "tern-test-qfile"), "-C", instance.queue_dir, "-q",
            "saved", "-m", mode, "-s", sender]
    for attr in attrs:
        args += ["-a", attr]
    for rcpt in rcpts:
        args += ["-r", rcpt]
    proc = subprocess.run(args, input=message.encode(), capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    qid = proc.stdout.decode().strip()
    os.chown(instance.path("saved", qid), owner, -1)
    os.rename(instance.path("saved", qid), instance.path("maildrop", qid))
    return qid


def wake(instance):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(instance.path("public", "pickup"))
        s.sendall(b"W")


def picked_up(instance, count=1):
    """Waits until maildrop is empty and incoming holds COUNT files; returns their ids."""
    def done():
        files = queue_files(instance, "incoming")
        return files if not queue_files(instance, "maildrop") and len(files) >= count else None
    files = wait_for(done)
    assert files, (queue_files(instance, "maildrop"), instance.log())
    return files


def test_user_file_is_fed_to_cleanup_and_removed(inst):
    start(inst)
    old = drop(inst, attrs=["full_name=Joe User", "rewrite_context=remote", "filter=smtp:x",
                            "submit_uid=0"])
    wake(inst)
    (qid,) = picked_up(inst)
    assert qid != old
    inst.wait_log(rf"postfix/pickup\[\d+\]: {qid}: uid={NOBODY} from=<joe>$")
    env = postcat(inst, qid, "-e")
    assert f"sender: joe@{HOST}" in env and f"recipient: bob@{HOST}" in env
    assert "rewrite_context=local" in env and f"submit_uid={NOBODY}" in env
    assert "rewrite_context=remote" not in env and "smtp:x" not in env
    assert "submit_uid=0" not in env
    lines = content(inst, qid).splitlines()
    assert lines[0] == f"Received: by {HOST} (Tern, from userid {NOBODY})"
    assert f"From: Joe User <joe@{HOST}>" in lines
    inst.wait_log(rf"cleanup\[\d+\]: {qid}: message-id=<")


def test_corrupt_files_quarantined_while_good_mail_flows(inst):
    good1 = drop(inst, rcpts=("ann",))
    with open(inst.path("maildrop", "ABCDEF123"), "w") as f:
        f.write("this is not a queue file\n")
    truncated = drop(inst, rcpts=("carl",))
    path = inst.path("maildrop", truncated)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) - 20)
    good2 = drop(inst, rcpts=("dora",))
    start(inst)
    wake(inst)
    ids = picked_up(inst, 2)
    assert len(ids) == 2
    rcpts = sorted(re.search(r"^recipient: (\S+)", postcat(inst, i, "-e"), re.M).group(1)
                   for i in ids)
    assert rcpts == [f"ann@{HOST}", f"dora@{HOST}"]
    assert sorted(os.listdir(inst.path("corrupt"))) == sorted(["ABCDEF123", truncated])
    inst.wait_log(r"pickup\[\d+\]: warning: ABCDEF123: corrupt queue file in maildrop queue "
                  r"moved to corrupt queue: .*not a queue file")
    inst.wait_log(rf"pickup\[\d+\]: warning: {truncated}: corrupt queue file in maildrop queue "
                  r"moved to corrupt queue: .*truncated")
    assert good1 not in ids and good2 not in ids


def test_requeued_mail_owner_file_keeps_envelope(inst):
    owner = pwd.getpwnam(inst.mail_owner).pw_uid
    qid_old = drop(inst, sender="alice@example.org",
                   rcpts=("done@example.org|done@example.org||0|1", "todo@example.org"),
                   attrs=["rewrite_context=remote", "log_client_name=mx.example.org",
                          "submit_uid=1000"],
                   message="Received: by somewhere\nSubject: requeued\n\nx\n", owner=owner)
    start(inst)
    wake(inst)
    (qid,) = picked_up(inst)
    assert qid != qid_old
    env = postcat(inst, qid, "-e")
    assert "sender: alice@example.org" in env
    assert re.findall(r"^recipient: (\S+)", env, re.M) == ["todo@example.org"]
    assert "rewrite_context=remote" in env and "submit_uid" not in env
    lines = content(inst, qid).splitlines()
    assert lines[0] == "Received: by somewhere"
    inst.wait_log(rf"pickup\[\d+\]: {qid}: uid={owner} from=<alice@example.org>$")


def test_refused_file_removed_and_temporary_failure_kept(inst):
    inst.write_master_cf(MASTER_CF.replace("cleanup unix", "#cleanup unix"))
    start(inst)
    kept = drop(inst)
    wake(inst)
    inst.wait_log(rf"pickup\[\d+\]: warning: {kept}: connect to public/cleanup: ")
    assert queue_files(inst, "maildrop") == [kept]
    inst.write_master_cf(MASTER_CF)
    inst.reload()
    assert wait_for(lambda: os.path.exists(inst.path("public", "cleanup")))
    refused = drop(inst, rcpts=())
    wake(inst)
    picked_up(inst, 1)
    inst.wait_log(rf"pickup\[\d+\]: warning: maildrop/{refused}: message refused by cleanup "
                  r"\(5.1.0 no recipients specified\) -- file removed")


def test_stale_temporary_files_removed(inst):
    stale = inst.path("maildrop", ".tmpOLD123")
    fresh = inst.path("maildrop", ".tmpNEW123")
    for path in (stale, fresh):
        with open(path, "w") as f:
            f.write("partial")
    past = time.time() - 2 * 3600
    os.utime(stale, (past, past))
    start(inst)
    wake(inst)
    assert wait_for(lambda: not os.path.exists(stale))
    assert os.path.exists(fresh)


def test_sendmail_t_style_file_extracts_recipients(inst):
    drop(inst, rcpts=(), attrs=["extract_recipients=yes"],
         message="To: ann\nBcc: bob@example.org\nSubject: t\n\nbody\n")
    start(inst)
    wake(inst)
    (qid,) = picked_up(inst)
    env = postcat(inst, qid, "-e")
    assert sorted(re.findall(r"^recipient: (\S+)", env, re.M)) == \
        sorted([f"ann@{HOST}", "bob@example.org"])
    lines = content(inst, qid).splitlines()
    assert f"To: ann@{HOST}" in lines and not any(l.startswith("Bcc:") for l in lines)


def test_postsuper_requeue_goes_through_pickup(inst):
    args = [os.path.join(TEST_BIN, "tern-test-qfile"), "-C", inst.queue_dir, "-q", "hold",
            "-s", "alice@example.org", "-r", "x@example.org|x@example.org||0|1",
            "-r", "y@example.org"]
    proc = subprocess.run(args, input=b"Subject: held\n\nx\n", capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    held = proc.stdout.decode().strip()
    owner = pwd.getpwnam(inst.mail_owner).pw_uid
    os.chown(inst.path("hold", held), owner, -1)  # as cleanup would have left it
    start(inst)
    res = subprocess.run([os.path.join(BIN, "postsuper"), "-c", inst.conf_dir, "-r", held],
                         capture_output=True, timeout=30)
    assert res.returncode == 0, res.stderr
    wake(inst)
    (qid,) = picked_up(inst)
    assert queue_files(inst, "hold") == []
    inst.wait_log(rf"pickup\[\d+\]: {qid}: uid={owner} from=<alice@example.org>$")
    assert re.findall(r"^recipient: (\S+)", postcat(inst, qid, "-e"), re.M) == ["y@example.org"]
