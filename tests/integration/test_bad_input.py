"""Bad input, one test per kind of broken configuration or table source.

Each case feeds the same broken file to Tern and, where Tern means to behave
the same, to Debian's Postfix (the oracle), and checks the observable
result: a `warning:` or `fatal:` line naming the file (and the line, where
there is one), the exit code, and that nothing crashed (no signal, no
sanitizer report). Paths are normalized to DIR and the program-name prefix
is dropped before comparing.

Where Tern deliberately differs (a 1 MB line: Tern skips a logical line
longer than 256 KB with a warning, Postfix keeps it), the test checks Tern's
own documented behaviour instead.
"""
import os
import shutil
import subprocess
import tempfile

import pytest

from tern_instance import program_env

BUILD = os.environ.get("TERN_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
TERN_BIN = os.path.join(BUILD, "bin")
POSTFIX_BIN = "/usr/sbin"
NOBODY = 65534


def have_oracle(prog):
    return os.access(os.path.join(POSTFIX_BIN, prog), os.X_OK)


def drop_to_nobody():
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


class Result:
    def __init__(self, proc, workdir):
        self.rc = proc.returncode
        self.out = proc.stdout.decode("utf-8", "replace").replace(workdir, "DIR")
        self.err = proc.stderr.decode("utf-8", "replace").replace(workdir, "DIR")

    def messages(self):
        """stderr lines without the "PROGRAM: " prefix."""
        lines = []
        for line in self.err.splitlines():
            prog, sep, rest = line.partition(": ")
            lines.append(rest if sep and " " not in prog else line)
        return lines


def run(prog, side, workdir, *args, as_nobody=False, stdin=b""):
    binary = os.path.join(TERN_BIN if side == "tern" else POSTFIX_BIN, prog)
    env = program_env(LANG="C")
    env.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
    proc = subprocess.run([binary, "-c", os.path.join(workdir, "conf"), *args], cwd=workdir,
                          input=stdin, capture_output=True, timeout=60, env=env,
                          preexec_fn=drop_to_nobody if as_nobody else None)
    result = Result(proc, workdir)
    assert proc.returncode >= 0, f"{side} {prog} killed by signal {-proc.returncode}"
    assert "Sanitizer" not in result.err and "runtime error" not in result.err, result.err
    return result


@pytest.fixture
def workdirs():
    """Two world-readable work directories (one per side) with an empty main.cf."""
    dirs = []
    for side in ("tern", "postfix"):
        d = tempfile.mkdtemp(prefix=f"tern-bad-{side}-")
        os.chmod(d, 0o755)
        os.mkdir(os.path.join(d, "conf"))
        main_cf = os.path.join(d, "conf", "main.cf")
        for name in ("main.cf", "master.cf"):
            with open(os.path.join(d, "conf", name), "w"):
                pass
        os.utime(main_cf, (0, 0))  # Postfix pauses when main.cf is brand new
        dirs.append(d)
    yield dict(zip(("tern", "postfix"), dirs))
    for d in dirs:
        shutil.rmtree(d)


def write(workdir, name, data, mode=0o644):
    path = os.path.join(workdir, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    if name == "conf/main.cf":
        os.utime(path, (0, 0))
    return path


def both(workdirs, prog, files, *args, as_nobody=False, need_oracle=True):
    """Writes files into both work dirs, runs prog on each, returns (tern, postfix)."""
    if need_oracle and not have_oracle(prog):
        pytest.skip(f"Debian's {prog} (the oracle) is not installed")
    results = {}
    for side, d in workdirs.items():
        for name, (data, mode) in files.items():
            write(d, name, data, mode)
        results[side] = run(prog, side, d, *args, as_nobody=as_nobody)
    return results["tern"], results["postfix"]


def assert_same(tern, postfix):
    assert (tern.rc, tern.messages(), tern.out) == (postfix.rc, postfix.messages(), postfix.out)


GARBAGE = bytes(range(256)) * 8 + b"\n\x00\xff\xfe garbage \x01\x02\n"


# --- main.cf -------------------------------------------------------------------------

def test_main_cf_binary_garbage(workdirs):
    tern, postfix = both(workdirs, "postconf", {"conf/main.cf": (GARBAGE, 0o644)}, "-n")
    assert tern.rc == 1
    assert tern.messages()[-1].startswith("fatal: DIR/conf/main.cf, line 1: ")
    assert_same(tern, postfix)


def test_main_cf_one_megabyte_line(workdirs):
    d = workdirs["tern"]
    write(d, "conf/main.cf", b"myhostname = " + b"x" * (1 << 20) + b"\nmydomain = ok.example\n")
    result = run("postconf", "tern", d, "-h", "mydomain")
    assert result.rc == 0
    assert result.out == "ok.example\n"
    assert result.messages() == [
        "warning: DIR/conf/main.cf, line 1: logical line longer than 262144 bytes, ignored"]


def test_main_cf_missing(workdirs):
    for d in workdirs.values():
        os.unlink(os.path.join(d, "conf", "main.cf"))
    tern, postfix = both(workdirs, "postconf", {}, "-n")
    assert tern.rc == 1
    assert tern.messages() == ["fatal: open DIR/conf/main.cf: No such file or directory"]
    assert_same(tern, postfix)


def test_main_cf_unreadable(workdirs):
    if os.geteuid() != 0:
        pytest.skip("needs root to run as nobody")
    tern, postfix = both(workdirs, "postconf",
                         {"conf/main.cf": (b"myhostname = a.example\n", 0o600)}, "-n",
                         as_nobody=True)
    assert tern.rc == 1
    assert tern.messages() == ["fatal: open DIR/conf/main.cf: Permission denied"]
    assert_same(tern, postfix)


def test_main_cf_bad_numerical_value(workdirs):
    tern, postfix = both(workdirs, "postmap",
                         {"conf/main.cf": (b"berkeley_db_read_buffer_size = lots\n", 0o644),
                          "t": (b"a b\n", 0o644)}, "-q", "a", "hash:t")
    assert tern.rc != 0
    assert any("berkeley_db_read_buffer_size" in m for m in tern.messages())


# --- table sources ---------------------------------------------------------------------

def test_table_source_binary_garbage(workdirs):
    tern, postfix = both(workdirs, "postmap", {"t": (GARBAGE, 0o644)}, "hash:t")
    assert any(m.startswith("warning: t, line ") for m in tern.messages())
    assert_same(tern, postfix)


def test_table_source_one_megabyte_line(workdirs):
    d = workdirs["tern"]
    write(d, "t", b"big " + b"v" * (1 << 20) + b"\nsmall value\n")
    result = run("postmap", "tern", d, "hash:t")
    assert result.rc == 0
    assert result.messages() == [
        "warning: t, line 1: logical line longer than 262144 bytes, ignored"]
    assert run("postmap", "tern", d, "-q", "small", "hash:t").out == "value\n"
    assert run("postmap", "tern", d, "-q", "big", "hash:t").rc == 1


def test_table_source_missing(workdirs):
    tern, postfix = both(workdirs, "postmap", {}, "hash:nonexistent")
    assert tern.rc == 1
    assert tern.messages()[-1].startswith("fatal: open ")
    assert "nonexistent" in tern.messages()[-1]
    assert_same(tern, postfix)


def test_table_source_unreadable(workdirs):
    if os.geteuid() != 0:
        pytest.skip("needs root to run as nobody")
    tern, postfix = both(workdirs, "postmap", {"t": (b"a b\n", 0o600)}, "-q", "a", "cidr:t",
                         as_nobody=True)
    assert tern.rc == 1
    assert "Permission denied" in tern.err
    assert_same(tern, postfix)


@pytest.mark.parametrize("table_type", ["pcre", "regexp"])
def test_invalid_regular_expression(workdirs, table_type):
    if table_type == "pcre" and not os.path.exists("/usr/lib/postfix/postfix-pcre.so"):
        pytest.skip("Debian's postfix-pcre (the oracle) is not installed")
    source = b"/ok/ fine\n/(unclosed/ broken\n/a/ second\n"
    tern, postfix = both(workdirs, "postmap", {"t": (source, 0o644)}, "-q", "a", f"{table_type}:t")
    assert tern.rc == 0 and tern.out == "second\n"
    assert any(m.startswith(("warning: ", "error: ")) and "t, line 2" in m
               for m in tern.messages()), tern.messages()
    assert_same(tern, postfix)


def test_invalid_cidr(workdirs):
    source = b"10.0.0.0/33 too-long\n1.2.3.4/24 host-bits\n300.1.1.1 bad\n1.2.3.0/24 good\n"
    tern, postfix = both(workdirs, "postmap", {"t": (source, 0o644)}, "-q", "1.2.3.9", "cidr:t")
    assert tern.rc == 0 and tern.out == "good\n"
    assert any("t, line 1" in m for m in tern.messages())
    assert_same(tern, postfix)


def test_unknown_table_type(workdirs):
    tern, postfix = both(workdirs, "postmap", {"t": (b"a b\n", 0o644)}, "-q", "a", "nosuch:t")
    assert tern.rc == 1
    assert tern.messages() == ["fatal: unsupported dictionary type: nosuch"]
    assert_same(tern, postfix)


# --- master.cf -------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    b"smtp inet n - y\n",                              # too few columns
    b"smtp inet maybe - y - - smtpd\n",                # bad y/n column
    b"smtp inet n - y soon - smtpd\n",                 # bad wakeup column
    b"smtp inet n - y - many smtpd\n",                 # bad process limit column
    b"smtp tcp n - y - - smtpd\n",                     # unknown service type
], ids=["columns", "private", "wakeup", "maxproc", "type"])
def test_master_cf_bad_column(workdirs, text):
    tern, postfix = both(workdirs, "postconf", {"conf/master.cf": (text, 0o644)}, "-M")
    assert tern.rc == postfix.rc == 1
    assert tern.out == postfix.out == ""
    # Tern names the file and line for every master.cf error; Postfix does so only
    # for a bad field count. The text after the location is Postfix's.
    location = "file DIR/conf/master.cf: line 1: "
    postfix_text = postfix.messages()[-1].replace("fatal: ", "", 1).replace(location, "")
    assert tern.messages() == [f"fatal: {location}{postfix_text}"]
