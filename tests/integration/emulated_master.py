"""Starting one daemon the way the master does, without a master: the test
makes the listeners and the status pipe itself, and the child gets the
pipe's write end at descriptor 5 and the listeners from descriptor 6 on
(lib/master/master_proto.h). Status records are struct master_status
{int pid; unsigned gen; int avail;} in native byte order.

    child = spawn(PROGRAM, [PROGRAM, "-n", "rewrite", "-t", "unix"], env,
                  listeners=[sock.fileno()])
    assert child.read_status() == (child.pid, 0, AVAIL)
    ...
    child.kill()

Used by the skeleton, postlogd and trivial-rewrite tests."""
import fcntl
import os
import select
import signal
import struct
import time

STATUS = struct.Struct("=iIi")
TAKEN, AVAIL = 0, 1
STATUS_FD, LISTEN_FD = 5, 6
WAIT = 5.0


class Child:
    """One spawned daemon: pid, status pipe read end, stderr pipe."""

    def __init__(self, pid, status_r, err_r):
        self.pid = pid
        self.status_r = status_r
        self.err_r = err_r
        self.err = b""
        self.exit_status = None

    def read_status(self, timeout=WAIT):
        """The next status record as (pid, gen, avail), or None at EOF/timeout."""
        buf = b""
        deadline = time.monotonic() + timeout
        while len(buf) < STATUS.size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.status_r], [], [], left)[0]:
                return None
            chunk = os.read(self.status_r, STATUS.size - len(buf))
            if not chunk:
                return None
            buf += chunk
        return STATUS.unpack(buf)

    def expect_status(self, avail, gen=0):
        record = self.read_status()
        assert record == (self.pid, gen, avail), record

    def close_status(self):
        if self.status_r is not None:
            os.close(self.status_r)
            self.status_r = None

    def wait(self, timeout=WAIT):
        """The exit status (os.waitstatus_to_exitcode form), or None if still running."""
        if self.exit_status is not None:
            return self.exit_status
        deadline = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_status = os.waitstatus_to_exitcode(status)
                return self.exit_status
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)

    def alive(self):
        return self.wait(timeout=0) is None

    def stderr(self):
        """Everything written to stderr so far (complete once the child exited)."""
        while self.err_r is not None and select.select([self.err_r], [], [], 0.2)[0]:
            chunk = os.read(self.err_r, 65536)
            if not chunk:
                break
            self.err += chunk
        return self.err.decode(errors="replace")

    def kill(self):
        if self.exit_status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait()
        for fd in (self.status_r, self.err_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.status_r = self.err_r = None


def spawn(program, argv, env, listeners=(), status=True, stdout=None):
    """Starts PROGRAM with ARGV and ENV as the master would; returns a Child.
    stdin is /dev/null, stdout is /dev/null or the descriptor STDOUT, stderr
    a pipe (Child.stderr); without STATUS there is no descriptor 5."""
    status_r, status_w = os.pipe() if status else (None, None)
    err_r, err_w = os.pipe()
    targets = {1: stdout, 2: err_w}
    if status:
        targets[STATUS_FD] = status_w
    for i, fd in enumerate(listeners):
        targets[LISTEN_FD + i] = fd
    pid = os.fork()
    if pid == 0:
        try:
            null = os.open("/dev/null", os.O_RDWR)
            if targets[1] is None:
                targets[1] = null
            high = {tgt: fcntl.fcntl(src, fcntl.F_DUPFD, 100) for tgt, src in targets.items()}
            os.dup2(null, 0)
            for tgt, src in high.items():
                os.dup2(src, tgt)
            for fd in range(3, 1024):
                if fd not in targets:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            os.execve(program, argv, env)
        finally:
            os._exit(127)
    os.close(err_w)
    if status:
        os.close(status_w)
    return Child(pid, status_r, err_r)
