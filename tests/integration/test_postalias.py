"""postalias: Tern's alias databases and answers equal Debian's Postfix
postalias (the oracle): aliases(5) syntax, the "@" and YP_* signature
entries, queries, incremental updates, and the newaliases-style rebuild of
every table in alias_database.
"""
import os
import re

import pytest

from postmap_util import pair, sorted_lines

MAIN_CF = "myhostname = mail.example.org\n"

ALIASES = {
    "forms": b"""# the forms of aliases(5)
postmaster: root
Root: admin, Bob@Example.COM
list: "|/usr/bin/prog arg", /var/log/file, :include:/etc/list
  , continued@example.com
devnull: /dev/null
exit67: "|exit 67"
angle: Some Body <some@body.example>, other@x
comment: a (a comment) b
"with space": x
"quoted\\"x": y
tabbed:\tone\ttwo
a:b: c
""",
    "bad_lines": b"""noval:
nocolon value
:empty: z
bad@x: y
u%h: z
"q@x": w
"": e
k: ""
, a: b
ok: fine
""",
    "duplicates": b"dup: a\nDUP: b\ndup: c\nother: d\n",
    "commas_and_quotes": b'q1: "a, b", c\nq2: "x\\"y"\nq3: a,b,,c\nq4: <a@b> , <c@d>\n',
    "empty": b"",
    "only_comments": b"# nothing\n\n   # here\n",
}


def normalize(listing):
    """-s output with the time stamp of YP_LAST_MODIFIED blanked out."""
    return sorted_lines(re.sub(rb"(YP_LAST_MODIFIED:?\t)\d+", rb"\1TIME", listing))


def query_keys(data, utf8_only=False):
    keys = {b"@", b"YP_MASTER_NAME", b"missing", b"ROOT", b"with space", b'"with space"'}
    for line in data.split(b"\n"):
        name = line.split(b":")[0].strip()
        if utf8_only:
            try:
                name.decode("utf-8")
            except UnicodeDecodeError:
                continue
        if name and b"\x00" not in name:
            keys.update({name, name.lower(), name.upper()})
    return b"\n".join(sorted(keys)) + b"\n"


def compare_aliases(tmp_path, data, map_type="hash", flags=(), main_cf=MAIN_CF,
                    utf8_keys=False):
    tern, postfix = pair(tmp_path, "postalias", main_cf)
    results = []
    for side in (tern, postfix):
        side.write("aliases", data)
        results.append((side.run(*flags, f"{map_type}:aliases"),
                        side.run(*flags, "-s", f"{map_type}:aliases"),
                        side.run(*flags, "-q", "-", f"{map_type}:aliases",
                                 stdin=query_keys(data, utf8_keys))))
    (tb, ts, tq), (pb, ps, pq) = results
    assert (tb.rc, tb.messages("postalias")) == (pb.rc, pb.messages("postalias"))
    assert (ts.rc, normalize(ts.out)) == (ps.rc, normalize(ps.out))
    assert ts.messages("postalias") == ps.messages("postalias")
    assert (tq.rc, tq.out, tq.messages("postalias")) == \
           (pq.rc, pq.out, pq.messages("postalias"))
    return tern, postfix


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_alias_file_matches_postfix(tmp_path, name):
    compare_aliases(tmp_path, ALIASES[name])


@pytest.mark.parametrize("name", ["forms", "duplicates"])
def test_alias_btree_matches_postfix(tmp_path, name):
    compare_aliases(tmp_path, ALIASES[name], map_type="btree")


@pytest.mark.parametrize("flags", [["-f"], ["-N"], ["-n"], ["-r"], ["-w"]])
def test_alias_flags_match_postfix(tmp_path, flags):
    compare_aliases(tmp_path, ALIASES["forms"] + ALIASES["duplicates"], flags=flags)


def test_alias_utf8_checks_match_postfix(tmp_path):
    data = b"ok: 1\n\xff\xfe: bin\nx: \xff\nplain: value\n"
    compare_aliases(tmp_path, data, main_cf=MAIN_CF + "compatibility_level = 3.6\n",
                    utf8_keys=True)


