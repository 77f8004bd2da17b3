"""cleanup, the message canonicalization daemon, with real daemons.

Each test starts an instance with master, trivial-rewrite and cleanup (no
qmgr: the queue files are read back from incoming/ and hold/ with postcat
from the build), hands messages to cleanup with tern-test-submit (the
cleanup_clnt library, as pickup and the other clients use it), and checks
the reply, the queue file and the log lines.
"""
import os
import pwd
import re
import subprocess

import pytest

from tern_instance import BIN, TEST_BIN, TernInstance, wait_for

QUEUES = ["maildrop", "incoming", "active", "deferred", "hold", "corrupt", "bounce",
          "defer", "trace", "flush", "saved"]
HOST = "host.example.com"
MASTER_CF = (
    "rewrite unix - - n - - trivial-rewrite\n"
    "cleanup unix n - n - 0 cleanup\n"
)
BASE_CF = {
    "myhostname": HOST,
    "mydomain": "example.com",
    "myorigin": "$myhostname",
    "mydestination": "$myhostname, localhost.$mydomain, localhost",
}


def make_queues(inst):
    owner = pwd.getpwnam(inst.mail_owner)
    for name in QUEUES:
        path = inst.path(name)
        if not os.path.isdir(path):
            os.mkdir(path, 0o700)
        os.chown(path, owner.pw_uid, owner.pw_gid)
    private = inst.path("private")
    if not os.path.isdir(private):
        os.mkdir(private, 0o700)
        os.chown(private, owner.pw_uid, owner.pw_gid)


def start_instance(main_cf=None, master_cf=MASTER_CF, files=None):
    settings = dict(BASE_CF)
    settings.update(main_cf or {})
    inst = TernInstance(master_cf=master_cf, main_cf=settings, daemon_directory=BIN)
    try:
        for name, text in (files or {}).items():
            path = os.path.join(inst.conf_dir, name)
            with open(path, "w") as f:
                f.write(text)
            if name.startswith("hash-"):
                subprocess.run([os.path.join(BIN, "postmap"), "-c", inst.conf_dir,
                                "hash:" + path], check=True, capture_output=True, timeout=30)
        make_queues(inst)
        inst.start()
        assert wait_for(lambda: os.path.exists(inst.path("public", "cleanup")))
    except BaseException:
        inst.cleanup()
        raise
    return inst


@pytest.fixture
def instance_factory():
    made = []

    def make(**kwargs):
        inst = start_instance(**kwargs)
        made.append(inst)
        return inst
    yield make
    for inst in made:
        inst.cleanup()


def submit(inst, message, rcpts, sender="user@example.com", flags=None, attrs=(), raw=False,
           input_bytes=None):
    args = [os.path.join(TEST_BIN, "tern-test-submit"), "-C", inst.queue_dir, "-f", sender]
    if flags is not None:
        args += ["-F", flags]
    for attr in attrs:
        args += ["-a", attr]
    if raw:
        args.append("-r")
    args += list(rcpts)
    data = input_bytes if input_bytes is not None else message.encode()
    proc = subprocess.run(args, input=data, capture_output=True, timeout=30)
    out = proc.stdout.decode(errors="replace").strip()
    return proc.returncode, out


def queue_files(inst, queue):
    found = []
    for root, _dirs, names in os.walk(inst.path(queue)):
        found += [n for n in names if not n.startswith(".")]
    return sorted(found)


def postcat(inst, queue_id, *opts):
    proc = subprocess.run([os.path.join(BIN, "postcat"), "-c", inst.conf_dir, *opts, "-q",
                           queue_id], capture_output=True, timeout=30,
                          env=dict(os.environ, TZ="UTC"))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode(errors="replace")


def content(inst, queue_id):
    """The message (headers and body) of a queued message."""
    return postcat(inst, queue_id, "-h", "-b")


LOCAL = ["rewrite_context=local", "submit_uid=1000", "full_name=Joe User"]


