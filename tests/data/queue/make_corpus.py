#!/usr/bin/python3
"""Writes the corpus of queue files in this directory: one good file and
many broken ones, each broken in exactly one way, plus MANIFEST, which
lists each file with a phrase that the reason for refusing it must contain
("-" for a file that must be accepted).

This is a second, independent encoder of docs/queue-format.md (the C one is
lib/mail/qfile_write.c): test_qfile checks that the C validator accepts the
good files written here and refuses each broken one for the stated reason.
Later tests copy these files into a queue and check that every reader
quarantines them. Run it again after a format change:

    /usr/bin/python3 tests/data/queue/make_corpus.py
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
HDR = 5  # type byte + 4-byte length
HEADER_SIZE = HDR + 48
MUTABLE = {ord("R"): 1, ord("W"): 8}  # leading payload bytes left out of the checksum


def rec(rtype, payload=b""):
    return (bytes([rtype]) if isinstance(rtype, int) else rtype.encode()) + \
        struct.pack(">I", len(payload)) + payload


def counted(text):
    return struct.pack(">I", len(text)) + text


def rcpt(addr, orig=b"", orcpt=b"", status=0, notify=0):
    return rec("R", bytes([status, notify]) + counted(addr) + counted(orig) + counted(orcpt))


def split_records(data):
    out, pos = [], 0
    while pos < len(data):
        rtype, length = data[pos], struct.unpack(">I", data[pos + 1:pos + 5])[0]
        out.append((pos, rtype, data[pos + 5:pos + 5 + length]))
        pos += 5 + length
    return out


def log_size(length):
    """Postfix's queue file bytes for one line: pieces of at most 2048 bytes, each
    a type byte, a length in 7-bit groups, and the bytes (docs/queue-format.md);
    a line of a multiple of 2048 bytes ends with an empty piece."""
    def piece(n):
        groups = 1
        while n >= 128 << (7 * (groups - 1)):
            groups += 1
        return 1 + groups + n
    return (length // 2048) * piece(2048) + piece(length % 2048)


def build(body_records, header=None, crc=None, end=True, **header_over):
    """Header + records + end record, with every derived field right unless
    a keyword or argument overrides it."""
    body = b"".join(body_records)
    recs = split_records(body)
    fields = dict(magic=b"Tern", version=1, content=0, extracted=0,
                  end_off=HEADER_SIZE + len(body), size=0, rcpts=0, log_size=0)
    running = 0
    line = 0
    for pos, rtype, payload in recs:
        off = HEADER_SIZE + pos
        if rtype == ord("M"):
            fields["content"] = off
        elif rtype == ord("X"):
            fields["extracted"] = off
        elif rtype == ord("R"):
            fields["rcpts"] += 1
        elif rtype == ord("N"):
            fields["size"] += len(payload) + 1
            fields["log_size"] += log_size(line + len(payload))
            line = 0
        elif rtype == ord("L"):
            fields["size"] += len(payload)
            line += len(payload)
        masked = min(MUTABLE.get(rtype, 0), len(payload))
        running = zlib.crc32(bytes([rtype]) + struct.pack(">I", len(payload)), running)
        running = zlib.crc32(bytes(masked) + payload[masked:], running)
    fields.update(header_over)
    if header is None:
        header = rec("H", fields["magic"] + struct.pack(
            ">IQQQQII", fields["version"], fields["content"], fields["extracted"],
            fields["end_off"], fields["size"], fields["rcpts"], fields["log_size"]))
    if crc is None:
        crc = zlib.crc32(header, running)
    return header + body + (rec("E", struct.pack(">I", crc)) if end else b"")


def envelope(extra=()):
    return [rec("T", struct.pack(">QI", 1700000000, 123456)),
            rec("W", struct.pack(">Q", 1700014400)),
            rec("A", b"log_client_name=localhost"),
            rec("A", b"rewrite_context=local"),
            rec("S", b"antonio@example.com"),
            rec("I", b"envid-42"),
            rec("Y", bytes([2])),
            rcpt(b"jose@example.com", b"Jose@Example.COM", b"rfc822;jose@example.com", 0, 6),
            rcpt(b"maria@example.com", status=1),
            *extra]


CONTENT = [rec("M"), rec("N", b"From: antonio@example.com"), rec("N", b"Subject: hi"),
           rec("N", b""), rec("L", b"a long line, first piece; "), rec("N", b"last piece"),
           rec("N", b"bye")]
EXTRACTED = [rec("X"), rcpt(b"bcc@example.com"), rec("P", b"antonio@example.com"),
             rec("K", b"errors@example.com"), rec("A", b"filter=smtp:[127.0.0.1]:10025")]


def good(env_extra=(), content=None, extracted=None):
    return envelope(env_extra) + (CONTENT if content is None else content) + \
        (EXTRACTED if extracted is None else extracted)


def minimal():
    return [rec("T", struct.pack(">QI", 0, 0)), rec("S", b""), rec("M"), rec("X")]


def flip(data, offset):
    return data[:offset] + bytes([data[offset] ^ 0x20]) + data[offset + 1:]


def cases():
    valid = build(good())
    body_off = HEADER_SIZE
    env = envelope()
    yield "good-full.qf", valid, "-"
    yield "good-minimal.qf", build(minimal()), "-"
    yield "good-long-line.qf", build(good(content=[rec("M")] + [rec("L", b"x" * 65536)] * 3 +
                                          [rec("N", b"y")])), "-"
    yield "bad-empty.qf", b"", "truncated"
    yield "bad-not-a-queue-file.qf", b"From antonio@example.com Mon Jan 1 00:00:00 2024\n" \
        b"Subject: hi\n\nbody\n", "not a queue file"
    yield "bad-magic.qf", build(good(), magic=b"Tarn"), "bad magic"
    yield "bad-version.qf", build(good(), version=2), "unsupported queue file version"
    yield "bad-log-size.qf", build(good(), log_size=1), "log size"
    yield "bad-header-length.qf", build(good(), header=rec("H", b"Tern" + bytes(40))), \
        "header record length"
    yield "bad-header-offsets.qf", build(good(), content=10), "header offsets out of order"
    yield "bad-truncated-header.qf", valid[:30], "truncated"
    yield "bad-truncated-middle.qf", valid[:len(valid) // 2], "truncated"
    yield "bad-truncated-end.qf", valid[:-1], "truncated"
    yield "bad-no-end-record.qf", build(good(), end=False), "truncated"
    yield "bad-trailing-data.qf", valid + b"\n", "data after the end record"
    yield "bad-unknown-type.qf", build(good(env_extra=[rec("Q", b"x")])), "unknown record type"
    yield "bad-type-zero.qf", build(good(env_extra=[rec(0, b"x")])), "record type 0"
    huge = rec("T", struct.pack(">QI", 1, 1)) + rec("S") + b"A" + struct.pack(">I", 0x7FFFFFFF)
    yield "bad-length-over-limit.qf", build([huge], end=False, content=HEADER_SIZE,
                                            extracted=HEADER_SIZE + 5,
                                            end_off=HEADER_SIZE + len(huge) - 9), "exceeds limit"
    yield "bad-missing-time.qf", build([r for r in good() if r[:1] != b"T"]), \
        "missing time record"
    yield "bad-missing-sender.qf", build([r for r in good() if r[:1] != b"S" and r[:1] != b"R"]), \
        "missing sender record"
    yield "bad-duplicate-sender.qf", build(good(env_extra=[rec("S", b"x@example.com")])), \
        "duplicate sender record"
    yield "bad-duplicate-time.qf", build(good(env_extra=[rec("T", struct.pack(">QI", 1, 1))])), \
        "duplicate time record"
    yield "bad-duplicate-warn.qf", build(good(env_extra=[rec("W", bytes(8))])), \
        "duplicate warn record"
    yield "bad-rcpt-before-sender.qf", build([env[0], env[7], env[4]] + CONTENT + EXTRACTED), \
        "recipient record before sender record"
    yield "bad-line-in-envelope.qf", build(good(env_extra=[rec("N", b"x")])), \
        "line record in envelope section"
    yield "bad-rcpt-in-content.qf", build(envelope() + CONTENT + [rcpt(b"a@b")] + EXTRACTED), \
        "recipient record in content section"
    yield "bad-second-header.qf", build([rec("H", b"Tern" + bytes(44))] + good()), \
        "header record in envelope section"
    yield "bad-no-content-marker.qf", build(envelope() + EXTRACTED, content=HEADER_SIZE), \
        "extracted record in envelope section"
    yield "bad-rrto-in-envelope.qf", build(good(env_extra=[rec("P", b"a@b")])), \
        "return_receipt record in envelope section"
    yield "bad-unfinished-line.qf", build(envelope() + [rec("M"), rec("L", b"x")] + EXTRACTED), \
        "line_piece record not followed by a line record"
    yield "bad-newline-in-line.qf", build(good(content=[rec("M"), rec("N", b"a\nb")])), \
        "newline inside line record"
    yield "bad-nul-in-sender.qf", build([env[0], rec("S", b"a\0b")] + CONTENT + EXTRACTED), \
        "NUL byte in sender record"
    yield "bad-rcpt-status.qf", build(good(env_extra=[rcpt(b"a@b", status=2)])), \
        "bad recipient status"
    yield "bad-rcpt-notify.qf", build(good(env_extra=[rcpt(b"a@b", notify=3)])), \
        "bad recipient NOTIFY flags"
    yield "bad-rcpt-field-length.qf", build(good(env_extra=[
        rec("R", bytes(2) + struct.pack(">I", 99) + b"a@b" + bytes(8))])), "longer than the record"
    yield "bad-rcpt-short.qf", build(good(env_extra=[rec("R", bytes(5))])), \
        "recipient record too short"
    yield "bad-rcpt-empty-address.qf", build(good(env_extra=[rcpt(b"")])), \
        "empty recipient address"
    yield "bad-rcpt-extra-bytes.qf", build(good(env_extra=[rec("R", rcpt(b"a@b")[5:] + b"zz")])), \
        "extra bytes after the recipient fields"
    yield "bad-rcpt-nul.qf", build(good(env_extra=[rcpt(b"a\0b")])), "NUL byte in recipient"
    yield "bad-attr-no-equals.qf", build(good(env_extra=[rec("A", b"novalue")])), \
        "attribute without '='"
    yield "bad-attr-empty-name.qf", build(good(env_extra=[rec("A", b"=x")])), \
        "attribute without a name"
    yield "bad-attr-name.qf", build(good(env_extra=[rec("A", b"bad name=x")])), \
        "bad character in attribute name"
    yield "bad-dsn-ret.qf", build(good(env_extra=[])[:6] + [rec("Y", bytes([7]))] + good()[7:]), \
        "bad DSN RET value"
    yield "bad-time-length.qf", build([rec("T", bytes(8))] + good()[1:]), "time record length"
    yield "bad-time-usec.qf", build([rec("T", struct.pack(">QI", 1, 1000000))] + good()[1:]), \
        "time record out of range"
    yield "bad-marker-payload.qf", build(envelope() + [rec("M", b"x")] + CONTENT[1:] + EXTRACTED), \
        "message_content record length"
    yield "bad-end-length.qf", build(good(), end=False) + rec("E") + bytes(4), \
        "end record length"
    yield "bad-checksum.qf", flip(valid, len(valid) - 15), "checksum mismatch"
    yield "bad-size-mismatch.qf", build(good(), size=3), "message size"
    yield "bad-rcpt-count.qf", build(good(), rcpts=7), "recipient records, header says 7"
    yield "bad-content-offset.qf", build(good(), content=body_off + 5), \
        "message content at offset"
    yield "bad-extracted-offset.qf", build(good(), extracted=len(valid) - 200), \
        "extracted section at offset"
    yield "bad-header-end-too-small.qf", build(good(), end_off=len(valid) - 9 - 5), \
        "data after the end record"
    yield "bad-header-end-too-large.qf", build(good(), end_off=len(valid) - 9 + 5), "truncated"


def main():
    for name in os.listdir(HERE):
        if name.endswith(".qf"):
            os.unlink(os.path.join(HERE, name))
    lines = []
    for name, data, reason in cases():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        lines.append(f"{name}\t{reason}\n")
    with open(os.path.join(HERE, "MANIFEST"), "w") as f:
        f.write("# file<TAB>phrase the rejection reason must contain (- : must be accepted)\n")
        f.writelines(lines)


if __name__ == "__main__":
    main()
