""".db files interoperate: a table built by Tern is read by Debian's Postfix
(postmap -q / -s, postalias -q / -s) and one built by Postfix is read by
Tern, for hash and btree, for postmap and postalias sources, with the
default key encoding and with -N / -n.
"""
import pytest

from postmap_util import pair, sorted_lines

MAP_SOURCE = (b"user@example.com OK\nExample.NET relay:[mx.example.net]:25\n"
              b"key value with  spaces\n1.2.3.4 REJECT go away\nlast  x\n")
MAP_KEYS = [b"user@example.com", b"USER@EXAMPLE.COM", b"example.net", b"key", b"1.2.3.4",
            b"last", b"missing"]

ALIAS_SOURCE = (b"postmaster: root\nRoot: admin, Bob@Example.COM\n"
                b'list: "|/usr/bin/prog arg", /var/log/file, :include:/etc/list\n'
                b'"with space": x\n')
ALIAS_KEYS = [b"postmaster", b"root", b"ROOT", b"list", b"with space", b"@", b"missing"]


def interop(tmp_path, prog, source, keys, map_type, flags, builder):
    tern, postfix = pair(tmp_path, prog, "myhostname = interop.example\n")
    build_side, read_side = (tern, postfix) if builder == "tern" else (postfix, tern)
    build_side.write("table", source)
    built = build_side.run(*flags, f"{map_type}:table")
    assert built.rc == 0, built
    # The reader gets the builder's .db file, under the same name.
    read_side.write("table.db", open(build_side.path("table.db"), "rb").read())
    batch = b"\n".join(keys) + b"\n"
    for args, stdin in ([["-s"], b""], [["-q", "-"], batch]):
        mine = build_side.run(*flags, *args, f"{map_type}:table", stdin=stdin)
        theirs = read_side.run(*flags, *args, f"{map_type}:table", stdin=stdin)
        assert theirs.rc == mine.rc == 0, (mine, theirs)
        assert theirs.err == b"", theirs
        assert sorted_lines(theirs.out) == sorted_lines(mine.out)
    for key in keys:
        mine = build_side.run(*flags, "-q", key.decode(), f"{map_type}:table")
        theirs = read_side.run(*flags, "-q", key.decode(), f"{map_type}:table")
        assert (theirs.rc, theirs.out) == (mine.rc, mine.out), key
    return build_side, read_side


@pytest.mark.parametrize("builder", ["tern", "postfix"])
@pytest.mark.parametrize("map_type", ["hash", "btree"])
@pytest.mark.parametrize("flags", [[], ["-N"], ["-n"]])
def test_postmap_tables_interoperate(tmp_path, builder, map_type, flags):
    interop(tmp_path, "postmap", MAP_SOURCE, MAP_KEYS, map_type, flags, builder)


@pytest.mark.parametrize("builder", ["tern", "postfix"])
@pytest.mark.parametrize("map_type", ["hash", "btree"])
@pytest.mark.parametrize("flags", [[], ["-N"], ["-n"]])
def test_postalias_tables_interoperate(tmp_path, builder, map_type, flags):
    interop(tmp_path, "postalias", ALIAS_SOURCE, ALIAS_KEYS, map_type, flags, builder)


@pytest.mark.parametrize("builder", ["tern", "postfix"])
def test_updates_of_the_other_programs_table(tmp_path, builder):
    # -i and -d on a table the other program built, then both read it.
    tern, postfix = pair(tmp_path, "postmap")
    build_side, update_side = (tern, postfix) if builder == "tern" else (postfix, tern)
    build_side.write("table", MAP_SOURCE)
    assert build_side.run("table").rc == 0
    update_side.write("table.db", open(build_side.path("table.db"), "rb").read())
    assert update_side.run("-i", "table", stdin=b"New entry\nkey dup\n").rc == 0
    assert update_side.run("-d", "last", "table").rc == 0
    build_side.write("table.db", open(update_side.path("table.db"), "rb").read())
    a, b = build_side.run("-s", "table"), update_side.run("-s", "table")
    assert sorted_lines(a.out) == sorted_lines(b.out)
    assert b"new\tentry" in a.out and b"last\t" not in a.out