def test_local_submission_gets_received_message_id_date_from(instance_factory):
    inst = instance_factory()
    rc, out = submit(inst, "Subject: hi\n\nbody line\n", ["bob"], sender="joe", attrs=LOCAL)
    assert rc == 0, out
    qid = out
    assert queue_files(inst, "incoming") == [qid]
    text = content(inst, qid)
    lines = text.splitlines()
    assert lines[0] == f"Received: by {HOST} (Tern, from userid 1000)" or \
        re.match(rf"Received: by {HOST} \(\S+, from userid 1000\)$", lines[0]), text
    assert re.match(rf"\tid {qid}; \w\w\w, [ \d]\d \w\w\w \d{{4}} \d\d:\d\d:\d\d [+-]\d{{4}} \(\w+\)$",
                    lines[1]), text
    assert "Subject: hi" in lines
    msgid = [l for l in lines if l.startswith("Message-Id: ")]
    assert len(msgid) == 1 and re.match(rf"Message-Id: <\d{{14}}\.{qid}@{HOST}>$", msgid[0])
    assert any(l.startswith("Date: ") for l in lines)
    assert f"From: Joe User <joe@{HOST}>" in lines
    assert lines[-2:] == ["", "body line"]
    env = postcat(inst, qid, "-e")
    assert f"joe@{HOST}" in env and f"bob@{HOST}" in env
    inst.wait_log(rf"postfix/cleanup\[\d+\]: {qid}: message-id=<\d{{14}}\.{qid}@{HOST}>")


def incoming_or_temp(inst):
    """Every file in incoming and hold, temporary ones included."""
    names = []
    for queue in ("incoming", "hold"):
        for _root, _dirs, files in os.walk(inst.path(queue)):
            names += files
    return names


def test_existing_headers_are_kept_and_return_path_removed(instance_factory):
    inst = instance_factory()
    msg = ("Return-Path: <evil@example.net>\nMessage-ID: <abc@example.org>\n"
           "Date: Tue, 1 Jan 2030 00:00:00 +0000\nFrom: Someone <someone@example.org>\n"
           "To: bob@example.org\nSubject: kept\n\nhello\n")
    rc, qid = submit(inst, msg, ["bob@example.org"], attrs=LOCAL)
    assert rc == 0, qid
    lines = content(inst, qid).splitlines()
    assert not any(l.lower().startswith("return-path:") for l in lines)
    assert "Message-ID: <abc@example.org>" in lines
    assert sum(l.lower().startswith("message-id:") for l in lines) == 1
    assert sum(l.startswith("Date:") for l in lines) == 1
    assert "From: Someone <someone@example.org>" in lines
    assert "To: bob@example.org" in lines
    inst.wait_log(rf"cleanup\[\d+\]: {qid}: message-id=<abc@example.org>$")


def test_remote_context_adds_nothing(instance_factory):
    inst = instance_factory()
    rc, qid = submit(inst, "Subject: remote\nTo: bob\n\nx\n", ["bob@example.org"],
                     attrs=["rewrite_context=remote"])
    assert rc == 0, qid
    lines = content(inst, qid).splitlines()
    assert lines[:3] == ["Subject: remote", "To: bob", ""]
    inst.wait_log(rf"{qid}: message-id=<>$")


def test_undisclosed_recipients_header_and_extract_recipients(instance_factory):
    inst = instance_factory(main_cf={"undisclosed_recipients_header":
                                     "To: undisclosed-recipients:;"})
    rc, qid = submit(inst, "Subject: none\n\nx\n", ["bob"], attrs=LOCAL)
    assert rc == 0, qid
    assert "To: undisclosed-recipients:;" in content(inst, qid).splitlines()
    rc, qid = submit(inst, "To: ann, bob\nCc: carol@example.org\nBcc: dave\nSubject: t\n\nx\n",
                     [], attrs=LOCAL + ["extract_recipients=yes"])
    assert rc == 0, qid
    lines = content(inst, qid).splitlines()
    assert not any(l.startswith("Bcc:") for l in lines)
    assert f"To: ann@{HOST}, bob@{HOST}" in lines
    assert "To: undisclosed-recipients:;" not in lines
    env = postcat(inst, qid, "-e")
    for rcpt in (f"ann@{HOST}", f"bob@{HOST}", "carol@example.org", f"dave@{HOST}"):
        assert f"recipient: {rcpt}" in env, env


def test_duplicate_recipients_removed(instance_factory):
    inst = instance_factory()
    rc, qid = submit(inst, "Subject: d\n\nx\n", ["bob", f"bob@{HOST}", "ann", "bob"],
                     attrs=LOCAL)
    assert rc == 0, qid
    env = postcat(inst, qid, "-e")
    rcpts = [line.split()[1] for line in env.splitlines() if line.startswith("recipient: ")]
    # As Postfix (checked with the oracle): a duplicate is the same address
    # with the same original recipient; "bob" and "bob@HOST" are two.
    assert rcpts.count(f"bob@{HOST}") == 2, env
    assert rcpts.count(f"ann@{HOST}") == 1, env
    assert len(rcpts) == 3, env


