"""postmap: Tern's answers equal Debian's Postfix postmap (the oracle).

Each test builds the same source with both programs in separate temporary
directories (same relative names, "-c DIR" with an empty main.cf unless
stated) and compares exit codes, warnings (text after "postmap: ") and the
tables' contents: "-s" listings (sorted; hash order may differ) and "-q -"
answers for every key of the source, in several cases.
"""
import os
import pathlib
import shutil
import stat
import tempfile

import pytest

from postmap_util import pair, sorted_lines

# Table sources with the cases that trip parsers up.
CORPUS = {
    "continuation_after_comment": b"k1 v1\n# comment\n  cont1\n\n  cont2\nk2 v2\n",
    "leading_whitespace": b"  lead val\nk v\n",
    "case": b"Foo bar\nFOO baz\nMiXeD Value With Case\nlower UPPER\n",
    "continuation": b"k1 v1\n  cont1\n\tcont2\nk2 a\n# comment\nk3 b\n  c  \n",
    "comments": b"# only a comment\n   # indented comment\nk v # not a comment\n#k2 v2\n",
    "duplicates": b"a 1\nA 2\na 3\nb 1\nB 2\n",
    "value_spaces": b"k   value  with   spaces   \nk2\t\ttab\tseparated\t \n",
    "missing_values": b"onlykey\nk2 v\nk3   \n\t\nk4 v4\n",
    "alias_format": b"k1: v1\nk2 v2\n",
    "crlf": b"k v\r\nk2 v2\r\n",
    "no_final_newline": b"k v\nlast value",
    "empty": b"",
    "long_line": b"short 1\nlong " + b"x" * 100000 + b"\nafter 2\n",
    "binary_garbage": b"ok 1\n\xff\xfe bin\nk\x01ey val\x02ue\nnul\x00key v\n\x80\x81 \x82\n",
    "utf8": "\u00c4BC upper\nutf\u00e4 \u00c4\nplain v\n".encode(),
    "address_keys": b"user@example.com OK\n@example.com REJECT\nexample.com RELAY\n"
                    b"1.2.3.4 DUNNO\n1.2.3 OK\n[::1] x\nUser+ext@Example.COM y\n",
}

# Known differences in the shared source reader (lib/table/dict_source.c,
# lib/util/readlline.c): each case is a separate corpus entry so that the
# rest of the corpus is checked exactly.
KNOWN_SOURCE_DIFFS = {
    "quoted_keys": (b'"a b" c\n"q\\"x" y\nplain z\n"unbal val\n',
                    "dict_source splits at the first blank even inside quotes"),
}


def source_keys(data, utf8_only=False):
    """Lookup keys to try: each word of the source, and case variants."""
    keys = {b"nothere", b"K", b"A"}
    for line in data.split(b"\n"):
        for word in line.replace(b"\t", b" ").split(b" "):
            word = word.strip(b"\r\x00")
            if utf8_only:
                try:
                    word.decode("utf-8")
                except UnicodeDecodeError:
                    continue
            if word and b"\x00" not in word:
                keys.update({word, word.upper(), word.lower()})
    return b"\n".join(sorted(keys)) + b"\n"


def compare_build(tmp_path, data, map_type="hash", extra=(), main_cf="", utf8_keys=False):
    tern, postfix = pair(tmp_path, "postmap", main_cf)
    results = []
    for side in (tern, postfix):
        side.write("src", data)
        built = side.run(*extra, f"{map_type}:src")
        listed = side.run(*extra, "-s", f"{map_type}:src")
        queried = side.run(*extra, "-q", "-", f"{map_type}:src",
                           stdin=source_keys(data, utf8_only=utf8_keys))
        results.append((built, listed, queried))
    (tb, ts, tq), (pb, ps, pq) = results
    assert (tb.rc, tb.messages("postmap")) == (pb.rc, pb.messages("postmap"))
    assert (ts.rc, sorted_lines(ts.out)) == (ps.rc, sorted_lines(ps.out))
    assert ts.messages("postmap") == ps.messages("postmap")
    assert (tq.rc, tq.out) == (pq.rc, pq.out)
    assert tq.messages("postmap") == pq.messages("postmap")
    return tern, postfix


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_build_hash_matches_postfix(tmp_path, name):
    compare_build(tmp_path, CORPUS[name])


@pytest.mark.parametrize("name", ["case", "duplicates", "continuation", "binary_garbage"])
def test_build_btree_matches_postfix(tmp_path, name):
    compare_build(tmp_path, CORPUS[name], map_type="btree")


@pytest.mark.parametrize("name", sorted(KNOWN_SOURCE_DIFFS))
@pytest.mark.xfail(strict=True, reason="known difference in the shared source reader")
def test_build_known_source_differences(tmp_path, name):
    compare_build(tmp_path, KNOWN_SOURCE_DIFFS[name][0])


