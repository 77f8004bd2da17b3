"""Debian's stock master.cf (conf/master.cf, with its chroot=y services)
on a whole Tern system: the only change is the smtpd listener's address (a
free loopback port instead of *:25, so that tests never collide). Mail must
flow: submission, a delivery, a bounce with its DSN, mailq through showq;
and the services marked chroot=y must really run inside the queue
directory. Services whose programs Tern does not have yet (smtpd, smtp,
tlsmgr, ...) are only warned about by "postfix start"."""
import os
import re

import pytest

from mail_compare import processes
from tern_instance import ROOT, MailInstance, free_port, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def stock_master_cf():
    with open(os.path.join(ROOT, "conf", "master.cf")) as f:
        text = f.read()
    changed = re.sub(r"^smtp(\s+)inet", f"127.0.0.1:{free_port()}\\1inet", text, count=1,
                     flags=re.M)
    assert changed != text
    return changed


@pytest.fixture(scope="module")
def mi():
    inst = MailInstance(master_cf=stock_master_cf())
    try:
        inst.start()
        yield inst
    finally:
        inst.cleanup()


def chroot_of(pid):
    try:
        return os.readlink(f"/proc/{pid}/root")
    except OSError:
        return None


def test_mail_flows_with_stock_master_cf(mi):
    result = mi.sendmail("-f", "root", "root", input=b"Subject: jailed\n\nx\n")
    assert result.returncode == 0, result.stderr
    [msg] = mi.wait_mail("root", timeout=15)
    assert msg["Subject"] == "jailed"
    assert msg["Return-Path"] == "<root@tern.test>"
    # Missing programs are warnings of postfix start, not failures.
    mi.wait_log(r"warning: .*master\.cf: line \d+: service smtp/unix: daemon program "
                r".*/smtp is not installed")


def test_bounce_from_the_jail(mi):
    assert mi.sendmail("-f", "root", "nobody-in-jail",
                       input=b"Subject: lost in jail\n\nx\n").returncode == 0
    dsn = wait_for(lambda: [m for m in mi.mbox("root")
                            if m["Subject"] == "Undelivered Mail Returned to Sender"], timeout=15)
    assert dsn, mi.log()
    text = dsn[0].as_string()
    assert "Final-Recipient: rfc822; nobody-in-jail@tern.test" in text
    assert "Subject: lost in jail" in text


def test_chroot_services_run_in_the_queue_directory(mi):
    mi.sendmail("-f", "root", "root", input=b"Subject: wake\n\nx\n")
    jailed = {"pickup": True, "cleanup": True, "trivial-rewrite": True, "qmgr": False,
              "local": False}
    seen = {}
    for name in jailed:
        pids = wait_for(lambda: processes(mi, name), timeout=10)
        assert pids, f"no {name} process"
        seen[name] = chroot_of(pids[0])
    for name, chrooted in jailed.items():
        want = os.path.realpath(mi.queue_dir) if chrooted else "/"
        assert seen[name] == want, (name, seen)


def test_mailq_through_chrooted_showq(mi):
    assert wait_for(lambda: mi.run("mailq").stdout == b"Mail queue is empty\n", timeout=10), \
        mi.run("mailq").stdout
    pids = wait_for(lambda: processes(mi, "showq"), timeout=5)
    assert pids and chroot_of(pids[0]) == os.path.realpath(mi.queue_dir)