def test_no_recipients_refused(instance_factory):
    inst = instance_factory()
    rc, out = submit(inst, "Subject: n\n\nx\n", [], attrs=LOCAL)
    assert rc == 1 and out == "status 32: 5.1.0 no recipients specified"
    assert incoming_or_temp(inst) == []


def maps_instance(instance_factory, main_cf, files):
    """An instance whose main.cf may name tables as @NAME (a file of the conf directory)."""
    inst = instance_factory(files=files)
    settings = {k: v.replace("@", "hash:" + inst.conf_dir + "/") if v.startswith("@") else v
                for k, v in main_cf.items()}
    inst.write_main_cf(settings)
    inst.reload()
    return inst


def test_canonical_virtual_and_masquerade(instance_factory):
    files = {
        "hash-canonical": "joe@host.example.com joe.user@example.com\n",
        "hash-sender": "root@host.example.com admin@example.com\n",
        "hash-recipient": "old@host.example.com new@host.example.com\n",
        "hash-virtual": ("team@example.com ann@example.org, bob@example.org\n"
                         "all@example.com team@example.com, carol@example.org, ann@example.org\n"
                         "self@example.com self@example.com, x@example.org\n"),
    }
    inst = maps_instance(instance_factory, {
        "canonical_maps": "@hash-canonical",
        "sender_canonical_maps": "@hash-sender",
        "recipient_canonical_maps": "@hash-recipient",
        "virtual_alias_maps": "@hash-virtual",
        "masquerade_domains": "example.net",
        "masquerade_exceptions": "keep",
    }, files)
    rc, qid = submit(inst, "From: joe\nTo: old\nCc: u@a.b.example.net, keep@a.example.net\n\nx\n",
                     ["old", "all@example.com", "self@example.com"], sender="joe", attrs=LOCAL)
    assert rc == 0, qid
    env = postcat(inst, qid, "-e")
    assert "sender: joe.user@example.com" in env
    recipients = re.findall(r"^recipient: (\S+)", env, re.M)
    assert sorted(recipients) == sorted([f"new@{HOST}", "ann@example.org", "bob@example.org",
                                         "carol@example.org", "self@example.com",
                                         "x@example.org"]), env
    lines = content(inst, qid).splitlines()
    assert "From: joe.user@example.com" in lines
    assert f"To: new@{HOST}" in lines
    assert "Cc: u@example.net, keep@a.example.net" in lines
    rc, qid = submit(inst, "Subject: s\n\nx\n", ["bob@example.org"], sender="root", attrs=LOCAL)
    assert rc == 0, qid
    assert "sender: admin@example.com" in postcat(inst, qid, "-e")
    # Without CLEANUP_FLAG_MAP_OK nothing is mapped.
    rc, qid = submit(inst, "Subject: s\n\nx\n", ["team@example.com"], sender="joe",
                     attrs=LOCAL, flags="bounce")
    assert rc == 0, qid
    env = postcat(inst, qid, "-e")
    assert f"sender: joe@{HOST}" in env and "recipient: team@example.com" in env


def test_virtual_alias_limits_defer(instance_factory):
    files = {"hash-virtual": "".join(f"l{i}@example.com l{i + 1}@example.com\n"
                                     for i in range(10)) +
             "wide@example.com " + ", ".join(f"w{i}@example.org" for i in range(5)) + "\n"}
    inst = maps_instance(instance_factory, {"virtual_alias_maps": "@hash-virtual",
                                            "virtual_alias_recursion_limit": "3",
                                            "virtual_alias_expansion_limit": "3"}, files)
    rc, out = submit(inst, "Subject: s\n\nx\n", ["l0@example.com"], attrs=LOCAL)
    assert rc == 1 and out.startswith("status 64: 4."), out
    inst.wait_log(r"warning: \w+: unreasonable virtual_alias_maps map nesting for "
                  r"l\d@example.com -- message not accepted, try again later")
    rc, out = submit(inst, "Subject: s\n\nx\n", ["wide@example.com"], attrs=LOCAL)
    assert rc == 1 and out.startswith("status 64: 4."), out
    inst.wait_log(r"warning: \w+: unreasonable virtual_alias_maps map expansion size for "
                  r"wide@example.com -- message not accepted, try again later")
    assert incoming_or_temp(inst) == []


