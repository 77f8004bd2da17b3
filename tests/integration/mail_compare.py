"""Helpers shared by the integration tests that compare Tern with Debian's
Postfix (tern_instance.MailInstance against tern_instance.PostfixOracle) and
by the tests that run qmgr or flush in a bare TernInstance.

Differential runs:
  each_system(body, main_cf=None, aliases=...)  body(system) on a started
      Tern, then on a started Postfix, same settings; [ours, theirs].
  mask_text(text)       queue ids, 14-digit stamps, RFC 5322 dates and the
      product name ("(Postfix, " / "(Tern, " and "(Postfix)" / "(Tern)")
      replaced by fixed words; everything else is left as it is.
  normalize(message)    ([(name, masked value)], body) of an email.message.
  masked_local_lines(log)  local(8)'s "to=..." log lines, queue ids and
      delays masked, sorted.
  queue_empty(system), wait_queue_empty(system)  no file left in incoming,
      active or deferred (the wait asserts, with the log, after 15 s).
  login_user(name, prefix)  a context manager: a login user made with
      useradd, its home below a fresh /tmp directory; yields (pw, parent)
      and removes both (userdel -r) at the end.
  processes(inst, name)  pids of the instance's processes running program
      NAME ([] when its master is not running).

Queue tests (qmgr, flush) in a TernInstance:
  make_queues(inst, names)  each queue directory, mode 0700, owned by
      mail_owner ("postfix").
  write_qfile(queue_dir, rcpts, ...)  a message written by tern-test-qfile
      as mail_owner; its queue id.
  place_message(inst, qid, queue)  moves a message written to hold (where
      qmgr never looks) into QUEUE (hashed one level for deferred/defer).
  LogDrain  a mixin for classes with self.inst: start_drain() reads the
      instance's public/postlog sink all the time (its queue is short), log()
      and wait_log(pattern, count, timeout) read what was collected,
      stop_drain() ends the thread.
"""
import contextlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
import time

from tern_instance import (TEST_BIN, MailInstance, PostfixOracle, alive, cmdline, session_pids,
                           wait_for)

QUEUE_ID = r"\b[0-9A-F]{8,12}\b"
MASKS = [
    (QUEUE_ID, "QUEUEID"),
    (r"\b\d{14}\b", "STAMP"),
    (r"\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)", "DATE"),
    (r"\((Postfix|Tern), ", "(MTA, "),
    (r"\((Postfix|Tern)\)", "(MTA)"),
]


def mask_text(text):
    for pattern, replacement in MASKS:
        text = re.sub(pattern, replacement, text)
    return text


def normalize(message):
    """Header (name, value) pairs and body with the natural differences masked."""
    return [(name, mask_text(value)) for name, value in message.items()], message.get_payload()


def each_system(body, main_cf=None, aliases="postmaster: root\n"):
    """Runs body(system) on a fresh Tern and a fresh Postfix; their results."""
    results = []
    for cls in (MailInstance, PostfixOracle):
        system = cls(main_cf=main_cf or {}, aliases=aliases)
        try:
            system.start()
            results.append(body(system))
        finally:
            system.cleanup()
    return results


def masked_local_lines(log):
    lines = []
    for line in log.splitlines():
        m = re.search(r"postfix/local\[\d+\]: [0-9A-F]+: (to=.*)$", line)
        if not m:
            continue
        text = re.sub(r"delay=[\d.]+, delays=[\d./]+", "DELAYS", m.group(1))
        lines.append(re.sub(QUEUE_ID, "QUEUEID", text))
    return sorted(lines)


def queue_empty(system):
    for queue in ("incoming", "active", "deferred"):
        for _dirpath, _dirs, files in os.walk(system.path(queue)):
            if files:
                return False
    return True


def log_settled(log):
    """Every message qmgr took in has its "removed" line: the delivery lines,
    logged before the agent answered qmgr, are in the log too."""
    active = set(re.findall(r"qmgr\[\d+\]: (\w+): from=<.*\(queue active\)$", log, re.M))
    removed = set(re.findall(r"qmgr\[\d+\]: (\w+): removed$", log, re.M))
    return active <= removed


def wait_queue_empty(system, timeout=15):
    """The queues are empty and the log has caught up with them."""
    assert wait_for(lambda: queue_empty(system) and log_settled(system.log()),
                    timeout=timeout), system.log()


@contextlib.contextmanager
def login_user(name, prefix):
    """A login user NAME with its home in a new /tmp/PREFIX* directory."""
    parent = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(parent, 0o755)
    home = os.path.join(parent, name)
    subprocess.run(["userdel", "-r", name], capture_output=True)
    subprocess.run(["useradd", "-m", "-d", home, "-s", "/bin/sh", name], check=True,
                   capture_output=True, timeout=30)
    try:
        yield pwd.getpwnam(name), parent
    finally:
        subprocess.run(["userdel", "-r", name], capture_output=True, timeout=30)
        shutil.rmtree(parent, ignore_errors=True)


def processes(inst, name):
    """Pids of the instance's processes whose program is NAME."""
    pid = inst.master_pid()
    if not pid or not alive(pid):
        return []
    return [p for p in session_pids(pid)
            if (argv := cmdline(p)) and os.path.basename(argv[0]) == name]


# --- queue tests: qmgr, flush ---

def mail_owner():
    return pwd.getpwnam("postfix")


def make_queues(inst, names):
    owner = mail_owner()
    for name in names:
        path = inst.path(name)
        os.mkdir(path, 0o700)
        os.chown(path, owner.pw_uid, -1)


def write_qfile(queue_dir, rcpts, queue="incoming", sender="sender@example.com", attrs=(),
                body="Subject: test\n\nhello\n", args=()):
    """tern-test-qfile as mail_owner: a message in QUEUE; its queue id."""
    cmd = [os.path.join(TEST_BIN, "tern-test-qfile"), "-C", queue_dir, "-q", queue, "-s", sender]
    for a in attrs:
        cmd += ["-a", a]
    for r in rcpts:
        cmd += ["-r", r]
    cmd += list(args)
    owner = mail_owner()
    proc = subprocess.run(cmd, input=body.encode(), capture_output=True, timeout=10,
                          user=owner.pw_uid, group=owner.pw_gid, extra_groups=[])
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode().strip()


def place_message(inst, qid, queue):
    """Moves hold/QID into QUEUE; its new path."""
    target = inst.path(queue)
    if queue in ("deferred", "defer"):
        target = os.path.join(target, qid[0])
        os.makedirs(target, exist_ok=True)
        os.chown(target, mail_owner().pw_uid, -1)
    os.rename(inst.path("hold", qid), os.path.join(target, qid))
    return os.path.join(target, qid)


class LogDrain:
    """Collects self.inst's log all the time; see the module comment."""

    def start_drain(self):
        self.log_lock = threading.Lock()
        self.draining = True
        self.drainer = threading.Thread(target=self._drain, daemon=True)
        self.drainer.start()

    def _drain(self):
        while self.draining:
            with self.log_lock:
                self.inst.log()
            time.sleep(0.01)

    def stop_drain(self):
        self.draining = False
        self.drainer.join(timeout=5)

    def log(self):
        with self.log_lock:
            return self.inst.log()

    def wait_log(self, pattern, count=1, timeout=10):
        regex = re.compile(pattern)

        def found():
            lines = [line for line in self.log().splitlines() if regex.search(line)]
            return lines if len(lines) >= count else None
        lines = wait_for(found, timeout)
        assert lines, f"log has no line matching {pattern!r} (x{count}):\n{self.log()}"
        return lines
