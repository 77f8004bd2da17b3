"""The message size of qmgr's "from=<...>, size=N" line (and mailq's size
column), side by side with Debian's Postfix (PostfixOracle).

Postfix's size is the bytes its queue file gives the content: each line in
pieces of at most 2048 bytes, each piece a type byte, a length of 7 bits per
byte, and the bytes (docs/queue-format.md, "log size"). The two systems'
stored messages differ a little (queue ids, the product name in Received:),
so the test checks that rule twice: against Postfix's own size= lines and
the messages it delivered, and against Tern's. Log summaries (pflogsumm's
byte counts) then add up the same way for both."""
import os
import re
import sys
import time

import pytest

from tern_instance import ROOT, MailInstance, PostfixOracle

sys.path.insert(0, os.path.join(ROOT, "tests", "data", "queue"))
from make_corpus import log_size as postfix_line_size  # noqa: E402  (one encoder of the rule)

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")

MESSAGES = [
    b"Subject: short\n\nhello\n",
    b"Subject: medium\n\n" + b"a" * 200 + b"\n",
    b"Subject: long\n\n" + b"b" * 3000 + b"\n",
    b"Subject: edges\n\n" + b"c" * 127 + b"\n" + b"d" * 128 + b"\n" + b"\n" * 5,
    b"Subject: very long\n\n" + b"e" * 20000 + b"\n" + b"f" * 4096 + b"\n" + b"g" * 2048 + b"\n",
]
LOCAL_HEADERS = (b"Return-Path:", b"X-Original-To:", b"Delivered-To:")


def stored_lines(delivered):
    """The message as the queue held it: the mbox copy without the From_
    line, local's own headers, the >From quoting and the separator line."""
    lines = delivered.split(b"\n")
    assert lines[-2:] == [b"", b""]  # the last newline and the separator line
    lines = lines[:-2]
    lines = [line for line in lines if not line.startswith(LOCAL_HEADERS)]
    return [line[1:] if re.match(rb">+From ", line) else line for line in lines]


def sizes_and_rule(system):
    for message in MESSAGES:
        assert system.sendmail("-f", "root", "root", input=message).returncode == 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        logged = re.findall(r"qmgr\[\d+\]: \w+: from=<root@tern.test>, size=(\d+)", system.log())
        if len(logged) >= len(MESSAGES) and len(system.mbox("root")) >= len(MESSAGES):
            break
        time.sleep(0.1)
    with open(system.mailbox_path("root"), "rb") as f:
        parts = [p for p in re.split(rb"(?m)^From [^\n]*\n", f.read()) if p]
    assert len(parts) == len(logged) == len(MESSAGES)
    ruled = [sum(postfix_line_size(len(line)) for line in stored_lines(p)) for p in parts]
    return [int(s) for s in logged], ruled


def test_size_is_counted_as_postfix_counts_it():
    with PostfixOracle() as oracle:
        oracle.start()
        theirs, their_rule = sizes_and_rule(oracle)
    with MailInstance() as tern:
        tern.start()
        ours, our_rule = sizes_and_rule(tern)
    assert theirs == their_rule  # the rule is Postfix's
    assert ours == our_rule  # and Tern follows it
    # The stored messages differ only by a few bytes of ids and names (the
    # deliveries may come in another order).
    assert all(abs(a - b) < 16 for a, b in zip(sorted(ours), sorted(theirs))), (ours, theirs)