HEADER_CHECKS = """\
/^Subject: reject me/ REJECT
/^Subject: reject text/ REJECT 5.7.0 go away
/^Subject: warn me/ WARN be careful
/^Subject: info me/ INFO noted
/^Subject: discard me/ DISCARD
/^Subject: hold me/ HOLD held for review
/^X-Drop:/ IGNORE
/^X-Before:/ PREPEND X-Added: yes
/^X-Old:/ REPLACE X-New: replaced
/^Subject: redirect me/ REDIRECT other@example.org
/^Subject: filter me/ FILTER smtp:[127.0.0.1]:10025
/^Content-Type: .*evil/ REJECT 5.7.1 bad mime
"""
BODY_CHECKS = """\
/^bad body line/ REJECT
/^drop this line/ IGNORE
/^swap this line/ REPLACE swapped line
"""


def checks_instance(instance_factory, extra=None):
    inst = instance_factory(files={"header_checks": HEADER_CHECKS, "body_checks": BODY_CHECKS})
    settings = {"header_checks": "regexp:" + os.path.join(inst.conf_dir, "header_checks"),
                "body_checks": "regexp:" + os.path.join(inst.conf_dir, "body_checks")}
    settings.update(extra or {})
    inst.write_main_cf(settings)
    inst.reload()
    return inst


def test_header_checks_reject_and_bounce_flag(instance_factory):
    inst = checks_instance(instance_factory)
    rc, out = submit(inst, "Subject: reject me\n\nx\n", ["bob@example.org"], sender="joe",
                     attrs=LOCAL, flags="map_ok,filter")
    assert rc == 1 and out == "status 8: 5.7.1 message content rejected", out
    inst.wait_log(r"cleanup\[\d+\]: \w+: reject: header Subject: reject me from local; "
                  rf"from=<joe@{HOST}> to=<bob@example.org>: 5.7.1 message content rejected$")
    rc, out = submit(inst, "Subject: reject text\n\nx\n", ["bob@example.org"], attrs=LOCAL,
                     flags="map_ok,filter")
    assert out == "status 8: 5.7.0 go away", out
    rc, out = submit(inst, "Subject: m\nContent-Type: text/evil\n\nx\n", ["bob@example.org"],
                     attrs=LOCAL, flags="map_ok,filter")
    assert out == "status 8: 5.7.1 bad mime", out
    assert incoming_or_temp(inst) == []
    # With CLEANUP_FLAG_BOUNCE the message is kept, marked for a bounce.
    rc, qid = submit(inst, "Subject: reject me\n\nx\n", ["bob@example.org"], attrs=LOCAL)
    assert rc == 0, qid
    assert "named_attribute: bounce_reason=5.7.1 message content rejected" in \
        postcat(inst, qid, "-e")


def test_header_checks_other_actions(instance_factory):
    inst = checks_instance(instance_factory)
    msg = ("Subject: warn me\nX-Drop: gone\nX-Before: here\nX-Old: old value\n\n"
           "body\ndrop this line\nswap this line\n")
    rc, qid = submit(inst, msg, ["bob@example.org"], attrs=LOCAL)
    assert rc == 0, qid
    lines = content(inst, qid).splitlines()
    assert not any(l.startswith("X-Drop") for l in lines)
    assert lines.index("X-Added: yes") + 1 == lines.index("X-Before: here")
    assert "X-New: replaced" in lines and "X-Old: old value" not in lines
    assert lines[-2:] == ["body", "swapped line"], lines
    inst.wait_log(rf"{qid}: warning: header Subject: warn me from local; from=<user@example.com> "
                  r"to=<bob@example.org>: be careful$")
    rc, qid = submit(inst, "Subject: info me\n\nx\n", ["bob@example.org"], attrs=LOCAL)
    inst.wait_log(rf"{qid}: info: header Subject: info me from local; .*: noted$")
    rc, qid = submit(inst, "Subject: redirect me\n\nx\n", ["bob@example.org"], attrs=LOCAL)
    assert rc == 0
    assert "redirect_to: other@example.org" in postcat(inst, qid, "-e")
    inst.wait_log(rf"{qid}: redirect: header Subject: redirect me from local; .*: "
                  r"other@example.org$")
    rc, qid = submit(inst, "Subject: filter me\n\nx\n", ["bob@example.org"], attrs=LOCAL)
    assert rc == 0
    assert "content_filter: smtp:[127.0.0.1]:10025" in postcat(inst, qid, "-e")
    inst.wait_log(rf"{qid}: filter: header Subject: filter me from local; .*: "
                  r"smtp:\[127.0.0.1\]:10025$")


