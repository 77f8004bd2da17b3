"""postcat: Tern queue files shown in the layout of Postfix's postcat.

The expected texts use the labels and spacing that Debian's Postfix 3.7
postcat prints for a message with the same envelope (observed with a
temporary Postfix instance: sendmail -N success,delay -R hdrs -V envid,
a deferred and a discarded recipient, delay_warning_time set). Queue
files are written by tern-test-qfile through Tern's qfile writer; the
damaged ones come from tests/data/queue.
"""
import os
import re
import shutil
import subprocess

import pytest

from queue_util import ROOT, QueueDir, binary, qdir  # noqa: F401 (fixture)

CORPUS = os.path.join(ROOT, "tests/data/queue")

MESSAGE = (b"Subject: test one\n"
           b"From: Alice <alice@example.com>\n"
           b"X-Folded: first\n"
           b"\tsecond\n"
           b"\n"
           b"body line 1\n"
           b"Not-A-Header: in the body\n")

RICH_ARGS = ["-t", "1300631508.353025", "-w", "1300635108",
             "-a", "create_time=1300631508", "-a", "rewrite_context=local",
             "-a", "sender_fullname=Alice", "-i", "envid123", "-y", "2",
             "-P", "rr@example.com", "-K", "er@example.com", "-X", "foo=bar",
             "-x", "x@extracted.test"]
RICH_RCPTS = ("bob@remote.test|Bob@Remote.test|rfc822;bob@remote.test|10",
              "done@remote.test|||0|1")


def rich(q, queue="incoming"):
    return q.make(queue, RICH_ARGS, MESSAGE, "alice@example.com", RICH_RCPTS)


def size_line(out):
    return next(line for line in out if line.startswith("message_size:"))


def expected_rich(name, size_fields):
    return [
        f"*** ENVELOPE RECORDS {name} ***",
        size_fields,
        "message_arrival_time: Sun Mar 20 14:31:48 2011",
        "warning_message_time: Sun Mar 20 15:31:48 2011",
        "create_time: Sun Mar 20 14:31:48 2011",
        "named_attribute: rewrite_context=local",
        "sender_fullname: Alice",
        "sender: alice@example.com",
        "named_attribute: envelope_id=envid123",
        "named_attribute: ret_flags=2",
        "named_attribute: notify_flags=10",
        "named_attribute: dsn_orig_rcpt=rfc822;bob@remote.test",
        "original_recipient: Bob@Remote.test",
        "recipient: bob@remote.test",
        "done_recipient: done@remote.test",
        f"*** MESSAGE CONTENTS {name} ***",
        "Subject: test one",
        "From: Alice <alice@example.com>",
        "X-Folded: first",
        "\tsecond",
        "",
        "body line 1",
        "Not-A-Header: in the body",
        f"*** HEADER EXTRACTED {name} ***",
        "return_receipt: rr@example.com",
        "errors_to: er@example.com",
        "named_attribute: foo=bar",
        "recipient: x@extracted.test",
        f"*** MESSAGE FILE END {name} ***",
    ]


def test_default_output_has_postfix_layout(qdir):
    msg_id = rich(qdir)
    res = qdir.run("postcat", "-q", msg_id)
    assert res.rc == 0, res
    assert res.err == ""
    out = res.lines()
    # message_size: six right-aligned 15-wide fields, as Postfix prints them
    fields = size_line(out)
    assert re.fullmatch(r"message_size:( [ \d]{15}){6}", fields), fields
    size, data_offset, nrcpt, _, size2, _ = map(int, fields.split()[1:])
    # The first is the size as Postfix counts it (docs/queue-format.md, "log
    # size": 2 bytes of framing per line instead of a newline), the fifth the
    # message's own size.
    lines = MESSAGE.split(b"\n")[:-1]
    assert size == sum(2 + len(line) for line in lines) and size2 == len(MESSAGE)
    assert nrcpt == 3
    assert out == expected_rich(f"incoming/{msg_id}", fields)
    # the second field is where the message text starts
    with open(qdir.path("incoming", msg_id), "rb") as f:
        data = f.read()
    assert data[data_offset] == ord("N") and data[data_offset + 5:].startswith(b"Subject: test one")


def test_default_equals_beh_and_r_changes_nothing(qdir):
    msg_id = rich(qdir)
    default = qdir.run("postcat", "-q", msg_id)
    assert qdir.run("postcat", "-beh", "-q", msg_id).out == default.out
    assert qdir.run("postcat", "-r", "-q", msg_id).out == default.out