@pytest.mark.parametrize("name", ["binary_garbage", "case"])
def test_build_with_smtputf8_matches_postfix(tmp_path, name):
    # compatibility_level 3.6 (Debian's stock main.cf) turns smtputf8_enable on:
    # non-UTF-8 lines are skipped with a warning.
    compare_build(tmp_path, CORPUS[name], main_cf="compatibility_level = 3.6\n",
                  utf8_keys=True)


def test_build_without_utf8_checks_matches_postfix(tmp_path):
    # -u turns the checks off even with smtputf8_enable = yes.
    compare_build(tmp_path, CORPUS["binary_garbage"], extra=["-u"],
                  main_cf="compatibility_level = 3.6\n")


@pytest.mark.xfail(strict=True, reason="dict layer ignores DICT_FLAG_UTF8_REQUEST: "
                   "no UTF-8 case folding of non-ASCII keys")
def test_build_utf8_folding_with_smtputf8(tmp_path):
    compare_build(tmp_path, CORPUS["utf8"], main_cf="compatibility_level = 3.6\n")


@pytest.mark.xfail(strict=True, reason="dict layer ignores DICT_FLAG_UTF8_REQUEST: "
                   "no \"non-UTF-8 key\" warning on lookups")
def test_query_non_utf8_key_with_smtputf8(tmp_path):
    compare_build(tmp_path, CORPUS["binary_garbage"], main_cf="compatibility_level = 3.6\n")


@pytest.mark.parametrize("flags", [["-f"], ["-N"], ["-n"], ["-r"], ["-w"], ["-f", "-n"]])
def test_build_flags_match_postfix(tmp_path, flags):
    compare_build(tmp_path, CORPUS["case"] + CORPUS["duplicates"], extra=flags)


def test_one_megabyte_line_is_refused_with_file_and_line(tmp_path):
    # Postfix stores a 1 MB line; Tern bounds logical lines (READLLINE_LIMIT)
    # and says so with file and line, keeping every other entry.
    tern, postfix = pair(tmp_path, "postmap")
    data = b"k1 v1\nbig " + b"x" * (1 << 20) + b"\nk2 v2\n"
    for side in (tern, postfix):
        side.write("big", data)
        assert side.run("big").rc == 0
    msgs = tern.run("big").messages("postmap")
    assert any(m.startswith("warning: big, line 2: ") for m in msgs), msgs
    for key in ("k1", "k2"):
        t, p = tern.run("-q", key, "big"), postfix.run("-q", key, "big")
        assert (t.rc, t.out) == (p.rc, p.out) == (0, key.replace("k", "v").encode() + b"\n")
    assert tern.run("-q", "big", "big").rc == 1


def compare_cmd(tmp_path, setup, args, stdin=b""):
    """Runs the same command on both sides after setup(side)."""
    tern, postfix = pair(tmp_path, "postmap")
    out = []
    for side in (tern, postfix):
        setup(side)
        out.append(side.run(*args, stdin=stdin))
    t, p = out
    assert t.rc == p.rc, (t, p)
    assert t.out == p.out, (t, p)
    assert t.messages("postmap") == p.messages("postmap"), (t, p)
    return tern, postfix


def with_table(side):
    side.write("t", CORPUS["case"] + b"key  value with  spaces\n")
    assert side.run("t").rc == 0
    side.write("texthash", b"lower UPPER\n")


@pytest.mark.parametrize("args,stdin", [
    (["nonexist"], b""),
    (["-q", "x", "nonexist"], b""),
    (["-q", "x", "hash:nonexist"], b""),
    (["-s", "nonexist"], b""),
    (["-d", "x", "nonexist"], b""),
    (["-q", "-", "nonexist"], b"x\n"),
    (["foo:t"], b""),
    (["foo:nonexist"], b""),
    (["-q", "x", "foo:t"], b""),
    (["cidr:t"], b""),
    (["pcre:t"], b""),
    (["regexp:t"], b""),
    (["texthash:t"], b""),
    (["inline:{a=b}"], b""),
    (["static:x"], b""),
    (["unix:passwd.byname"], b""),
    (["-q", "x", "fail:"], b""),
    (["-q", "x", "fail:x"], b""),
    (["-s", "fail:x"], b""),
    (["-d", "x", "fail:x"], b""),
    (["-s", "static:x"], b""),
    (["-d", "x", "cidr:t"], b""),
    ([], b""),
    (["-q", "x"], b""),
    (["-x", "t"], b""),
    (["-q"], b""),
    (["-q", "a", "-s", "t"], b""),
    (["-s", "-q", "a", "t"], b""),
    (["-d", "a", "-q", "a", "t"], b""),
    (["-b", "t"], b""),
    (["-h", "-q", "x", "t"], b""),
    (["-m", "-q", "-", "t"], b"foo\n"),
    (["t", "-q", "foo"], b""),
])
def test_errors_match_postfix(tmp_path, args, stdin):
    compare_cmd(tmp_path, with_table, args, stdin)