def test_header_checks_hold_and_discard(instance_factory):
    inst = checks_instance(instance_factory)
    rc, qid = submit(inst, "Subject: hold me\n\nx\n", ["bob@example.org"], attrs=LOCAL)
    assert rc == 0, qid
    assert queue_files(inst, "hold") == [qid] and queue_files(inst, "incoming") == []
    inst.wait_log(rf"{qid}: hold: header Subject: hold me from local; .*: held for review$")
    rc, qid = submit(inst, "Subject: discard me\n\nx\n", ["bob@example.org"], attrs=LOCAL)
    assert rc == 0, qid
    inst.wait_log(rf"{qid}: discard: header Subject: discard me from local; from=<[^>]*> "
                  r"to=<bob@example.org>$")
    assert queue_files(inst, "incoming") == [] and queue_files(inst, "hold") != [qid]
    # The hold flag of the request.
    rc, qid = submit(inst, "Subject: plain\n\nx\n", ["bob@example.org"], attrs=LOCAL,
                     flags="external,hold")
    assert rc == 0 and qid in queue_files(inst, "hold")


def test_body_checks_reject(instance_factory):
    inst = checks_instance(instance_factory)
    rc, out = submit(inst, "Subject: b\n\nok\nbad body line here\n", ["bob@example.org"],
                     attrs=LOCAL, flags="map_ok,filter")
    assert out == "status 8: 5.7.1 message content rejected", out
    inst.wait_log(r"reject: body bad body line here from local; from=<user@example.com> "
                  r"to=<bob@example.org>: 5.7.1 message content rejected$")


def record(kind, payload=b""):
    return kind + len(payload).to_bytes(4, "big") + payload


def rcpt_record(address):
    raw = address.encode()
    return record(b"R", b"\0\0" + len(raw).to_bytes(4, "big") + raw + b"\0" * 8)


TIME = record(b"T", (1700000000).to_bytes(8, "big") + (0).to_bytes(4, "big"))


@pytest.mark.parametrize("stream, why", [
    (b"\0\0\0\0\0", "record type 0"),
    (TIME + rcpt_record("bob@example.org"), "recipient record before sender record"),
    (TIME + record(b"S") + record(b"M") + record(b"N", b"a\nb"), "newline in line record"),
    (TIME + record(b"S") + record(b"W", b"\0" * 8), "warn record in envelope section"),
    (TIME + record(b"S", b"a") + record(b"X"), "extracted record in envelope section"),
    (TIME + record(b"S", b"a") + record(b"T", b"\0" * 12), "duplicate time record"),
    (TIME + record(b"S") + record(b"R", b"\0\0\0\0"), "recipient record too short"),
    (TIME + record(b"S") + record(b"M") + record(b"N", b"x"), "end of input before the end record"),
    (TIME + record(b"S") + record(b"M") + record(b"E", b"\0\0\0\0"), "end record with a payload"),
    (TIME + record(b"S", b"a") + rcpt_record("b@c") + record(b"Q"), "unknown record in envelope"),
])
def test_malformed_stream_is_refused_without_a_file(instance_factory, stream, why):
    inst = instance_factory()
    rc, out = submit(inst, "", [], raw=True, input_bytes=stream)
    assert rc == 1 and out.startswith("status 1: "), out
    inst.wait_log(r"cleanup\[\d+\]: warning: \w+: .*socket: .*" + re.escape(why))
    assert incoming_or_temp(inst) == []