def test_sections(qdir):
    msg_id = rich(qdir)
    name = f"incoming/{msg_id}"
    full = qdir.run("postcat", "-q", msg_id).lines()
    envelope = qdir.run("postcat", "-e", "-q", msg_id).lines()
    assert envelope == [line for line in full
                        if line not in MESSAGE.decode().splitlines()]
    header = qdir.run("postcat", "-h", "-q", msg_id)
    assert header.rc == 0
    assert header.lines() == ["Subject: test one", "From: Alice <alice@example.com>",
                              "X-Folded: first", "\tsecond"]
    body = qdir.run("postcat", "-b", "-q", msg_id)
    assert body.lines() == ["", "body line 1", "Not-A-Header: in the body"]
    both = qdir.run("postcat", "-bh", "-q", msg_id)
    assert both.out == MESSAGE
    env_body = qdir.run("postcat", "-eb", "-q", msg_id).lines()
    assert f"*** MESSAGE CONTENTS {name} ***" in env_body
    assert "Subject: test one" not in env_body and "body line 1" in env_body


def test_offsets_and_decimal_types(qdir):
    msg_id = rich(qdir)
    out = qdir.run("postcat", "-o", "-d", "-q", msg_id).lines()
    with open(qdir.path("incoming", msg_id), "rb") as f:
        data = f.read()
    assert out[0] == f"*** ENVELOPE RECORDS incoming/{msg_id} ***"
    for line in out[1:]:
        m = re.match(r"^( {0,8}\d+) ( {0,2}\d+) ", line)
        assert m, line
        assert len(m.group(1)) == 9 and len(m.group(2)) == 3
        offset, rtype = int(m.group(1)), int(m.group(2))
        assert data[offset] == rtype, line  # the record's type byte is at that offset
    assert re.match(r"^ {8}0  72 message_size:", out[1])
    types = {line[14:].split(":")[0]: int(line[10:13]) for line in out[1:]}
    assert types["message_arrival_time"] == ord("T")
    assert types["warning_message_time"] == ord("W")
    assert types["sender"] == ord("S")
    assert types["recipient"] == ord("R")
    assert types["done_recipient"] == ord("R")
    assert types["*** MESSAGE CONTENTS incoming/" + msg_id + " ***"] == ord("M")
    assert types["*** MESSAGE FILE END incoming/" + msg_id + " ***"] == ord("E")
    offsets_only = qdir.run("postcat", "-o", "-q", msg_id).lines()
    assert re.match(r"^ {8}0 message_size:", offsets_only[1])


def test_long_line_is_joined_unless_offsets_are_shown(qdir):
    long_line = b"X-Long: " + b"a" * 70000
    msg_id = qdir.make("incoming", message=long_line + b"\n\nbody\n")
    plain = qdir.run("postcat", "-h", "-q", msg_id)
    assert plain.out == long_line + b"\n"
    pieces = qdir.run("postcat", "-h", "-o", "-q", msg_id).lines()
    assert len(pieces) == 2  # one line per record: 65536 bytes, then the rest
    assert pieces[0][10:] == (long_line[:65536]).decode()
    assert pieces[1][10:] == (long_line[65536:]).decode()


def test_skip_to_offset(qdir):
    msg_id = rich(qdir)
    full = qdir.run("postcat", "-o", "-q", msg_id).lines()
    rcpt = next(line for line in full if "recipient: bob@remote.test" in line)
    offset = int(rcpt.split()[0])
    res = qdir.run("postcat", "-s", str(offset), "-q", msg_id)
    assert res.rc == 0, res
    out = res.lines()
    assert out[0] == "named_attribute: notify_flags=10"
    assert out[-1] == f"*** MESSAGE FILE END incoming/{msg_id} ***"
    assert not any("ENVELOPE RECORDS" in line for line in out)
    # in the body already: -h shows nothing, -b shows the rest of the body
    body = next(line for line in full if line.endswith(" body line 1"))
    assert qdir.run("postcat", "-h", "-s", body.split()[0], "-q", msg_id).out == b""
    assert qdir.run("postcat", "-b", "-s", body.split()[0], "-q", msg_id).lines() == [
        "body line 1", "Not-A-Header: in the body"]
    bad = qdir.run("postcat", "-s", str(offset + 1), "-q", msg_id)
    assert bad.rc == 1
    assert f"warning: incoming/{msg_id}: offset {offset + 1}: no record starts there" in bad.err
    assert "bad offset: x" in qdir.run("postcat", "-s", "x", "-q", msg_id).err


