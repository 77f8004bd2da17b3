"""The daemon skeleton (lib/master/mail_server.h), driven through the test
daemon tern-test-echo with this file playing the master: it opens the
listener (a UNIX or TCP socket, a FIFO, a datagram socket), makes the status
pipe, and starts the child with the status pipe's write end at descriptor 5
and the listener at 6, MAIL_CONFIG pointing at a temporary main.cf and
GENERATION in the environment. Status records are struct master_status
{int pid; unsigned gen; int avail;} in native byte order."""
import os
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

import emulated_master
from emulated_master import AVAIL, TAKEN

BUILD = os.environ.get("TERN_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
ECHO = os.path.join(BUILD, "tests", "bin", "tern-test-echo")
WAIT = emulated_master.WAIT


def spawn(args, conf, listeners=(), status=True, gen=None):
    """Starts the echo daemon as the master would; returns a Child."""
    env = {"PATH": "/usr/bin:/bin", "MAIL_CONFIG": str(conf)}
    if gen is not None:
        env["GENERATION"] = gen
    return emulated_master.spawn(ECHO, [ECHO] + list(args), env, listeners, status)


@pytest.fixture
def inst(tmp_path):
    """A main.cf with queue_directory and maillog_file in tmp_path; cleans up children.
    The children send their log records to postlogd's socket, public/postlog, which
    this fixture binds in postlogd's place (read_log collects the records)."""
    queue = tmp_path / "queue"
    (queue / "public").mkdir(parents=True)
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "main.cf").write_text(f"queue_directory = {queue}\nmaillog_file = {tmp_path}/maillog\n"
                                  f"maillog_file_prefixes = {tmp_path}\n")
    postlog = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    postlog.bind(str(queue / "public" / "postlog"))

    class Inst:
        children = []
        sockets = []

        def __init__(self):
            self.tmp = tmp_path
            self.queue = queue
            self.conf = conf
            self.postlog = postlog

        def main_cf(self, text):
            (conf / "main.cf").write_text(f"queue_directory = {queue}\n" + text)

        def unix_listener(self, kind=socket.SOCK_STREAM, name="sock"):
            sock = socket.socket(socket.AF_UNIX, kind)
            sock.bind(str(tmp_path / name))
            if kind == socket.SOCK_STREAM:
                sock.listen(16)
            self.sockets.append(sock)
            return sock

        def spawn(self, args, listeners=(), **kw):
            child = spawn(args, conf, [l if isinstance(l, int) else l.fileno() for l in listeners],
                          **kw)
            self.children.append(child)
            return child

        def connect(self, name="sock"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(WAIT)
            sock.connect(str(tmp_path / name))
            self.sockets.append(sock)
            return sock

    obj = Inst()
    yield obj
    for child in obj.children:
        child.kill()
    for sock in obj.sockets:
        sock.close()
    postlog.close()


class Lines:
    """Line reader over a connected socket, with the test's time bound."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise EOFError(self.buf)
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def ask(self, command):
        self.sock.sendall(command.encode() + b"\n")
        return self.line()


def hello_fields(line):
    assert line.startswith("hello "), line
    return dict(item.split("=", 1) for item in line.split()[1:])


def read_lines_until(path, count, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().splitlines()
            if len(lines) >= count:
                return lines
        time.sleep(0.02)
    return path.read_text().splitlines() if path.exists() else []


# --- single style ------------------------------------------------------------


def test_single_reports_status_greets_and_answers(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-n", "private/echo", "-t", "unix", "-o", "max_use=7",
                        "-o", "myhostname = override.example"], [listener], gen="1f")
    child.expect_status(AVAIL, gen=0x1F)
    client = Lines(inst.connect())
    hello = hello_fields(client.line())
    assert hello == {"pid": str(child.pid), "uid": str(os.getuid()), "gid": str(os.getgid()),
                     "service": "private/echo", "type": "unix"}
    child.expect_status(TAKEN, gen=0x1F)
    assert client.ask("echo some text") == "some text"
    assert client.ask("param max_use") == "7"
    assert client.ask("param myhostname") == "override.example"
    assert client.ask("param queue_directory") == str(inst.queue)
    assert client.ask("param no_such_parameter_anywhere") == "(unknown)"
    assert client.ask("frobnicate") == "error"
    assert client.ask("quit") == "bye"
    assert client.sock.recv(100) == b""
    child.expect_status(AVAIL, gen=0x1F)
    assert child.wait(0.2) is None


def test_single_serves_tcp_listener(inst):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    inst.sockets.append(listener)
    child = inst.spawn(["-n", "127.0.0.1:smtp", "-t", "inet"], [listener])
    child.expect_status(AVAIL)
    sock = socket.create_connection(listener.getsockname(), timeout=WAIT)
    inst.sockets.append(sock)
    client = Lines(sock)
    assert hello_fields(client.line())["type"] == "inet"
    assert client.ask("echo tcp") == "tcp"


def test_max_use_ends_the_child_after_n_clients(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix", "-o", "max_use=2"], [listener])
    child.expect_status(AVAIL)
    for n in range(2):
        client = Lines(inst.connect())
        client.line()
        assert client.ask("quit") == "bye"
        child.expect_status(TAKEN)
        if n == 0:
            child.expect_status(AVAIL)
    assert child.wait() == 0
    assert child.read_status() is None


def test_max_idle_counts_from_the_last_client(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix", "-o", "max_idle=1"], [listener])
    child.expect_status(AVAIL)
    time.sleep(0.6)
    client = Lines(inst.connect())
    client.line()
    time.sleep(0.6)  # busy time does not count
    assert client.ask("quit") == "bye"
    finished = time.monotonic()
    assert child.wait(0.5) is None
    assert child.wait() == 0
    assert time.monotonic() - finished >= 0.9


def test_closed_status_pipe_ends_an_idle_child(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix"], [listener])
    child.expect_status(AVAIL)
    child.close_status()
    assert child.wait() == 0


def test_closed_status_pipe_lets_a_busy_child_finish_its_client(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix"], [listener])
    child.expect_status(AVAIL)
    client = Lines(inst.connect())
    client.line()
    child.expect_status(TAKEN)
    child.close_status()
    assert client.ask("sleep 1") == "slept"
    assert client.ask("echo still here") == "still here"
    assert child.wait(0.2) is None
    assert client.ask("quit") == "bye"
    assert child.wait() == 0


def test_sigterm_ends_idle_and_busy_children(inst):
    listener = inst.unix_listener()
    idle = inst.spawn(["-t", "unix"], [listener])
    idle.expect_status(AVAIL)
    os.kill(idle.pid, signal.SIGTERM)
    assert idle.wait() == 0
    busy = inst.spawn(["-t", "unix"], [listener])
    busy.expect_status(AVAIL)
    client = Lines(inst.connect())
    client.line()
    client.sock.sendall(b"sleep 30\n")
    busy.expect_status(TAKEN)
    start = time.monotonic()
    os.kill(busy.pid, signal.SIGTERM)
    assert busy.wait() == 0
    assert time.monotonic() - start < 3


def test_peer_that_disconnects_at_once_does_no_harm(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix"], [listener])
    child.expect_status(AVAIL)
    for _ in range(3):
        inst.connect().close()
    client = Lines(inst.connect())
    assert hello_fields(client.line())["pid"] == str(child.pid)
    assert client.ask("echo alive") == "alive"
    assert child.wait(0.1) is None


def test_client_exit_command_ends_the_process_with_that_status(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix"], [listener])
    child.expect_status(AVAIL)
    client = Lines(inst.connect())
    client.line()
    client.sock.sendall(b"exit 3\n")
    assert child.wait() == 3


def test_watchdog_ends_a_stuck_child(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix", "-o", "daemon_timeout=1"], [listener])
    child.expect_status(AVAIL)
    time.sleep(1.5)  # idle time is not "stuck"
    assert child.wait(0) is None
    client = Lines(inst.connect())
    client.line()
    client.sock.sendall(b"sleep 10\n")
    assert child.wait() == 1
    assert "fatal: watchdog timeout" in child.stderr()


def test_pass_type_serves_the_passed_connection(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-n", "smtpd-pass", "-t", "pass"], [listener])
    child.expect_status(AVAIL)
    ours, theirs = socket.socketpair()
    inst.sockets += [ours, theirs]
    ours.settimeout(WAIT)
    carrier = inst.connect()
    socket.send_fds(carrier, [b"x"], [theirs.fileno()])
    carrier.close()
    theirs.close()
    client = Lines(ours)
    hello = hello_fields(client.line())
    assert hello["type"] == "pass" and hello["service"] == "smtpd-pass"
    assert client.ask("echo passed") == "passed"
    assert client.ask("quit") == "bye"


def test_pass_type_survives_a_peer_that_sends_no_descriptor(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "pass"], [listener])
    child.expect_status(AVAIL)
    carrier = inst.connect()
    carrier.sendall(b"no descriptor here")
    carrier.close()
    inst.connect().close()
    ours, theirs = socket.socketpair()
    inst.sockets += [ours, theirs]
    ours.settimeout(WAIT)
    socket.send_fds(inst.connect(), [b"x"], [theirs.fileno()])
    theirs.close()
    assert hello_fields(Lines(ours).line())["pid"] == str(child.pid)
    assert "receive passed connection" in read_log(inst)


def read_log(inst, timeout=WAIT, want=None):
    """The records received so far on the postlog socket (kept in tmp/maillog)."""
    path = inst.tmp / "maillog"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        while select.select([inst.postlog], [], [], 0)[0]:
            with open(path, "ab") as fp:
                fp.write(inst.postlog.recv(65536) + b"\n")
        text = path.read_text() if path.exists() else ""
        if text and (want is None or want in text):
            return text
        time.sleep(0.02)
    return path.read_text() if path.exists() else ""


# --- multi style ---------------------------------------------------------------


def test_multi_serves_two_clients_at_once(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix", "multi"], [listener])
    child.expect_status(AVAIL)
    first = Lines(inst.connect())
    second = Lines(inst.connect())
    first.sock.sendall(b"echo one\n")
    assert hello_fields(first.line())["pid"] == str(child.pid)
    assert first.line() == "one"
    second.sock.sendall(b"echo two\n")
    assert hello_fields(second.line())["pid"] == str(child.pid)
    assert second.line() == "two"
    assert first.ask("echo again") == "again"
    second.sock.sendall(b"echo a\necho b\nquit\n")  # several requests in one write
    assert [second.line() for _ in range(3)] == ["a", "b", "bye"]
    assert second.sock.recv(10) == b""
    assert first.ask("echo still") == "still"
    for _ in range(2):  # TAKEN, AVAIL around each accept
        child.expect_status(TAKEN)
        child.expect_status(AVAIL)


def test_multi_max_use_waits_for_the_last_client(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix", "-o", "max_use=1", "multi"], [listener])
    child.expect_status(AVAIL)
    client = Lines(inst.connect())
    client.sock.sendall(b"echo x\n")
    client.line()
    assert client.line() == "x"
    assert child.wait(0.3) is None
    assert client.ask("echo y") == "y"
    client.sock.close()
    assert child.wait() == 0


def test_multi_closed_status_pipe_and_idle(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix", "-o", "max_idle=1", "multi"], [listener])
    child.expect_status(AVAIL)
    assert child.wait() == 0
    other = inst.spawn(["-t", "unix", "multi"], [listener])
    other.expect_status(AVAIL)
    other.close_status()
    assert other.wait() == 0


# --- trigger style -------------------------------------------------------------


def test_trigger_over_fifo(inst):
    fifo = inst.tmp / "fifo"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    out = inst.tmp / "triggers"
    try:
        child = inst.spawn(["-t", "fifo", "-n", "pickup", "trigger", str(out)], [fd])
        child.expect_status(AVAIL)
        writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.write(writer, b"W")
        child.expect_status(TAKEN)
        child.expect_status(AVAIL)
        os.write(writer, b"A\x02")
        child.expect_status(TAKEN)
        os.close(writer)
        assert read_lines_until(out, 2) == [f"trigger pid={child.pid} len=1: W",
                                            f"trigger pid={child.pid} len=2: A?"]
    finally:
        os.close(fd)


def test_trigger_over_unix_stream(inst):
    listener = inst.unix_listener()
    out = inst.tmp / "triggers"
    child = inst.spawn(["-t", "unix", "-o", "max_use=3", "trigger", str(out)], [listener])
    child.expect_status(AVAIL)
    sock = inst.connect()
    sock.sendall(b"abc\x01")
    sock.close()
    inst.connect().close()  # a wake-up without bytes
    lines = read_lines_until(out, 2)
    assert lines == [f"trigger pid={child.pid} len=4: abc?", f"trigger pid={child.pid} len=0: "]
    sock = inst.connect()
    sock.sendall(b"x" * 5000)  # cut to trigger_size
    sock.close()
    assert read_lines_until(out, 3)[2] == f"trigger pid={child.pid} len=1024: " + "x" * 1024
    assert child.wait() == 0  # max_use=3


def test_trigger_over_unix_dgram(inst):
    listener = inst.unix_listener(socket.SOCK_DGRAM, "dgram")
    out = inst.tmp / "triggers"
    child = inst.spawn(["-t", "unix-dgram", "-n", "postlog", "trigger", str(out)], [listener])
    child.expect_status(AVAIL)
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    inst.sockets.append(sender)
    sender.sendto(b"first datagram", str(inst.tmp / "dgram"))
    sender.sendto(b"second", str(inst.tmp / "dgram"))
    assert read_lines_until(out, 2) == [f"trigger pid={child.pid} len=14: first datagram",
                                        f"trigger pid={child.pid} len=6: second"]


def test_dgram_burst_is_one_taken_avail_pair_and_each_datagram_one_use(inst):
    listener = inst.unix_listener(socket.SOCK_DGRAM, "dgram")
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    inst.sockets.append(sender)
    for i in range(10):  # waiting before the child starts: one burst
        sender.sendto(b"record %d" % i, str(inst.tmp / "dgram"))
    out = inst.tmp / "triggers"
    child = inst.spawn(["-t", "unix-dgram", "-n", "postlog", "trigger", str(out)], [listener])
    child.expect_status(AVAIL)
    child.expect_status(TAKEN)
    child.expect_status(AVAIL)
    assert read_lines_until(out, 10)[9] == f"trigger pid={child.pid} len=8: record 9"
    assert child.read_status(timeout=0.5) is None  # no pair per datagram
    sender.sendto(b"later", str(inst.tmp / "dgram"))
    child.expect_status(TAKEN)
    child.expect_status(AVAIL)


def test_dgram_burst_still_counts_max_use(inst):
    listener = inst.unix_listener(socket.SOCK_DGRAM, "dgram")
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    inst.sockets.append(sender)
    for i in range(10):
        sender.sendto(b"record %d" % i, str(inst.tmp / "dgram"))
    out = inst.tmp / "triggers"
    child = inst.spawn(["-t", "unix-dgram", "-n", "postlog", "-o", "max_use=4", "trigger",
                        str(out)], [listener])
    assert child.wait() == 0
    assert len(read_lines_until(out, 4)) == 4


# --- privileges ----------------------------------------------------------------

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def proc_ids(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as fp:
        for line in fp:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return fields


@root_only
def test_unprivileged_and_chrooted_child(inst):
    postfix = pwd.getpwnam("postfix")
    inst.queue.chmod(0o755)
    os.chmod(inst.tmp, 0o755)
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix", "-u", "-c"], [listener])
    child.expect_status(AVAIL)
    client = Lines(inst.connect())
    hello = hello_fields(client.line())
    assert hello["uid"] == str(postfix.pw_uid) and hello["gid"] == str(postfix.pw_gid)
    ids = proc_ids(child.pid)
    assert ids["Uid"] == [str(postfix.pw_uid)] * 4
    assert ids["Gid"] == [str(postfix.pw_gid)] * 4
    assert os.readlink(f"/proc/{child.pid}/root") == str(inst.queue)
    assert client.ask("echo jailed") == "jailed"


@root_only
def test_trigger_file_opened_before_the_privilege_drop(inst):
    fifo = inst.tmp / "fifo"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    out = inst.tmp / "root-only" / "triggers"
    out.parent.mkdir(mode=0o700)
    try:
        child = inst.spawn(["-t", "fifo", "-u", "-c", "trigger", str(out)], [fd])
        child.expect_status(AVAIL)
        os.write(fd, b"W")
        assert read_lines_until(out, 1) == [f"trigger pid={child.pid} len=1: W"]
        assert proc_ids(child.pid)["Uid"][0] == str(pwd.getpwnam("postfix").pw_uid)
    finally:
        os.close(fd)


@root_only
def test_root_mail_owner_is_refused(inst):
    inst.main_cf("mail_owner = root\n")
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix", "-u"], [listener])
    assert child.wait() == 1
    assert "fatal: file " + str(inst.conf / "main.cf") + \
        ": parameter mail_owner: user root has privileged user ID" in child.stderr()
    assert child.read_status() is None


@root_only
def test_unknown_mail_owner_is_refused(inst):
    inst.main_cf("mail_owner = no-such-user-here\n")
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix", "-u"], [listener])
    assert child.wait() == 1
    assert "parameter mail_owner: unknown user name value: no-such-user-here" in child.stderr()


# --- start-up errors, stand-alone, logging -----------------------------------------


@pytest.mark.parametrize("args,listen,message", [
    (["-x"], True, "fatal: invalid option: x"),
    (["-t"], True, "fatal: option -t requires an argument"),
    (["-s", "many", "-t", "unix"], True, "fatal: invalid socket_count: many"),
    ([], True, "fatal: no transport type specified"),
    (["-t", "fifo"], True, "fatal: unsupported transport type: fifo"),
    (["-t", "unix"], False, "fatal: no unix listener at descriptor 6"),
    (["-t", "unix-dgram", "trigger", "/dev/null"], True,
     "fatal: descriptor 6 is not a unix-dgram listener"),
    (["-t", "unix", "-o", "=value"], True, 'fatal: invalid "-o =value" option value'),
    (["-t", "unix", "fail-init"], True, "fatal: test: startup failure requested"),
])
def test_startup_errors_are_fatal_and_clear(inst, args, listen, message):
    listener = inst.unix_listener()
    child = inst.spawn(args, [listener] if listen else [])
    assert child.wait() == 1
    assert message in child.stderr()
    assert child.read_status() is None


def test_missing_status_pipe_is_fatal(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix"], [listener], status=False)
    assert child.wait() == 1
    assert "status descriptor 5 is not open" in child.stderr()


def test_bad_generation_is_fatal(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix"], [listener], gen="xyz")
    assert child.wait() == 1
    assert "fatal: bad generation: xyz" in child.stderr()


def test_syslog_name_override_names_the_log_records(inst):
    listener = inst.unix_listener()
    child = inst.spawn(["-t", "unix", "-o", "syslog_name=postfix/submission", "fail-init"],
                       [listener])
    assert child.wait() == 1
    log = read_log(inst, want="fatal")
    assert f"postfix/submission/tern-test-echo[{child.pid}]: fatal: test: startup failure " \
        "requested" in log


def run_alone(inst, args, data):
    env = {"PATH": "/usr/bin:/bin", "MAIL_CONFIG": str(inst.conf)}
    return subprocess.run([ECHO, "-S"] + args, input=data, capture_output=True, env=env,
                          timeout=WAIT)


def test_standalone_single_and_multi_on_stdin_stdout(inst):
    for style in ("single", "multi"):
        proc = run_alone(inst, ["-o", "max_use=9", style], b"echo x\nparam max_use\nquit\n")
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.decode().splitlines()
        assert lines[0].startswith("hello pid=") and lines[0].endswith(" type=")
        assert lines[1:] == ["x", "9", "bye"]


def test_standalone_single_on_a_socket(inst):
    ours, theirs = socket.socketpair()
    env = {"PATH": "/usr/bin:/bin", "MAIL_CONFIG": str(inst.conf)}
    proc = subprocess.Popen([ECHO, "-S"], stdin=theirs, stdout=theirs, env=env)
    try:
        theirs.close()
        ours.settimeout(WAIT)
        client = Lines(ours)
        assert hello_fields(client.line())["pid"] == str(proc.pid)
        assert client.ask("echo sock") == "sock"
        assert client.ask("quit") == "bye"
        assert proc.wait(WAIT) == 0
    finally:
        proc.kill()
        proc.wait()
        ours.close()


def test_standalone_trigger_reads_stdin(inst):
    out = inst.tmp / "triggers"
    proc = run_alone(inst, ["trigger", str(out)], b"W\x00")
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(r"trigger pid=\d+ len=2: W\?\n", out.read_text())


@root_only
def test_non_root_process_skips_jail_and_user_change(tmp_path):
    nobody = pwd.getpwnam("nobody")
    top = tempfile.mkdtemp(prefix="tern-skel-")
    try:
        os.chmod(top, 0o755)
        queue = os.path.join(top, "queue")
        os.mkdir(queue)
        with open(os.path.join(top, "main.cf"), "w") as fp:
            fp.write(f"queue_directory = {queue}\n")
        env = {"PATH": "/usr/bin:/bin", "MAIL_CONFIG": top}
        proc = subprocess.run([ECHO, "-S", "-u", "-c"], input=b"quit\n", capture_output=True,
                              env=env, timeout=WAIT, user=nobody.pw_uid, group=nobody.pw_gid,
                              extra_groups=[])
        assert proc.returncode == 0, proc.stderr
        hello = hello_fields(proc.stdout.decode().splitlines()[0])
        assert hello["uid"] == str(nobody.pw_uid) and hello["gid"] == str(nobody.pw_gid)
    finally:
        shutil.rmtree(top)


def test_standalone_pipe_relay_survives_large_input(tmp_path):
    # 20,000 requests on a pipe: the relay must keep reading replies while
    # it feeds requests, or both sides block on full socket buffers.
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "main.cf").write_text(f"queue_directory = {tmp_path}\n")
    data = "".join(f"echo line{i}\n" for i in range(20000)).encode()
    proc = subprocess.run([ECHO, "-S", "-n", "x", "-t", "unix"], input=data,
                          capture_output=True, timeout=60,
                          env=dict(os.environ, MAIL_CONFIG=str(conf)))
    lines = proc.stdout.decode().splitlines()
    assert proc.returncode == 0
    assert len(lines) == 20001 and lines[-1] == "line19999"