def test_message_size_limit(instance_factory):
    inst = instance_factory(main_cf={"message_size_limit": "2000"})
    body = "".join(f"line {i:04d} " + "x" * 60 + "\n" for i in range(50))
    rc, out = submit(inst, "Subject: big\n\n" + body, ["bob@example.org"], attrs=LOCAL,
                     flags="map_ok")
    assert rc == 1 and out == "status 4: 5.3.4 message file too big", out
    assert incoming_or_temp(inst) == []
    rc, qid = submit(inst, "Subject: big\n\n" + body, ["bob@example.org"], attrs=LOCAL)
    assert rc == 0, qid
    assert "bounce_reason=5.3.4 message file too big" in postcat(inst, qid, "-e")
    rc, qid = submit(inst, "Subject: small\n\nsmall\n", ["bob@example.org"], attrs=LOCAL)
    assert rc == 0 and "bounce_reason" not in postcat(inst, qid, "-e")


def test_header_size_limit_and_long_lines(instance_factory):
    inst = instance_factory(main_cf={"header_size_limit": "1000"})
    long_value = "y" * 5000
    body_line = "z" * 200000
    rc, qid = submit(inst, f"Subject: {long_value}\nX-Next: n\n\n{body_line}\n",
                     ["bob@example.org"], attrs=LOCAL)
    assert rc == 0, qid
    lines = content(inst, qid).splitlines()
    subject = [l for l in lines if l.startswith("Subject:")]
    assert subject == ["Subject: " + "y" * (1000 - len("Subject: "))]
    assert "X-Next: n" in lines
    assert lines[-1] == body_line


def test_hopcount_limit(instance_factory):
    inst = instance_factory(main_cf={"hopcount_limit": "3"})
    hops = "".join(f"Received: from h{i} by h{i + 1}\n" for i in range(3))
    rc, out = submit(inst, hops + "Subject: loop\n\nx\n", ["bob@example.org"], attrs=LOCAL,
                     flags="map_ok")
    assert rc == 1 and out == "status 16: 5.4.0 too many hops", out
    # The Received: header of the local submission is a hop too, as in Postfix.
    rc, qid = submit(inst, hops.split("\n", 1)[0] + "\nSubject: ok\n\nx\n",
                     ["bob@example.org"], attrs=LOCAL, flags="map_ok")
    assert rc == 0, qid


def test_body_checks_see_pieces_of_long_lines(instance_factory):
    inst = checks_instance(instance_factory, {"body_checks_size_limit": "1000000"})
    rc, out = submit(inst, "Subject: b\n\n" + "x" * 65536 + "bad body line\n",
                     ["bob@example.org"], attrs=LOCAL, flags="map_ok,filter")
    assert out == "status 8: 5.7.1 message content rejected", out
    long_line = "x" * 65536 + "swap this line"
    rc, qid = submit(inst, "Subject: b\n\n" + long_line + "\nend\n", ["bob@example.org"],
                     attrs=LOCAL, flags="map_ok,filter")
    assert rc == 0, qid
    lines = content(inst, qid).splitlines()
    assert lines[-2:] == ["x" * 65536 + "swapped line", "end"]


def test_body_checks_size_limit(instance_factory):
    inst = checks_instance(instance_factory, {"body_checks_size_limit": "100"})
    rc, qid = submit(inst, "Subject: b\n\n" + "y" * 200 + "\nbad body line\n",
                     ["bob@example.org"], attrs=LOCAL, flags="map_ok,filter")
    assert rc == 0, qid


def test_content_filter_applies_with_the_filter_flag(instance_factory):
    inst = instance_factory(main_cf={"content_filter": "scan:[127.0.0.1]:10025"})
    rc, qid = submit(inst, "Subject: f\n\nx\n", ["bob@example.org"], attrs=LOCAL)
    assert rc == 0, qid
    assert "content_filter: scan:[127.0.0.1]:10025" in postcat(inst, qid, "-e")
    rc, qid = submit(inst, "Subject: f\n\nx\n", ["bob@example.org"], attrs=LOCAL,
                     flags="map_ok")
    assert rc == 0, qid
    assert "content_filter" not in postcat(inst, qid, "-e")


