"""Logging: every program's records have Postfix's "NAME/PROGRAM[PID]: " shape,
honour syslog_name, and, when maillog_file is set, go to the postlogd service
($queue_directory/public/postlog, bound here by the test in postlogd's place)
besides stderr, as in Postfix. Without postlogd the records are dropped (postmap
never writes maillog_file itself), and a maillog_file outside
maillog_file_prefixes is fatal with Postfix's words (Debian's postmap is the
oracle for both)."""
import os
import re
import socket
import subprocess

import pytest

BUILD = os.environ.get("TERN_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
POSTMAP = os.path.join(BUILD, "bin", "postmap")
ORACLE = "/usr/sbin/postmap"
STAMP = r"[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ "


def make_instance(tmp_path, main_cf, prefixes=True):
    conf = tmp_path / "conf"
    conf.mkdir()
    queue = tmp_path / "queue"
    (queue / "public").mkdir(parents=True)
    head = f"queue_directory = {queue}\n"
    if prefixes:
        head += f"maillog_file_prefixes = {tmp_path}\n"
    (conf / "main.cf").write_text(head + main_cf)
    (conf / "master.cf").write_text("")
    (tmp_path / "t").write_text("dup one\ndup two\n")
    return conf


def postlog_socket(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "queue" / "public" / "postlog"))
    sock.settimeout(5)
    return sock


def run_postmap(tmp_path, conf, program=POSTMAP):
    return subprocess.run([program, "-c", str(conf), "hash:t"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def one_record(tmp_path, conf):
    with postlog_socket(tmp_path) as sock:
        proc = run_postmap(tmp_path, conf)
        return proc, sock.recv(65536).decode()


def test_maillog_file_gets_postfix_shaped_records(tmp_path):
    log = tmp_path / "maillog"
    conf = make_instance(tmp_path, f"maillog_file = {log}\n")
    proc, rec = one_record(tmp_path, conf)
    assert proc.returncode == 0
    assert proc.stderr == 'postmap: warning: t.db: duplicate entry: "dup"\n'
    assert re.fullmatch(STAMP + r'postfix/postmap\[(\d+)\]: warning: t\.db: duplicate entry: "dup"',
                        rec), rec
    assert not log.exists()  # postlogd writes the file, not postmap


def test_syslog_name_changes_the_prefix(tmp_path):
    log = tmp_path / "maillog"
    conf = make_instance(tmp_path, f"maillog_file = {log}\nsyslog_name = postfix-out\n")
    assert re.fullmatch(STAMP + r"postfix-out/postmap\[\d+\]: warning: .*",
                        one_record(tmp_path, conf)[1])


def test_syslog_name_with_service_part_keeps_the_program_name(tmp_path):
    log = tmp_path / "maillog"
    conf = make_instance(tmp_path, f"maillog_file = {log}\nsyslog_name = postfix/submission\n")
    assert re.fullmatch(STAMP + r"postfix/submission/postmap\[\d+\]: warning: .*",
                        one_record(tmp_path, conf)[1])


def test_non_printable_bytes_are_logged_as_question_marks(tmp_path):
    log = tmp_path / "maillog"
    conf = make_instance(tmp_path, f"maillog_file = {log}\n")
    (tmp_path / "t").write_bytes(b"k\x01\xff v\nk\x01\xff w\n")
    assert one_record(tmp_path, conf)[1].endswith('warning: t.db: duplicate entry: "k??"')


def test_host_is_the_first_label_of_myhostname(tmp_path):
    conf = make_instance(tmp_path, f"maillog_file = {tmp_path}/maillog\n"
                                   "myhostname = relay3.example.net\n")
    assert re.fullmatch(r"\S+ \d\d \S+ relay3 postfix/postmap\[\d+\]: warning: .*",
                        one_record(tmp_path, conf)[1])


@pytest.mark.skipif(not os.access(ORACLE, os.X_OK), reason="no Debian postmap")
def test_without_postlogd_nothing_is_written_like_postfix(tmp_path):
    log = tmp_path / "maillog"
    conf = make_instance(tmp_path, f"maillog_file = {log}\n")
    ours = run_postmap(tmp_path, conf)
    theirs = run_postmap(tmp_path, conf, ORACLE)
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr) == (
        0, 'postmap: warning: t.db: duplicate entry: "dup"\n')
    assert not log.exists()


@pytest.mark.skipif(not os.access(ORACLE, os.X_OK), reason="no Debian postmap")
def test_maillog_file_outside_the_prefixes_is_fatal_like_postfix(tmp_path):
    log = tmp_path / "maillog"
    conf = make_instance(tmp_path, f"maillog_file = {log}\n", prefixes=False)
    ours = run_postmap(tmp_path, conf)
    theirs = run_postmap(tmp_path, conf, ORACLE)
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr) == (
        1, f"postmap: fatal: maillog_file value '{log}' does not match any prefix in "
           "maillog_file_prefixes\n")
    assert not (tmp_path / "t.db").exists() and not log.exists()
