"""The master supervisor (master(8)): on-demand spawning and process limits,
reaping and throttling, reload without refused connections, stop, locks,
privileges, wake-up triggers, and the -t/-w/-e start-up contract.

Services are run by the test daemon tern-test-echo (tests/services/echo.c):
a client gets "hello pid=PID uid=UID gid=GID service=NAME type=TYPE", then
"echo X" -> X, "param NAME" -> value, "sleep N", "exit N", "quit" -> bye;
its trigger style appends "trigger pid=PID len=N: BYTES" to a file. The
master logs to maillog_file, which the tests read. Runs as root."""
import errno
import os
import pwd
import re
import select
import signal
import socket
import threading
import time

import pytest

from tern_instance import (TEST_BIN, Client, TernInstance, alive, children_of, cmdline,
                           free_port, proc_ids, proc_stat, wait_for)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

ECHO = "tern-test-echo"
ECHO_PATH = os.path.join(TEST_BIN, ECHO)


@pytest.fixture
def make():
    """Creates instances; every one is cleaned up (all its processes killed)."""
    made = []

    def factory(master_cf, **kwargs):
        inst = TernInstance(master_cf=master_cf, **kwargs)
        made.append(inst)
        return inst
    yield factory
    for inst in made:
        inst.cleanup()


def connect(inst, name, private=True):
    return Client(inst.path("private" if private else "public", name))


def test_spawn_on_demand(make):
    inst = make(f"echo unix - - n - - {ECHO}\n")
    inst.start()
    inst.wait_log(r"postfix/master\[\d+\]: daemon started -- version \S+, configuration "
                  + re.escape(inst.conf_dir))
    time.sleep(0.3)
    assert inst.children() == [], "a child runs before any client came"
    with connect(inst, "echo") as c:
        hello = c.hello()
        assert hello["service"] == "echo" and hello["type"] == "unix"
        assert c.command("echo ping") == "ping"
        pid = int(hello["pid"])
        assert proc_stat(pid)[1] == inst.master_pid()
    inst.stop()