def test_signature_entries(tmp_path):
    tern, _ = pair(tmp_path, "postalias", MAIN_CF)
    tern.write("aliases", b"root: admin\n")
    assert tern.run("aliases").rc == 0
    listing = tern.run("-s", "aliases").out
    assert b"@:\t@\n" in listing
    assert b"YP_MASTER_NAME:\tmail.example.org\n" in listing
    assert re.search(rb"YP_LAST_MODIFIED:\t\d{10}\n", listing)
    # YP_* are stored as written (no case folding, no terminating NUL).
    raw = open(tern.path("aliases.db"), "rb").read()
    assert b"YP_MASTER_NAMEmail.example.org" in raw or b"YP_MASTER_NAME" in raw
    assert tern.run("-q", "@", "aliases").out == b"@\n"


@pytest.mark.parametrize("args,stdin", [
    (["-q", "Root", "aliases"], b""),
    (["-q", "missing", "aliases"], b""),
    (["-q", "@", "aliases"], b""),
    (["-q", "-", "aliases"], b"root\nnone\nPOSTMASTER\n"),
    (["-q", "-", "aliases"], b"none\n"),
    (["-d", "root", "aliases"], b""),
    (["-d", "-", "aliases"], b"root\nnone\n"),
    (["-q", "x", "nonexist"], b""),
    (["-s", "nonexist"], b""),
    (["-b", "aliases"], b""),
    (["-q", "x"], b""),
    (["-s", "-q", "x", "aliases"], b""),
    (["cidr:aliases"], b""),
    (["nonexist"], b""),
])
def test_commands_match_postfix(tmp_path, args, stdin):
    tern, postfix = pair(tmp_path, "postalias", MAIN_CF)
    out = []
    for side in (tern, postfix):
        side.write("aliases", ALIASES["forms"])
        assert side.run("aliases").rc == 0
        out.append(side.run(*args, stdin=stdin))
        out.append(side.run("-s", "aliases"))
    t, ts, p, ps = out
    assert (t.rc, t.out, t.messages("postalias")) == (p.rc, p.out, p.messages("postalias"))
    assert normalize(ts.out) == normalize(ps.out)


def test_incremental_matches_postfix(tmp_path):
    tern, postfix = pair(tmp_path, "postalias", MAIN_CF)
    out = []
    for side in (tern, postfix):
        side.write("aliases", ALIASES["forms"])
        assert side.run("aliases").rc == 0
        out.append(side.run("-i", "aliases", stdin=b"new: person\nroot: changed\nbad line\n"))
        out.append(side.run("-s", "aliases"))
    t, ts, p, ps = out
    assert (t.rc, t.messages("postalias")) == (p.rc, p.messages("postalias"))
    assert normalize(ts.out) == normalize(ps.out)


def test_newaliases_rebuilds_alias_database(tmp_path):
    # Tern's postalias without a file argument builds every alias_database
    # entry; Postfix's newaliases runs "postalias" with those entries.
    tern, postfix = pair(tmp_path, "postalias")
    for side in (tern, postfix):
        side.write_main_cf(MAIN_CF + f"alias_database = hash:{side.dir}/aliases, "
                           f"btree:{side.dir}/more\n")
        side.write("aliases", ALIASES["forms"])
        side.write("more", ALIASES["duplicates"])
    t = tern.run()
    p = postfix.run(f"hash:{postfix.dir}/aliases", f"btree:{postfix.dir}/more")
    assert t.rc == p.rc == 0
    assert [m.replace(tern.dir, "DIR") for m in t.messages("postalias")] == \
           [m.replace(postfix.dir, "DIR") for m in p.messages("postalias")]
    for table in ("hash:aliases", "btree:more"):
        ts, ps = tern.run("-s", table), postfix.run("-s", table)
        assert ts.rc == ps.rc == 0
        assert normalize(ts.out) == normalize(ps.out)


def test_newaliases_with_empty_alias_database_is_a_usage_error(tmp_path):
    tern, postfix = pair(tmp_path, "postalias", MAIN_CF + "alias_database =\n")
    t, p = tern.run(), postfix.run()
    assert t.rc == p.rc == 1
    assert t.messages("postalias") == p.messages("postalias")


def test_newaliases_missing_source_is_fatal(tmp_path):
    tern, _ = pair(tmp_path, "postalias")
    tern.write_main_cf(MAIN_CF + f"alias_database = hash:{tern.dir}/nothere\n")
    t = tern.run()
    assert t.rc == 1
    assert t.messages("postalias") == [f"fatal: open {tern.dir}/nothere: No such file or "
                                       "directory"]
    assert not os.path.exists(tern.path("nothere.db"))
