"""Never lose mail: a stream of messages goes in through sendmail while
pickup, cleanup, qmgr, local and the master are killed with SIGKILL at
random moments; a killed master is started again. At the end every message
whose sendmail exited 0 must be in the mailbox (duplicates are allowed:
delivery is at least once). The short version runs in make check; set
TERN_CRASH_MESSAGES (e.g. 2000) for a long run.

The commit sequence itself is tested by stopping a writer at each step
(every record written, fsync, rename, directory fsync) with a test-only
build that exits there: postdrop in test_postdrop.py, cleanup below (a
message that sendmail acknowledged is delivered at least once whichever
step cleanup died at)."""
import os
import random
import shutil
import re
import signal
import socket
import threading

import pytest

from mail_compare import processes
from tern_instance import BIN, TEST_BIN, MailInstance, alive, session_pids, wait_for

MESSAGES = int(os.environ.get("TERN_CRASH_MESSAGES", "200"))
VICTIMS = ("pickup", "cleanup", "qmgr", "local", "master")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


class Killer(threading.Thread):
    """Kills a random victim every few tens of milliseconds; restarts the master."""

    def __init__(self, inst, seed):
        super().__init__(daemon=True)
        self.inst = inst
        self.random = random.Random(seed)
        self.stopping = threading.Event()
        self.kills = {name: 0 for name in VICTIMS}
        self.errors = []

    def run(self):
        while not self.stopping.wait(self.random.uniform(0.01, 0.08)):
            try:
                self.kill_one()
            except Exception as err:  # keep going; report at the end
                self.errors.append(repr(err))

    def kill_one(self):
        name = self.random.choice(VICTIMS)
        if name == "master":
            if self.random.random() > 0.25:  # the master less often
                return
            pid = self.inst.master_pid()
            if pid and alive(pid):
                os.kill(pid, signal.SIGKILL)
                self.kills[name] += 1
                wait_for(lambda: not session_pids(pid), timeout=10)
            self.restart()
            return
        for pid in processes(self.inst, name)[:1]:
            try:
                os.kill(pid, signal.SIGKILL)
                self.kills[name] += 1
            except ProcessLookupError:
                pass

    def restart(self):
        pid = self.inst.master_pid()
        if not (pid and alive(pid)):
            result = self.inst.postfix("start")
            if result.returncode != 0:
                self.errors.append("postfix start: " + result.stderr)


def submit(inst, tag):
    body = f"Subject: crash {tag}\n\nmessage {tag}\n".encode()
    result = inst.sendmail("-i", "-f", "root", "root", input=body)
    return result.returncode == 0


def delivered_tags(inst):
    tags = []
    for message in inst.mbox("root"):
        match = re.match(r"crash (\d+)$", message.get("Subject", ""))
        if match:
            tags.append(int(match.group(1)))
    return tags


def test_no_acknowledged_message_is_lost_while_daemons_die():
    with MailInstance(main_cf={"minimal_backoff_time": "2s", "maximal_backoff_time": "4s",
                               "queue_run_delay": "2s",
                               # A killed local leaves its mailbox dot-lock behind.
                               "stale_lock_time": "3s"}) as inst:
        inst.start()
        killer = Killer(inst, seed=os.getpid())
        acked = []
        killer.start()
        try:
            for tag in range(MESSAGES):
                if submit(inst, tag):
                    acked.append(tag)
        finally:
            killer.stopping.set()
            killer.join(timeout=30)
        killer.restart()
        assert acked, "no submission succeeded"
        inst.run("postqueue", "-f")

        def all_there():
            return set(acked) <= set(delivered_tags(inst))
        wait_for(all_there, timeout=60 + MESSAGES // 10, interval=0.5)
        lost = sorted(set(acked) - set(delivered_tags(inst)))
        print(f"submitted {MESSAGES}, acknowledged {len(acked)}, kills {killer.kills}, "
              f"lost {len(lost)}")
        assert not killer.errors, killer.errors
        assert lost == [], f"acknowledged but never delivered: {lost}\n{inst.log()[-5000:]}"
        assert sum(killer.kills.values()) > 0, "nothing was killed: the test proved nothing"


def fault_daemon_directory(inst, daemon, fault_program):
    """A daemon directory like BIN where DAEMON is the test-only FAULT_PROGRAM."""
    libexec = os.path.join(inst.base, "libexec")
    os.mkdir(libexec)
    for name in os.listdir(BIN):
        if name != daemon:
            os.symlink(os.path.join(BIN, name), os.path.join(libexec, name))
    shutil.copy(os.path.join(TEST_BIN, fault_program), os.path.join(libexec, daemon))
    return libexec


IMPORT_ENV = "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C"


def wake_pickup(inst):
    """What "postkick public pickup W" does: one wake-up of the pickup service."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(inst.path("public", "pickup"))
        sock.sendall(b"W")


@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_cleanup_dying_at_each_commit_step_loses_nothing(step):
    if not os.access(os.path.join(TEST_BIN, "tern-test-cleanup-fault"), os.X_OK):
        pytest.skip("tern-test-cleanup-fault is not built")
    with MailInstance() as inst:
        libexec = fault_daemon_directory(inst, "cleanup", "tern-test-cleanup-fault")
        inst.write_main_cf({"daemon_directory": libexec,
                            "import_environment": f"{IMPORT_ENV} TERN_COMMIT_FAULT_STEP={step}"})
        inst.start()
        result = inst.sendmail("-i", "-f", "root", "root", input=b"Subject: fault\n\nx\n")
        assert result.returncode == 0, result.stderr
        inst.wait_log(r"postfix/master\[\d+\]: warning: .*cleanup.* exit status 99", timeout=20)
        committed = inst.queue_files("incoming") + inst.queue_files("active")
        if step < 3:  # died before the rename: nothing committed, maildrop keeps it
            assert inst.mbox("root") == [] and committed == []
        assert inst.queue_files("maildrop"), "the acknowledged message left maildrop"
        # The fault goes away (a fixed cleanup); the message must arrive.
        inst.write_main_cf({"import_environment": IMPORT_ENV})
        assert inst.postfix("reload").returncode == 0
        inst.run("postqueue", "-f")
        # pickup's own retry may have come before the reload (and failed too);
        # its next scan is its periodic wake-up or a trigger, as in Postfix.
        wake_pickup(inst)
        got = inst.wait_mail("root", timeout=20)
        assert all(m["Subject"] == "fault" for m in got)
        assert wait_for(lambda: inst.queue_files("maildrop") == [], timeout=20)
        # Died after the rename: the committed copy and pickup's retry may both
        # arrive (at least once); before it, exactly once.
        if step < 3:
            assert len(inst.mbox("root")) == 1
