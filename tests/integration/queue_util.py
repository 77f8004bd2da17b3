"""A temporary Tern queue for the postcat and postsuper tests.

QueueDir makes DIR/etc/main.cf and DIR/queue with every queue directory,
owned by mail_owner (the "postfix" user, as postsuper works with its
privileges), and writes messages with the test program tern-test-qfile
($TERN_BUILD/tests/bin), which goes through Tern's own qfile writer.
Commands run with TZ=UTC and without MAIL_CONFIG from the caller.
"""
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

BUILD = os.environ.get("TERN_BUILD", "/work/main/build")
ROOT = os.environ.get("TERN_ROOT", "/work/main")
QUEUES = ["maildrop", "incoming", "active", "deferred", "hold", "corrupt", "bounce",
          "defer", "trace", "flush", "saved"]
TIMEOUT = 30


def binary(name, test_prog=False):
    path = os.path.join(BUILD, "tests/bin" if test_prog else "bin", name)
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} is not built")
    return path


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr.decode("utf-8", "replace")

    def lines(self):
        return self.out.decode("utf-8", "replace").splitlines()

    def errors(self, prog):
        """stderr lines without the "prog: " prefix."""
        return [line[len(prog) + 2:] if line.startswith(prog + ": ") else line
                for line in self.err.splitlines()]

    def __repr__(self):
        return f"rc={self.rc} out={self.out[:400]!r} err={self.err[:800]!r}"


def as_user(name):
    pw = pwd.getpwnam(name)

    def switch():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    return switch


class QueueDir:
    def __init__(self, settings=(), owner="postfix"):
        self.top = tempfile.mkdtemp(prefix="tern-queue-")
        os.chmod(self.top, 0o755)  # mail_owner must get through
        self.etc = os.path.join(self.top, "etc")
        self.queue = os.path.join(self.top, "queue")
        self.log = os.path.join(self.top, "maillog")
        self.owner = pwd.getpwnam(owner)
        os.mkdir(self.etc, 0o755)
        os.mkdir(self.queue, 0o755)
        os.chown(self.queue, self.owner.pw_uid, -1)
        for name in QUEUES:
            path = os.path.join(self.queue, name)
            os.mkdir(path, 0o700)
            os.chown(path, self.owner.pw_uid, -1)
        with open(self.log, "w"):
            pass
        os.chown(self.log, self.owner.pw_uid, -1)
        self.settings = {"queue_directory": self.queue, "mail_owner": owner,
                         "maillog_file": self.log, "maillog_file_prefixes": self.top}
        self.configure(dict(settings))

    def configure(self, settings):
        self.settings.update(settings)
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for name, value in self.settings.items():
                f.write(f"{name} = {value}\n")

    def cleanup(self):
        shutil.rmtree(self.top, ignore_errors=True)

    def env(self):
        env = {k: v for k, v in os.environ.items() if k not in ("MAIL_CONFIG", "MAIL_VERBOSE")}
        env["TZ"] = "UTC"
        return env

    def make(self, queue="incoming", args=(), message=b"Subject: test\n\nbody\n", sender="a@example.com",
             rcpts=("b@example.com",), long_ids=False):
        """Writes one message with tern-test-qfile as mail_owner; returns its id."""
        cmd = [binary("tern-test-qfile", test_prog=True), "-C", self.queue, "-q", queue,
               "-H", self.settings.get("hash_queue_names", "deferred, defer"),
               "-D", str(self.settings.get("hash_queue_depth", 1)), "-s", sender]
        if long_ids:
            cmd.append("-L")
        for rcpt in rcpts:
            cmd += ["-r", rcpt]
        proc = subprocess.run(cmd + list(args), input=message, capture_output=True,
                              timeout=TIMEOUT, preexec_fn=as_user(self.owner.pw_name))
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.decode().strip()

    def path(self, queue, name, depth=None):
        """Where a file named name is in queue with the configured hashing."""
        hashed = [q.strip() for q in
                  self.settings.get("hash_queue_names", "deferred, defer").replace(",", " ").split()]
        depth = int(self.settings.get("hash_queue_depth", 1)) if depth is None else depth
        parts = [self.queue, queue]
        if queue in hashed:
            source = name
            if "z" in name:  # a long id hashes by its microseconds in hex
                source = "%05X" % long_id_usec(name)
            parts += [source[i] if i < len(source) else "_" for i in range(depth)]
        return os.path.join(*parts, name)

    def files(self, queue):
        """Relative paths of every file below queue."""
        found = []
        base = os.path.join(self.queue, queue)
        for dirpath, _, names in os.walk(base):
            for name in names:
                found.append(os.path.relpath(os.path.join(dirpath, name), self.queue))
        return sorted(found)

    def makedirs(self, path):
        """Creates path and missing parents below the queue, owned by mail_owner."""
        if os.path.isdir(path):
            return
        self.makedirs(os.path.dirname(path))
        os.mkdir(path, 0o700)
        os.chown(path, self.owner.pw_uid, -1)

    def write_log(self, queue, msg_id, text=b"log\n"):
        path = self.path(queue, msg_id)
        self.makedirs(os.path.dirname(path))
        with open(path, "wb") as f:
            f.write(text)
        os.chown(path, self.owner.pw_uid, -1)
        return path

    def run(self, prog, *args, stdin=b"", user=None):
        cmd = [binary(prog), "-c", self.etc, *args]
        proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=TIMEOUT,
                              env=self.env(), preexec_fn=as_user(user) if user else None)
        return Result(proc)

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"


def long_id_usec(name):
    time_part = name[:name.rindex("z")]
    value = 0
    for ch in time_part[-4:]:
        value = value * 52 + ALPHABET.index(ch)
    return value


def long_id_inode(name):
    value = 0
    for ch in name[name.rindex("z") + 1:]:
        value = value * 51 + ALPHABET.index(ch)
    return value


@pytest.fixture
def qdir():
    q = QueueDir()
    try:
        yield q
    finally:
        q.cleanup()
