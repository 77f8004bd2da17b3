"""Logging: every program's records have Postfix's "NAME/PROGRAM[PID]: " shape,
honour syslog_name, and go to maillog_file when it is set (besides stderr)."""
import os
import re
import subprocess

BUILD = os.environ.get("TERN_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
POSTMAP = os.path.join(BUILD, "bin", "postmap")
STAMP = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ "


def make_instance(tmp_path, main_cf):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "main.cf").write_text(main_cf)
    (conf / "master.cf").write_text("")
    (tmp_path / "t").write_text("dup one\ndup two\n")
    return conf


def run_postmap(tmp_path, conf):
    return subprocess.run([POSTMAP, "-c", str(conf), "hash:t"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def test_maillog_file_gets_postfix_shaped_records(tmp_path):
    log = tmp_path / "maillog"
    conf = make_instance(tmp_path, f"maillog_file = {log}\n")
    proc = run_postmap(tmp_path, conf)
    assert proc.returncode == 0
    assert 'warning: t.db: duplicate entry: "dup"' in proc.stderr
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    assert re.fullmatch(STAMP + r'postfix/postmap\[(\d+)\]: warning: t\.db: duplicate entry: "dup"',
                        lines[0]), lines[0]


def test_syslog_name_changes_the_prefix(tmp_path):
    log = tmp_path / "maillog"
    conf = make_instance(tmp_path, f"maillog_file = {log}\nsyslog_name = postfix-out\n")
    run_postmap(tmp_path, conf)
    assert re.fullmatch(STAMP + r"postfix-out/postmap\[\d+\]: warning: .*\n", log.read_text())


def test_syslog_name_with_service_part_keeps_the_program_name(tmp_path):
    log = tmp_path / "maillog"
    conf = make_instance(tmp_path, f"maillog_file = {log}\nsyslog_name = postfix/submission\n")
    run_postmap(tmp_path, conf)
    assert re.fullmatch(STAMP + r"postfix/submission/postmap\[\d+\]: warning: .*\n", log.read_text())


def test_non_printable_bytes_are_logged_as_question_marks(tmp_path):
    log = tmp_path / "maillog"
    conf = make_instance(tmp_path, f"maillog_file = {log}\n")
    (tmp_path / "t").write_bytes(b"k\x01\xff v\nk\x01\xff w\n")
    run_postmap(tmp_path, conf)
    assert log.read_text().endswith('warning: t.db: duplicate entry: "k??"\n')