def test_files_and_standard_input(qdir):
    msg_id = rich(qdir)
    path = qdir.path("incoming", msg_id)
    by_path = qdir.run("postcat", path)
    assert by_path.rc == 0 and by_path.lines()[0] == f"*** ENVELOPE RECORDS {path} ***"
    with open(path, "rb") as f:
        data = f.read()
    from_stdin = qdir.run("postcat", stdin=data)  # a pipe: copied to a temporary file
    assert from_stdin.rc == 0, from_stdin
    assert from_stdin.lines()[0] == "*** ENVELOPE RECORDS stdin ***"
    assert from_stdin.out == by_path.out.replace(path.encode(), b"stdin")
    with open(path, "rb") as f:
        proc = subprocess.run([binary("postcat"), "-c", qdir.etc], stdin=f, capture_output=True,
                              env=qdir.env(), timeout=30)
    assert proc.returncode == 0 and proc.stdout == from_stdin.out


def test_queue_search_names_the_queue(qdir):
    held = qdir.make("hold")
    deferred = qdir.make("deferred")
    assert qdir.run("postcat", "-e", "-q", held).lines()[0] == \
        f"*** ENVELOPE RECORDS hold/{held} ***"
    assert qdir.run("postcat", "-e", "-q", deferred).lines()[0] == \
        f"*** ENVELOPE RECORDS deferred/{deferred[0]}/{deferred} ***"
    os.rename(qdir.path("hold", held), os.path.join(qdir.queue, "corrupt", held))
    assert qdir.run("postcat", "-e", "-q", held).lines()[0] == \
        f"*** ENVELOPE RECORDS corrupt/{held} ***"


def test_missing_and_bad_ids_are_fatal(qdir):
    res = qdir.run("postcat", "-q", "ABCDEF123")
    assert res.rc == 1
    assert res.errors(binary("postcat")) == [
        "fatal: open queue file ABCDEF123: No such file or directory"]
    res = qdir.run("postcat", "-q", "../x")
    assert res.rc == 1 and res.errors(binary("postcat")) == ["fatal: bad mail queue ID: ../x"]
    res = qdir.run("postcat", os.path.join(qdir.top, "nonexistent"))
    assert res.rc == 1 and "fatal: open " in res.err
    res = qdir.run("postcat", "-x")
    assert res.rc == 1 and "fatal: usage: " in res.err


def corpus():
    with open(os.path.join(CORPUS, "MANIFEST")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, phrase = line.rstrip("\n").split("\t")
            yield name, None if phrase == "-" else phrase


@pytest.mark.parametrize("name,phrase", list(corpus()))
def test_broken_file_corpus(qdir, name, phrase):
    path = os.path.join(CORPUS, name)
    res = qdir.run("postcat", path)
    assert res.rc in (0, 1), res  # never a crash
    if phrase is None:
        assert res.rc == 0 and res.err == ""
        assert res.lines()[-1] == f"*** MESSAGE FILE END {path} ***"
        return
    assert res.rc == 1, res
    lines = res.errors(binary("postcat"))
    assert len(lines) == 1, res
    assert (lines[0] == f"warning: {path}: input is not a valid queue file"
            or (lines[0].startswith(f"warning: {path}: ") and phrase in lines[0])), lines


def test_damaged_file_is_shown_as_far_as_it_goes(qdir):
    good = os.path.join(CORPUS, "good-full.qf")
    checksum = os.path.join(CORPUS, "bad-checksum.qf")
    truncated = os.path.join(CORPUS, "bad-truncated-middle.qf")
    shown = qdir.run("postcat", checksum)
    assert shown.rc == 1
    assert shown.lines()[-1] == f"*** MESSAGE FILE END {checksum} ***"
    assert "checksum mismatch" in shown.err
    cut = qdir.run("postcat", truncated)
    assert cut.rc == 1 and "truncated" in cut.err
    assert cut.lines()[0] == f"*** ENVELOPE RECORDS {truncated} ***"
    assert not any("MESSAGE FILE END" in line for line in cut.lines())
    # a bad file among good ones: the good ones are still shown, the status says 1
    many = qdir.run("postcat", "-e", good, truncated, good)
    assert many.rc == 1
    assert many.lines().count(f"*** MESSAGE FILE END {good} ***") == 2


def test_not_a_queue_file(qdir):
    junk = os.path.join(qdir.top, "junk")
    with open(junk, "w") as f:
        f.write("hello\n")
    res = qdir.run("postcat", junk)
    assert res.rc == 1 and res.out == b""
    assert res.errors(binary("postcat")) == [f"warning: {junk}: input is not a valid queue file"]
    res = qdir.run("postcat", stdin=b"")
    assert res.rc == 1
    assert res.errors(binary("postcat")) == ["warning: stdin: input is not a valid queue file"]


def test_null_sender_and_done_marker(qdir):
    msg_id = qdir.make("deferred", sender="", rcpts=("a@x.test|||0|1", "b@x.test"))
    out = qdir.run("postcat", "-e", "-q", msg_id).lines()
    assert "sender: " in out
    assert out.index("done_recipient: a@x.test") < out.index("recipient: b@x.test")