@pytest.mark.parametrize("args,stdin", [
    (["-q", "FOO", "t"], b""),
    (["-q", "foo", "t"], b""),
    (["-q", "Foo", "-f", "t"], b""),
    (["-f", "-q", "Foo", "t"], b""),
    (["-q", "nothere", "t"], b""),
    (["-q", "", "t"], b""),
    (["-q", "key", "t"], b""),
    (["-q", "foo", "t", "t"], b""),
    (["-q", "LOWER", "texthash:texthash"], b""),
    (["-q", "-", "t"], b"FOO\nnone\n  FOO  \nFOO\r\nkey\n\nmixed\nFOO"),
    (["-q", "-", "t"], b"none\n"),
    (["-q", "-", "t", "nonexist"], b"foo\n"),
    (["-q", "-", "t", "t"], b"lower\nnone\n"),
    (["-s", "t", "nonexist"], b""),
    (["-N", "-q", "foo", "t"], b""),
    (["-n", "-q", "foo", "t"], b""),
])
def test_queries_match_postfix(tmp_path, args, stdin):
    compare_cmd(tmp_path, with_table, args, stdin)


@pytest.mark.parametrize("args,stdin", [
    (["-d", "FOO", "t"], b""),
    (["-d", "nothere", "t"], b""),
    (["-d", "-", "t"], b"KEY\nnone\n"),
    (["-d", "-", "t"], b"none\n"),
    (["-d", "foo", "t", "t2"], b""),
])
def test_delete_matches_postfix(tmp_path, args, stdin):
    def setup(side):
        with_table(side)
        side.write("t2", b"foo other\n")
        assert side.run("t2").rc == 0
    tern, postfix = compare_cmd(tmp_path, setup, args, stdin)
    for name in ("t", "t2"):
        t, p = tern.run("-s", name), postfix.run("-s", name)
        assert sorted_lines(t.out) == sorted_lines(p.out)


@pytest.mark.parametrize("flags", [[], ["-r"], ["-w"], ["-f"]])
def test_incremental_matches_postfix(tmp_path, flags):
    updates = b"New val\nfoo dup\nKEY   x y \nbad\n"

    def setup(side):
        with_table(side)
    tern, postfix = compare_cmd(tmp_path, setup, flags + ["-i", "t"], updates)
    t, p = tern.run("-s", "t"), postfix.run("-s", "t")
    assert sorted_lines(t.out) == sorted_lines(p.out)


def test_incremental_creates_missing_table(tmp_path):
    tern, postfix = compare_cmd(tmp_path, lambda side: None, ["-i", "newtab"], b"a b\n")
    for side in (tern, postfix):
        assert side.run("-q", "a", "newtab").out == b"b\n"
        assert stat.S_IMODE(os.stat(side.path("newtab.db")).st_mode) == 0o644


def test_file_values_match_postfix(tmp_path):
    def setup(side):
        side.write("f1", b"hello\n")
        side.write("f2", b"world")
        side.write("fs", b"k1 f1\nk2 f1, f2\nk3 nofile\nk4 f2\n")
        side.write("bf", b"x aGVsbG8K\ny !!!\n")
        assert side.run("bf").rc == 0
    tern, postfix = compare_cmd(tmp_path, setup, ["-F", "fs"])
    for args in (["-s", "fs"], ["-F", "-s", "fs"], ["-F", "-q", "k2", "fs"],
                 ["-F", "-q", "y", "bf"], ["-F", "-s", "bf"], ["-F", "-q", "-", "fs"]):
        t = tern.run(*args, stdin=b"k1\nk4\nnone\n")
        p = postfix.run(*args, stdin=b"k1\nk4\nnone\n")
        assert (t.rc, sorted_lines(t.out), t.messages("postmap")) == \
               (p.rc, sorted_lines(p.out), p.messages("postmap")), args


MESSAGE = b"""From: a@b
Subject: hello
 continued
X-Foo : bar
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="BB"

line1
line2

--BB
Content-Type: text/plain

part1 line
--BB
Content-Type: message/rfc822

Subject: inner
From: inner@x

inner body
--BB
Content-Type: multipart/digest; boundary=(comment)DD

--DD

Subject: digest part
--DD--
--BB--
epilogue
"""

GARBAGE_HEADER = b"From: a@b\nthis is not a header\nSubject: late\n\nbody\n"