def test_child_contract(make):
    """Descriptors, environment, arguments and directory a child starts with."""
    inst = make(f"echo unix - - n - 1 {ECHO}\n")
    inst.start()
    with connect(inst, "echo") as c:
        pid = int(c.hello()["pid"])
        fds = {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        assert fds[5].startswith("pipe:")
        assert fds[6].startswith("socket:")
        assert fds[0] == "/dev/null" and fds[2] == "/dev/null"
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
        assert env[b"MAIL_CONFIG"] == inst.conf_dir.encode()
        assert re.fullmatch(rb"[0-9a-f]+", env[b"GENERATION"])
        argv = cmdline(pid)
        assert argv[:6] == [ECHO, "-n", "echo", "-t", "unix", "-u"]
        assert "-l" in argv
        assert os.readlink(f"/proc/{pid}/cwd") == inst.queue_dir
    inst.stop()


def test_process_limit(make):
    inst = make(f"echo unix - - n - 2 {ECHO}\n")
    inst.start()
    first, second = connect(inst, "echo"), connect(inst, "echo")
    try:
        pids = {first.hello()["pid"], second.hello()["pid"]}
        assert len(pids) == 2
        third = connect(inst, "echo")
        assert select.select([third.sock], [], [], 1.0)[0] == [], "third client served"
        assert len(inst.children()) == 2
        assert first.command("quit") == "bye"
        first.close()
        assert third.hello()["pid"] in pids
        third.close()
    finally:
        first.close()
        second.close()
    inst.stop()


def test_max_use(make):
    inst = make(f"echo unix - - n - 1 {ECHO} -o max_use=2\n")
    inst.start()
    pids = []
    for _ in range(3):
        with connect(inst, "echo") as c:
            pids.append(c.hello()["pid"])
            assert c.command("quit") == "bye"
    assert pids[0] == pids[1] != pids[2]
    assert wait_for(lambda: not alive(int(pids[0])))
    inst.stop()


def test_max_idle(make):
    inst = make(f"echo unix - - n - 1 {ECHO} -o max_idle=1\n")
    inst.start()
    with connect(inst, "echo") as c:
        pid = int(c.hello()["pid"])
        assert c.command("quit") == "bye"
    assert alive(pid)
    assert wait_for(lambda: not alive(pid), timeout=5), "idle child did not exit"
    assert inst.children() == []
    with connect(inst, "echo") as c:
        assert int(c.hello()["pid"]) != pid
    inst.stop()


def test_respawn_after_kill(make):
    inst = make(f"echo unix - - n - 1 {ECHO}\n")
    inst.start()
    with connect(inst, "echo") as c:
        pid = int(c.hello()["pid"])
        os.kill(pid, signal.SIGKILL)
        with pytest.raises((EOFError, ConnectionError)):
            c.command("echo x")
    inst.wait_log(rf"postfix/master\[\d+\]: warning: process {re.escape(ECHO_PATH)} "
                  rf"pid {pid} killed by signal 9$")
    with connect(inst, "echo") as c:
        new_pid = int(c.hello()["pid"])
        assert new_pid != pid
        assert c.command("echo again") == "again"
    assert "throttling" not in inst.log()
    inst.stop()


def test_throttle_fail_init(make):
    inst = make(f"bad unix - - n - - {ECHO} fail-init\n",
                main_cf={"service_throttle_time": "2s"})
    inst.start()
    c = connect(inst, "bad")
    try:
        first = time.monotonic()
        inst.wait_log(r"fatal: test: startup failure requested")
        inst.wait_log(rf"warning: process {re.escape(ECHO_PATH)} pid \d+ exit status 1$")
        inst.wait_log(rf"warning: {re.escape(ECHO_PATH)}: bad command startup -- throttling$")
        time.sleep(1.0)
        assert len(re.findall("bad command startup", inst.log())) == 1, "no throttling"
        inst.wait_log("bad command startup -- throttling", count=2, timeout=10)
        assert time.monotonic() - first >= 1.5
    finally:
        c.close()
    inst.stop()


def test_throttle_missing_command(make):
    inst = make("nosuch unix - - n - - no-such-command\n",
                main_cf={"service_throttle_time": "60s"})
    inst.start()
    with connect(inst, "nosuch"):
        path = re.escape(os.path.join(TEST_BIN, "no-such-command"))
        inst.wait_log(rf"fatal: master_spawn: exec {path}: No such file or directory")
        inst.wait_log(rf"warning: process {path} pid \d+ exit status 1$")
        inst.wait_log(rf"warning: {path}: bad command startup -- throttling$")
    inst.stop()


class ClientLoop(threading.Thread):
    """Connects to a service again and again, counting answers and failures."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.ok = 0
        self.errors = []
        self.pids = set()
        self.done = threading.Event()

    def run(self):
        deadline = time.monotonic() + 30
        while not self.done.is_set() and time.monotonic() < deadline:
            try:
                with Client(self.path, timeout=10) as c:
                    self.pids.add(c.hello()["pid"])
                    if c.command("quit") != "bye":
                        raise RuntimeError("no bye")
                self.ok += 1
            except Exception as exc:  # every failure counts
                self.errors.append(repr(exc))


def test_reload_add_remove_change(make):
    inst = make(f"keep unix - - n - - {ECHO}\n"
                f"gone unix - - n - - {ECHO}\n"
                f"change unix - - n - - {ECHO} -o mail_name=before\n")
    inst.start()
    with connect(inst, "gone") as c:
        gone_pid = int(c.hello()["pid"])
    with connect(inst, "change") as c:
        c.hello()
        assert c.command("param mail_name") == "before"
    loops = [ClientLoop(inst.path("private", "keep")) for _ in range(3)]
    for loop in loops:
        loop.start()
    try:
        assert wait_for(lambda: all(loop.ok >= 20 for loop in loops))
        before = set().union(*(loop.pids for loop in loops))
        inst.write_master_cf(f"keep unix - - n - - {ECHO}\n"
                             f"change unix - - n - - {ECHO} -o mail_name=after\n"
                             f"new unix - - n - - {ECHO}\n")
        for _ in range(3):  # the change, then reloads that change nothing
            inst.reload()
            counts = [loop.ok for loop in loops]
            assert wait_for(lambda: all(loop.ok >= n + 20 for loop, n in zip(loops, counts)))
    finally:
        for loop in loops:
            loop.done.set()
        for loop in loops:
            loop.join(timeout=15)
    errors = [e for loop in loops for e in loop.errors]
    assert errors == [], errors[:5]
    after = set().union(*(loop.pids for loop in loops))
    assert after - before, "no new child after the reload"
    assert wait_for(lambda: not any(alive(int(p)) for p in before)), "old children stay"
    inst.wait_log(r"postfix/master\[\d+\]: reload -- version \S+, configuration "
                  + re.escape(inst.conf_dir))
    assert wait_for(lambda: not alive(gone_pid))
    with pytest.raises(OSError) as info:
        connect(inst, "gone").hello()
    assert info.value.errno == errno.ECONNREFUSED
    with connect(inst, "change") as c:
        c.hello()
        assert c.command("param mail_name") == "after"
    with connect(inst, "new") as c:
        assert c.hello()["service"] == "new"
    inst.stop()


def test_reload_broken_master_cf_keeps_old_table(make):
    inst = make(f"echo unix - - n - - {ECHO}\n")
    inst.start()
    inst.write_master_cf(f"echo unix - - n - - {ECHO}\nnew unix - - n - - {ECHO}\nbroken\n")
    inst.reload()
    inst.wait_log(r"warning: .*master\.cf: line 3: .*reload refused")
    with connect(inst, "echo") as c:
        assert c.hello()["service"] == "echo"
    assert not os.path.exists(inst.path("private", "new"))
    inst.stop()


def test_stop_leaves_nothing(make):
    inst = make("")
    inst.write_master_cf(f"echo unix - - n - - {ECHO}\n"
                         f"trig fifo - - n 1 1 {ECHO} trigger {inst.base}/trig.log\n")
    inst.start()
    idle = connect(inst, "echo")
    busy = connect(inst, "echo")
    try:
        idle.hello()
        busy.hello()
        busy.file.write(b"sleep 30\n")
        busy.file.flush()
        assert wait_for(lambda: len(inst.children()) >= 3)
        master = inst.master_pid()
        inst.stop()
        inst.wait_log(rf"postfix/master\[{master}\]: terminating on signal 15$")
        assert inst.master("-t").returncode == 0
        assert os.path.exists(inst.path("pid", "master.pid"))
    finally:
        idle.close()
        busy.close()


def test_second_master_refused(make):
    inst = make(f"echo unix - - n - - {ECHO}\n")
    inst.start()
    first = inst.master_pid()
    result = inst.start(check=False)
    assert result.returncode != 0
    assert ("fatal: open lock file pid/master.pid: unable to set exclusive lock: "
            "Resource temporarily unavailable") in result.stderr
    assert "daemon initialization failure" in result.stderr
    inst.wait_log(r"fatal: open lock file pid/master.pid: unable to set exclusive lock")
    assert inst.master_pid() == first and alive(first)
    with connect(inst, "echo") as c:
        assert c.hello()["service"] == "echo"
    inst.stop()


def test_stale_pid_file(make):
    inst = make(f"echo unix - - n - - {ECHO}\n")
    os.mkdir(inst.path("pid"))
    with open(inst.path("pid", "master.pid"), "w") as f:
        f.write("%32d\n" % 999999)
    assert inst.master("-t").returncode == 0
    inst.start()
    pid = inst.master_pid()
    assert pid != 999999 and alive(pid)
    with open(inst.path("pid", "master.pid")) as f:
        assert f.read() == "%32d\n" % pid
    inst.stop()


def test_master_t_exit_codes(make):
    inst = make(f"echo unix - - n - - {ECHO}\n")
    assert inst.master("-t").returncode == 0  # no pid file
    inst.start()
    assert inst.master("-t").returncode == 1
    inst.stop()
    assert inst.master("-t").returncode == 0  # pid file left, not locked


def test_master_w_failure_reasons(make):
    inst = make(f"echo bogus - - n - - {ECHO}\n")
    result = inst.start(check=False)
    assert result.returncode != 0
    assert "bad transport type: bogus" in result.stderr
    assert "daemon initialization failure -- see logs for details" in result.stderr
    assert inst.master("-t").returncode == 0

    inst.write_master_cf(f"echo unix - - n - - {ECHO}\n")
    inst.write_main_cf({"mail_owner": "root"})
    result = inst.start(check=False)
    assert result.returncode != 0
    assert "parameter mail_owner: user root has privileged user ID" in result.stderr

    inst.write_main_cf({"mail_owner": "postfix", "setgid_group": "postfix"})
    result = inst.start(check=False)
    assert result.returncode != 0
    assert ("parameters mail_owner and setgid_group: user postfix and group postfix "
            "have the same group ID") in result.stderr

    inst.write_main_cf({"mail_owner": "no-such-user-here", "setgid_group": "postdrop"})
    result = inst.start(check=False)
    assert result.returncode != 0
    assert "parameter mail_owner: unknown user name value: no-such-user-here" in result.stderr


def test_personal_instance_as_nobody(make):
    inst = make(f"echo unix - - n - - {ECHO}\n"
                f"jail unix - - y - - {ECHO}\n", user="nobody")
    nobody = pwd.getpwnam("nobody")
    inst.start()
    master = inst.master_pid()
    assert proc_ids(master)[0] == nobody.pw_uid
    assert os.stat(inst.path("pid", "master.pid")).st_uid == nobody.pw_uid
    for name in ("echo", "jail"):
        with connect(inst, name) as c:
            hello = c.hello()
            assert int(hello["uid"]) == nobody.pw_uid
            assert int(hello["gid"]) == nobody.pw_gid
    inst.stop()


def test_privileges_of_children(make):
    postfix = pwd.getpwnam("postfix")
    inst = make(f"unpriv unix - - n - - {ECHO}\n"
                f"priv unix - n n - - {ECHO}\n"
                f"jail unix - - y - - {ECHO}\n")
    inst.start()
    assert proc_ids(inst.master_pid()) == (0, 0)
    with connect(inst, "unpriv") as c:
        pid = int(c.hello()["pid"])
        assert proc_ids(pid) == (postfix.pw_uid, postfix.pw_gid)
    with connect(inst, "priv") as c:
        pid = int(c.hello()["pid"])
        assert proc_ids(pid) == (0, 0)
    with connect(inst, "jail") as c:
        pid = int(c.hello()["pid"])
        assert proc_ids(pid) == (postfix.pw_uid, postfix.pw_gid)
        assert os.readlink(f"/proc/{pid}/root") == inst.queue_dir
    inst.stop()


def test_listener_dirs_and_modes(make):
    inst = make("")
    inst.write_master_cf(f"echo unix - - n - - {ECHO}\n"
                         f"pub unix n - n - - {ECHO}\n"
                         f"trig fifo n - n - - {ECHO} trigger {inst.base}/t1.log\n"
                         f"ptrig fifo - - n - - {ECHO} trigger {inst.base}/t2.log\n")
    inst.start()
    postfix = pwd.getpwnam("postfix")
    st = os.stat(inst.path("private"))
    assert (st.st_mode & 0o7777, st.st_uid) == (0o700, postfix.pw_uid)
    st = os.stat(inst.path("public"))
    assert (st.st_mode & 0o7777, st.st_uid) == (0o710, postfix.pw_uid)
    assert os.stat(inst.path("public", "pub")).st_mode & 0o777 == 0o666
    assert os.stat(inst.path("public", "trig")).st_mode & 0o777 == 0o622
    assert os.stat(inst.path("private", "ptrig")).st_mode & 0o777 == 0o600
    with Client(inst.path("public", "pub")) as c:
        assert c.hello()["service"] == "pub"
    inst.stop()


def trigger_lines(path):
    try:
        with open(path) as f:
            return [line for line in f if re.fullmatch(r"trigger pid=\d+ len=1: W\n", line)]
    except FileNotFoundError:
        return []


def test_wakeup_fifo_and_unix(make):
    inst = make("")
    fifo_log, unix_log, cond_log = (os.path.join(inst.base, name)
                                    for name in ("wfifo.log", "wunix.log", "wcond.log"))
    inst.write_master_cf(f"wfifo fifo - - n 1 1 {ECHO} trigger {fifo_log}\n"
                         f"wunix unix - - n 1 1 {ECHO} trigger {unix_log}\n"
                         f"wcond unix - - n 1? 1 {ECHO} trigger {cond_log}\n")
    inst.start()
    assert wait_for(lambda: len(trigger_lines(fifo_log)) >= 3, timeout=8)
    assert wait_for(lambda: len(trigger_lines(unix_log)) >= 3, timeout=8)
    assert trigger_lines(cond_log) == [], "conditional wake-up before first use"
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(inst.path("private", "wcond"))
        s.sendall(b"x")
    assert wait_for(lambda: len(trigger_lines(cond_log)) >= 2, timeout=8)
    inst.stop()


def test_wakeup_inet_and_pass(make):
    """inet: the wake-up is a connection (a single-style echo answers it);
    pass: the wake-up byte travels in a passed descriptor."""
    port = free_port()
    inst = make("")
    pass_log = os.path.join(inst.base, "pass.log")
    inst.write_master_cf(f"127.0.0.1:{port} inet n - n 1 1 {ECHO}\n"
                         f"wpass pass - - n 1 1 {ECHO} trigger {pass_log}\n")
    inst.start()
    assert wait_for(lambda: len(trigger_lines(pass_log)) >= 2, timeout=8)
    assert wait_for(lambda: any("inet" in cmdline(p) for p in inst.children()),
                    timeout=5), "no inet wake-up"
    inst.stop()


def test_inet_listeners(make):
    port4, port6 = free_port("127.0.0.1"), free_port("::1")
    port_if = free_port("127.0.0.1")
    inst = make(f"127.0.0.1:{port4} inet n - n - - {ECHO}\n"
                f"[::1]:{port6} inet n - n - - {ECHO}\n"
                f"{port_if} inet n - n - - {ECHO}\n",
                main_cf={"inet_protocols": "all"})
    inst.start()
    with Client(("127.0.0.1", port4)) as c:
        hello = c.hello()
        assert hello["service"] == f"127.0.0.1:{port4}" and hello["type"] == "inet"
    with Client(("::1", port6)) as c:
        assert c.hello()["service"] == f"[::1]:{port6}"
    with Client(("127.0.0.1", port_if)) as c:  # inet_interfaces = 127.0.0.1
        assert c.hello()["service"] == str(port_if)
    with pytest.raises(OSError):
        Client(("::1", port_if), timeout=2)
    inst.stop()


def test_inet_bind_conflict_is_fatal(make):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        inst = make(f"127.0.0.1:{port} inet n - n - - {ECHO}\n")
        result = inst.start(check=False)
    assert result.returncode != 0
    assert f"bind 127.0.0.1 port {port}: Address already in use" in result.stderr


def test_foreground_sigterm_and_exit_time(make):
    inst = make(f"echo unix - - n - - {ECHO}\n")
    proc = inst.popen()
    assert wait_for(lambda: inst.master_pid() == proc.pid)
    inst.wait_log("daemon started")
    with connect(inst, "echo") as c:
        child = int(c.hello()["pid"])
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGTERM  # as Postfix: ends by the signal
    assert wait_for(lambda: not alive(child))
    inst.wait_log(r"terminating on signal 15")

    proc = inst.popen("-e", "1")
    started = time.monotonic()
    proc.wait(timeout=10)
    assert proc.returncode == 0
    assert time.monotonic() - started >= 0.9
    inst.wait_log(r"postfix/master\[\d+\]: master exit time has arrived$")
    assert inst.master("-t").returncode == 0


def test_debug_mode_logs_to_stderr(make):
    inst = make(f"echo unix - - n - - {ECHO}\n")
    proc = inst.popen("-d", "-e", "1")
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "master: daemon started -- version" in err
    assert "master exit time has arrived" in err


def test_init_mode_needs_pid_1(make):
    inst = make(f"echo unix - - n - - {ECHO}\n")
    result = inst.master("-i")
    assert result.returncode != 0
    assert "-i is allowed only for PID 1 process" in result.stderr


def test_master_service_disable(make):
    inst = make(f"echo unix - - n - - {ECHO}\noff unix - - n - - {ECHO}\n",
                main_cf={"master_service_disable": "off/unix"})
    inst.start()
    assert not os.path.exists(inst.path("private", "off"))
    with connect(inst, "echo") as c:
        assert c.hello()["service"] == "echo"
    inst.stop()


def test_removed_service_children_terminated(make):
    inst = make(f"echo unix - - n - - {ECHO}\n")
    inst.start()
    with connect(inst, "echo") as c:
        pid = int(c.hello()["pid"])
        c.file.write(b"sleep 30\n")
        c.file.flush()
        inst.write_master_cf("")
        inst.reload()
        assert wait_for(lambda: not alive(pid), timeout=5), "child of removed service lives on"
    assert children_of(inst.master_pid()) == []
    inst.stop()