def test_bcc_and_return_receipt(instance_factory):
    files = {"hash-sbcc": "joe@host.example.com archive@example.org\n",
             "hash-rbcc": "bob@example.org bobcopy@example.org\n"}
    inst = maps_instance(instance_factory, {"sender_bcc_maps": "@hash-sbcc",
                                            "recipient_bcc_maps": "@hash-rbcc",
                                            "always_bcc": "all@example.org"}, files)
    msg = "Return-Receipt-To: joe\nErrors-To: <errors@example.org>\nSubject: b\n\nx\n"
    rc, qid = submit(inst, msg, ["bob@example.org"], sender="joe", attrs=LOCAL)
    assert rc == 0, qid
    env = postcat(inst, qid, "-e")
    assert sorted(re.findall(r"^recipient: (\S+)", env, re.M)) == sorted(
        ["bob@example.org", "archive@example.org", "bobcopy@example.org", "all@example.org"])
    assert f"joe@{HOST}" in env.split("HEADER EXTRACTED")[1]
    assert "errors@example.org" in env.split("HEADER EXTRACTED")[1]
    # No blind copies without CLEANUP_FLAG_BCC_OK.
    rc, qid = submit(inst, "Subject: b\n\nx\n", ["bob@example.org"], sender="joe", attrs=LOCAL,
                     flags="map_ok")
    assert re.findall(r"^recipient: (\S+)", postcat(inst, qid, "-e"), re.M) == ["bob@example.org"]


def test_ten_thousand_recipients(instance_factory):
    inst = instance_factory()
    rcpts = [f"u{i}@example.org" for i in range(10000)]
    rc, qid = submit(inst, "Subject: many\n\nx\n", rcpts + rcpts[:50], attrs=LOCAL)
    assert rc == 0, qid
    env = postcat(inst, qid, "-e")
    found = re.findall(r"^recipient: (\S+)", env, re.M)
    assert len(found) == 10000 and len(set(found)) == 10000


def test_one_megabyte_header_line(instance_factory):
    inst = instance_factory()
    rc, qid = submit(inst, "Subject: " + "h" * (1 << 20) + "\nTo: bob\n\nbody\n",
                     ["bob@example.org"], attrs=LOCAL)
    assert rc == 0, qid
    lines = content(inst, qid).splitlines()
    subject = [l for l in lines if l.startswith("Subject: ")]
    assert len(subject) == 1 and len(subject[0]) == 102400
    assert f"To: bob@{HOST}" in lines and lines[-1] == "body"


def test_extract_recipients_prefers_resent_headers(instance_factory):
    inst = instance_factory()
    msg = ("To: old@example.org\nResent-To: new@example.org\nResent-Bcc: hidden@example.org\n"
           "Subject: fwd\n\nx\n")
    rc, qid = submit(inst, msg, [], attrs=LOCAL + ["extract_recipients=yes"])
    assert rc == 0, qid
    env = postcat(inst, qid, "-e")
    assert sorted(re.findall(r"^recipient: (\S+)", env, re.M)) == \
        ["hidden@example.org", "new@example.org"]
    lines = content(inst, qid).splitlines()
    assert "Resent-To: new@example.org" in lines and "To: old@example.org" in lines
    assert not any(l.startswith("Resent-Bcc:") for l in lines)


MIME_MESSAGE = """\
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"
Subject: mime

preamble
--outer
Content-Type: text/plain

Content-Type: text/evil in the body is only text
--outer
Content-Type: multipart/alternative;
 boundary=inner

--inner
Content-Type: text/html
X-Part-Drop: yes

<p>hi</p>
--inner--
--outer
Content-Type: application/x-evil; name=x
Content-Transfer-Encoding: base64

AAAA
--outer--
"""


def test_mime_header_checks_see_part_headers(instance_factory):
    inst = instance_factory(files={"mime_checks": "/^Content-Type: text\\/html/ REPLACE "
                                                  "Content-Type: text/plain\n"
                                                  "/^Content-Type: application\\/x-evil/ "
                                                  "REJECT 5.7.1 evil attachment\n"})
    inst.write_main_cf({"mime_header_checks":
                        "regexp:" + os.path.join(inst.conf_dir, "mime_checks")})
    inst.reload()
    rc, out = submit(inst, MIME_MESSAGE, ["bob@example.org"], attrs=LOCAL, flags="map_ok,filter")
    assert out == "status 8: 5.7.1 evil attachment", out
    inst.wait_log(r"reject: header Content-Type: application/x-evil; name=x from local;")
    harmless = MIME_MESSAGE.replace("application/x-evil", "application/pdf")
    rc, qid = submit(inst, harmless, ["bob@example.org"], attrs=LOCAL, flags="map_ok,filter")
    assert rc == 0, qid
    lines = content(inst, qid).splitlines()
    assert "Content-Type: text/html" not in lines
    assert lines.count("Content-Type: text/plain") == 2
    assert "Content-Type: text/evil in the body is only text" in lines
    assert lines[-1] == "--outer--"
