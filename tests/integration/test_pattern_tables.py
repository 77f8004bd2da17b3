"""Differential tests of cidr:, pcre: and regexp: tables.

Every table source in tests/data/tables (TABLE.cidr, TABLE.pcre,
TABLE.regexp) is queried with each key of TABLE.keys, by Tern's
build/bin/postmap and by Debian's /usr/sbin/postmap (the oracle), as
"postmap -c CONFDIR -q KEY TYPE:TABLE" in the same working directory. The
answer, the exit code and the warnings (stderr without the "postmap: "
prefix) must be equal. Inline tables ("pcre:{ {rule}, ... }"), missing and
unreadable files, binary garbage and over-long lines are checked the same
way, or against Tern alone where Tern is meant to differ.

Both programs get a "-c DIR" configuration directory with an empty main.cf.
Tests are skipped while build/bin/postmap is not built, or when the oracle
is not installed.
"""
import codecs
import glob
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.environ.get("TERN_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("TERN_BUILD", os.path.join(ROOT, "build"))
TABLES = os.path.join(ROOT, "tests", "data", "tables")
ORACLE = "/usr/sbin/postmap"
TYPES = ("cidr", "pcre", "regexp")

# Corpus files where Tern is known to differ, and why (xfail, strict: a fix
# makes the test fail until the entry is removed).
KNOWN_DIFFERENCES = {
}


def tern_postmap():
    path = os.path.join(BUILD, "bin", "postmap")
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} is not built yet")
    return path


def oracle_postmap():
    if not os.access(ORACLE, os.X_OK):
        pytest.skip("Debian's postmap (the oracle) is not installed")
    return ORACLE


@pytest.fixture
def confdir(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "main.cf").write_text("")
    # Postfix waits for a main.cf modified within the last second to settle.
    os.utime(conf / "main.cf", (1e9, 1e9))
    return str(conf)


def run(binary, confdir, args, cwd, stdin=b""):
    env = {k: v for k, v in os.environ.items() if k not in ("MAIL_CONFIG", "MAIL_VERBOSE")}
    proc = subprocess.run([binary, "-c", confdir] + list(args), cwd=cwd, input=stdin,
                          capture_output=True, env=env, timeout=120)
    messages = []
    for line in proc.stderr.decode("latin-1").split("\n")[:-1]:
        messages.append(re.sub(r"^[^:]*postmap: ", "", line, count=1))
    return proc.returncode, proc.stdout, messages


def both(confdir, args, cwd, stdin=b""):
    return (run(tern_postmap(), confdir, args, cwd, stdin),
            run(oracle_postmap(), confdir, args, cwd, stdin))


def read_keys(path):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [codecs.escape_decode(line)[0] for line in lines]


def corpus():
    files = []
    for path in sorted(glob.glob(os.path.join(TABLES, "*"))):
        name = os.path.basename(path)
        if name.rsplit(".", 1)[-1] in TYPES:
            marks = []
            if name in KNOWN_DIFFERENCES:
                marks.append(pytest.mark.xfail(reason=KNOWN_DIFFERENCES[name], strict=True))
            files.append(pytest.param(name, marks=marks, id=name))
    return files


def describe(key, tern, oracle):
    return (f"key {key!r}:\n  tern:    rc={tern[0]} out={tern[1]!r}\n           "
            + "\n           ".join(tern[2])
            + f"\n  postfix: rc={oracle[0]} out={oracle[1]!r}\n           "
            + "\n           ".join(oracle[2]))


def test_corpus_is_complete():
    names = [os.path.basename(p) for p in glob.glob(os.path.join(TABLES, "*"))]
    for table_type in TYPES:
        assert any(n.endswith("." + table_type) for n in names), table_type
    for name in names:
        if name.rsplit(".", 1)[-1] in TYPES:
            assert name + ".keys" in names, f"{name} has no .keys file"
            assert read_keys(os.path.join(TABLES, name + ".keys")), f"{name}.keys is empty"