@pytest.mark.parametrize("flags", [["-h"], ["-b"], ["-h", "-m"], ["-b", "-m"], ["-h", "-b"],
                                   ["-h", "-b", "-m"]])
@pytest.mark.parametrize("message", [MESSAGE, GARBAGE_HEADER, b"", b"Subject: only\n"])
def test_header_body_keys_match_postfix(tmp_path, flags, message):
    # static: answers every key, so the output shows exactly which keys were made.
    compare_cmd(tmp_path, lambda side: None, flags + ["-q", "-", "static:HIT"], message)


def test_header_body_keys_with_hash_table(tmp_path):
    def setup(side):
        side.write("checks", b"line1 BODY\nsubject:\tx\n--bb BOUNDARY\n")
        assert side.run("checks").rc == 0
    compare_cmd(tmp_path, setup, ["-b", "-h", "-m", "-q", "-", "checks"], MESSAGE)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604, 0o666, 0o755, 0o400, 0o000])
@pytest.mark.parametrize("flags", [[], ["-p"]])
def test_new_table_mode_matches_postfix(tmp_path, mode, flags):
    tern, postfix = pair(tmp_path, "postmap")
    modes = []
    for side in (tern, postfix):
        side.write("src", b"a b\n", mode=mode)
        assert side.run(*flags, "src").rc == 0
        modes.append(stat.S_IMODE(os.stat(side.path("src.db")).st_mode))
    assert modes[0] == modes[1]


def test_table_owned_by_source_owner_as_root(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to change file owners")
    tern, postfix = pair(tmp_path, "postmap")
    for side in (tern, postfix):
        os.chmod(side.dir, 0o777)
        side.write("src", b"a b\n")
        os.chown(side.path("src"), 65534, 65534)
        assert side.run("src").rc == 0
        st = os.stat(side.path("src.db"))
        assert (st.st_uid, st.st_gid) == (65534, 65534)
        os.unlink(side.path("src.db"))
        assert side.run("-o", "src").rc == 0
        assert os.stat(side.path("src.db")).st_uid == 0


def test_source_owner_without_write_permission(tmp_path):
    # As root, postmap takes the source owner's rights: that user cannot
    # create the table in a root-owned directory.
    if os.geteuid() != 0:
        pytest.skip("needs root to change file owners")
    tern, postfix = pair(tmp_path, "postmap")
    out = []
    for side in (tern, postfix):
        side.write("src", b"a b\n")
        os.chown(side.path("src"), 65534, 65534)
        out.append(side.run("src"))
        assert not os.path.exists(side.path("src.db"))
    assert out[0].rc == out[1].rc == 1
    assert out[0].messages("postmap") == out[1].messages("postmap")


def drop_to_nobody():
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def test_unreadable_source_matches_postfix():
    # Tests run as root, who reads any file: run both programs as "nobody",
    # in a directory tree that nobody may enter (pytest's tmp_path is 0700).
    if os.geteuid() != 0:
        pytest.skip("needs root to drop privileges")
    base = tempfile.mkdtemp(prefix="tern-postmap-")
    try:
        os.chmod(base, 0o755)
        tern, postfix = pair(pathlib.Path(base), "postmap")
        out = []
        for side in (tern, postfix):
            for d in (os.path.dirname(side.dir), side.dir, side.conf):
                os.chmod(d, 0o755)
            side.write("secret", b"a b\n", mode=0o600)
            out.append(side.run("secret", preexec=drop_to_nobody))
            out.append(side.run("-q", "a", "secret", preexec=drop_to_nobody))
    finally:
        shutil.rmtree(base)
    for t, p in ((out[0], out[2]), (out[1], out[3])):
        assert t.rc == p.rc == 1
        assert t.messages("postmap") == p.messages("postmap")
    assert out[0].messages("postmap") == ["fatal: open secret: Permission denied"]


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_rebuild_keeps_table_mode_and_owner(tmp_path, mode):
    # Postfix truncates FILE.db in place, so a rebuild keeps its mode and
    # owner; Tern builds a new file and must give it the same.
    tern, postfix = pair(tmp_path, "postmap")
    owner = (65534, 65534) if os.geteuid() == 0 else None
    result = []
    for side in (tern, postfix):
        side.write("src", b"a b\n")
        assert side.run("src").rc == 0
        os.chmod(side.path("src.db"), mode)
        if owner:
            os.chown(side.path("src.db"), *owner)
        side.write("src", b"a c\n")
        assert side.run("src").rc == 0
        assert side.run("-q", "a", "src").out == b"c\n"
        st = os.stat(side.path("src.db"))
        result.append((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid))
    assert result[0] == result[1]
    assert result[0][0] == mode
    if owner:
        assert result[0][1:] == owner