@pytest.mark.parametrize("name", corpus())
def test_corpus_matches_postfix(name, confdir, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(os.path.join(TABLES, name), work / name)
    table = name.rsplit(".", 1)[1] + ":" + name
    mismatches = []
    for key in read_keys(os.path.join(TABLES, name + ".keys")):
        tern, oracle = both(confdir, ["-q", key, table], str(work))
        if tern != oracle:
            mismatches.append(describe(key, tern, oracle))
    assert not mismatches, f"{table}: Tern differs from Postfix\n" + "\n".join(mismatches)


def test_batch_queries_match_postfix(confdir, tmp_path):
    """postmap -q - reads keys from stdin; warnings come once, at open."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("basic.pcre", "substitution.pcre", "negation_if.cidr", "basic.regexp"):
        shutil.copy(os.path.join(TABLES, name), work / name)
        keys = [k for k in read_keys(os.path.join(TABLES, name + ".keys")) if b"\n" not in k]
        stdin = b"".join(k + b"\n" for k in keys)
        table = name.rsplit(".", 1)[1] + ":" + name
        tern, oracle = both(confdir, ["-q", "-", table], str(work), stdin)
        assert tern == oracle, describe("-", tern, oracle)
        assert oracle[1], f"{table}: the batch found nothing, the test proves little"


INLINE_TABLES = [
    "pcre:{ {/^x(.)$/ got $1}, {/y/ $z} }",
    "cidr:{{1.2.3.4 a b } , { 1.0.0.0/4 x} }",
    "cidr:{ {1.2.3.4 a}  {!1.2.3.4 not} }",
    "regexp:{ {/^(.)x/ $1}, {!/q/ no-q} }",
    "pcre:{{/x{2}/ a}}",
    "pcre:{ {#comment}, {/x/ a} }",
    "pcre:{ {/x/ a\n  continued}}",
    "cidr:{}",
]

# Syntax errors: fatal for postmap, with Postfix's wording.
INLINE_ERRORS = [
    "cidr:{1.2.3.4 a b}",
    "cidr:{{1.2.3.4 a b}",
    "pcre:{ {/x/ a} junk }",
    "pcre:{ {/x/ a}{/y/ b} }",
    "pcre:{ {/x/ a} } trailing",
    "pcre:{ {/x/ a} } ",
    "regexp:{ {/x/ a}} }",
]


@pytest.mark.parametrize("table", INLINE_TABLES)
def test_inline_tables_match_postfix(table, confdir, tmp_path):
    for key in (b"xx", b"1.2.3.4", b"ax", b"yes", b"2.0.0.1"):
        tern, oracle = both(confdir, ["-q", key, table], str(tmp_path))
        assert tern == oracle, describe(key, tern, oracle)


@pytest.mark.parametrize("table", INLINE_ERRORS)
def test_inline_table_errors_match_postfix(table, confdir, tmp_path):
    tern, oracle = both(confdir, ["-q", "1.2.3.4", table], str(tmp_path))
    assert tern == oracle, describe(b"1.2.3.4", tern, oracle)
    assert tern[0] == 1 and tern[2][-1].startswith("fatal: ")


@pytest.mark.parametrize("table_type", TYPES)
def test_missing_file_matches_postfix(table_type, confdir, tmp_path):
    tern, oracle = both(confdir, ["-q", "1.2.3.4", f"{table_type}:{tmp_path}/missing"],
                        str(tmp_path))
    assert tern == oracle, describe("1.2.3.4", tern, oracle)
    assert tern[0] == 1 and "No such file or directory" in tern[2][-1]


def test_directory_as_cidr_table_matches_postfix(confdir, tmp_path):
    (tmp_path / "dir").mkdir()
    tern, oracle = both(confdir, ["-q", "1.2.3.4", "cidr:dir"], str(tmp_path))
    assert tern == oracle, describe("1.2.3.4", tern, oracle)


@pytest.mark.parametrize("table_type", ["pcre", "regexp"])
def test_directory_as_regex_table_is_a_read_error(table_type, confdir, tmp_path):
    """Postfix reads a directory as an empty pcre/regexp table; Tern refuses it."""
    (tmp_path / "dir").mkdir()
    rc, out, messages = run(tern_postmap(), confdir, ["-q", "x", f"{table_type}:dir"],
                            str(tmp_path))
    assert rc == 1 and out == b""
    assert messages == [f"fatal: {table_type} map dir: read error: Is a directory"]


@pytest.mark.parametrize("table_type", TYPES)
def test_unreadable_file_matches_postfix(table_type, confdir, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    path = tmp_path / "secret"
    path.write_text("1.2.3.4 x\n/x/ y\n")
    path.chmod(0)
    tern, oracle = both(confdir, ["-q", "1.2.3.4", f"{table_type}:secret"], str(tmp_path))
    assert tern == oracle, describe("1.2.3.4", tern, oracle)
    assert tern[0] == 1 and "Permission denied" in tern[2][-1]


def printable(result):
    """Postfix logs non-printable bytes as '?'; compare texts that way."""
    rc, out, messages = result
    return rc, out, [re.sub(r"[^\x20-\x7e]", "?", m) for m in messages]


@pytest.mark.parametrize("table_type", TYPES)
def test_binary_garbage_matches_postfix(table_type, confdir, tmp_path):
    name = "garbage." + table_type
    shutil.copy(os.path.join(TABLES, "garbage.bin"), tmp_path / name)
    for key in (b"1.2.3.4", b"1.2.3.9", b"abc", b"ab"):
        tern, oracle = both(confdir, ["-q", key, f"{table_type}:{name}"], str(tmp_path))
        assert tern[0] in (0, 1), describe(key, tern, oracle)
        assert printable(tern) == printable(oracle), describe(key, tern, oracle)
        assert len(oracle[2]) > 10  # the garbage really produced warnings


@pytest.mark.parametrize("table_type,rule,key,value", [
    ("cidr", "10.0.0.0/8 ten", "10.1.2.3", b"ten\n"),
    ("pcre", "/^ok$/ fine", "ok", b"fine\n"),
    ("regexp", "/^ok$/ fine", "ok", b"fine\n"),
])
def test_megabyte_line_is_skipped(table_type, rule, key, value, confdir, tmp_path):
    """A 1 MB logical line is refused with a warning; the other rules work."""
    path = tmp_path / ("big." + table_type)
    path.write_bytes(b"/" + b"a" * (1 << 20) + b"/ big\n" + rule.encode() + b"\n")
    rc, out, messages = run(tern_postmap(), confdir, ["-q", key, f"{table_type}:big.{table_type}"],
                            str(tmp_path))
    assert (rc, out) == (0, value)
    assert any("line 1:" in m and "longer than" in m for m in messages), messages


def test_pathological_pcre_fails_fast(confdir, tmp_path):
    """The match limit stops catastrophic backtracking: warn and go on."""
    (tmp_path / "bt.pcre").write_text("/^(a+)+$/ bad\n/a/ second\n")
    key = "a" * 60 + "!"
    tern, oracle = both(confdir, ["-q", key, "pcre:bt.pcre"], str(tmp_path))
    assert tern == oracle, describe(key, tern, oracle)
    assert tern[1] == b"second\n"
    assert tern[2] == ["warning: pcre map bt.pcre, line 1: match limit exceeded"]


def test_pathological_regexp_bound_is_refused(confdir, tmp_path):
    """The C library would spend seconds on a{1,32767}; Tern skips the rule."""
    (tmp_path / "big.regexp").write_text("/^a{1,32767}$/ huge\n/^a/ small\n")
    rc, out, messages = run(tern_postmap(), confdir, ["-q", "aaa", "regexp:big.regexp"],
                            str(tmp_path))
    assert (rc, out) == (0, b"small\n")
    assert len(messages) == 1 and "line 1: regular expression is too complex" in messages[0]
