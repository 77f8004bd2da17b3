"""local(8) features through a whole system (sendmail, pickup, cleanup,
qmgr, local), each run on Tern (MailInstance) and on Debian's Postfix
(PostfixOracle) with the same main.cf and aliases, for a real test user
made with useradd (home under /tmp, removed with userdel -r at the end):
.forward, mailbox_command with its environment, home_mailbox=Maildir/ read
with Python's mailbox.Maildir, aliases to |command and /file, :include:.
Delivered messages are compared after masking queue ids and times."""
import mailbox
import os
import pwd
import re
import shutil
import tempfile

import pytest

from mail_compare import each_system, login_user, mask_text, normalize
from tern_instance import PostfixOracle, wait_for

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")

USER = "terne2e"


@pytest.fixture(scope="module")
def user():
    """A login user with its home in /tmp; removed at teardown."""
    with login_user(USER, "tern-e2e-home-") as (pw, _parent):
        yield pw


@pytest.fixture
def scratch():
    """A world-writable directory for files that commands and aliases write."""
    path = tempfile.mkdtemp(prefix="tern-e2e-scratch-", dir="/tmp")
    os.chmod(path, 0o1777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def clean_home(pw):
    for name in os.listdir(pw.pw_dir):
        if not name.startswith(".") or name in (".forward",):
            path = os.path.join(pw.pw_dir, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)


def write_as(pw, path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, mode)


def forward_both(user):
    """A message to USER whose .forward says "root, \\USER", on both
    systems: (root's copy, USER's copy) normalized, per system."""
    clean_home(user)
    write_as(user, os.path.join(user.pw_dir, ".forward"), f"root, \\{USER}\n")

    def body(system):
        assert system.sendmail("-f", "root", USER, input=b"Subject: fwd\n\nx\n").returncode == 0
        [to_root] = system.wait_mail("root")
        [to_user] = system.wait_mail(USER)
        return normalize(to_root), normalize(to_user)
    return each_system(body)


def test_dotforward_to_another_user_and_self(user):
    ours, theirs = forward_both(user)
    assert ours[1] == theirs[1]  # the copy kept by "\\user"
    assert dict(ours[0][0])["X-Original-To"] == USER
    assert ours[0][1] == theirs[0][1] == "x\n"


def test_forwarded_copy_headers_match_postfix(user):
    ours, theirs = forward_both(user)
    assert ours[0] == theirs[0]


def test_mailbox_command_environment(user, scratch):
    clean_home(user)
    script = os.path.join(scratch, "mbcmd")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nenv | sort > \"$1/env\"\nid -u >> \"$1/env\"\n"
                "cat > \"$1/msg\"\ntouch \"$1/done\"\nexit 0\n")
    os.chmod(script, 0o755)

    def body(system):
        out = scratch
        assert system.sendmail("-f", "root", f"{USER}+ext",
                               input=b"Subject: cmd\n\nx\n").returncode == 0
        env_file = os.path.join(out, "env")
        done = os.path.join(out, "done")
        assert wait_for(lambda: os.path.exists(done), timeout=15), system.log()
        os.unlink(done)
        with open(env_file) as f:
            lines = f.read().splitlines()
        env = dict(line.split("=", 1) for line in lines if "=" in line)
        for name in ("PWD", "SHLVL", "_", "OLDPWD"):
            env.pop(name, None)
        if env.get("MAIL_CONFIG") == system.conf_dir:
            env["MAIL_CONFIG"] = "CONF"
        with open(os.path.join(out, "msg")) as f:
            first = f.readline()
        os.unlink(env_file)
        os.unlink(os.path.join(out, "msg"))
        return env, lines[-1], first.split()[0]
    ours, theirs = each_system(body, {"recipient_delimiter": "+",
                                      "mailbox_command": f"{script} {scratch}"})
    assert ours == theirs
    env, uid, from_ = ours
    assert uid == str(user.pw_uid)
    assert env["USER"] == USER and env["HOME"] == user.pw_dir
    assert env["EXTENSION"] == "ext" and env["RECIPIENT"] == f"{USER}+ext@tern.test"
    assert env["SENDER"] == "root@tern.test" and from_ == "From"


def test_home_maildir(user):
    clean_home(user)

    def body(system):
        for n in range(2):
            assert system.sendmail("-f", "root", USER,
                                   input=f"Subject: md {n}\n\nbody {n}\n".encode()).returncode == 0
        box_path = os.path.join(user.pw_dir, "Maildir")
        assert wait_for(lambda: os.path.isdir(os.path.join(box_path, "new")) and
                        len(os.listdir(os.path.join(box_path, "new"))) == 2, timeout=15)
        for sub in ("new", "cur", "tmp"):
            st = os.stat(os.path.join(box_path, sub))
            assert (st.st_uid, st.st_mode & 0o777) == (user.pw_uid, 0o700), sub
        # The tmp/ name goes just after the new/ link appears.
        assert wait_for(lambda: os.listdir(os.path.join(box_path, "tmp")) == [], timeout=10)
        box = mailbox.Maildir(box_path, factory=None, create=False)
        got = sorted((normalize(m) for m in box), key=repr)
        shutil.rmtree(box_path)
        return got
    ours, theirs = each_system(body, {"home_mailbox": "Maildir/"})
    assert ours == theirs
    assert [dict(h)["Subject"] for h, _ in ours] == ["md 0", "md 1"]


def test_alias_to_command_file_and_include(user, scratch):
    clean_home(user)
    listing = os.path.join(scratch, "list")
    with open(listing, "w") as f:
        f.write(f"root\n{USER}\n")
    os.chmod(listing, 0o644)

    def body(system):
        out = tempfile.mkdtemp(dir=scratch)
        os.chmod(out, 0o777)
        aliases = (f"postmaster: root\npiped: \"|/bin/sh -c 'cat > {out}/piped; id -u >> "
                   f"{out}/piped; touch {out}/piped.done'\"\nfiled: {out}/filed\n"
                   f"included: :include:{listing}\n")
        system.write_aliases(aliases) if hasattr(system, "write_aliases") else None
        if not hasattr(system, "write_aliases"):
            with open(system.aliases, "w") as f:
                f.write(aliases)
            system.run("postalias", system.aliases, check=True)
        for rcpt in ("piped", "filed", "included"):
            assert system.sendmail("-f", "root", rcpt,
                                   input=f"Subject: to {rcpt}\n\nx\n".encode()).returncode == 0
        [inc_root] = system.wait_mail("root")
        [inc_user] = system.wait_mail(USER)
        assert wait_for(lambda: os.path.exists(f"{out}/piped.done") and
                        os.path.exists(f"{out}/filed") and
                        open(f"{out}/filed").read().endswith("\nx\n\n"), timeout=15)
        with open(f"{out}/filed") as f:
            filed = f.read()
        with open(f"{out}/piped") as f:
            piped = f.read()
        from_date = r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}"  # the mbox "From " line
        filed = mask_text(re.sub(from_date, "DATE", filed))
        piped = mask_text(re.sub(from_date, "DATE", piped))
        return normalize(inc_root), normalize(inc_user), filed, piped
    ours, theirs = each_system(body)
    assert ours[0] == theirs[0] and ours[1] == theirs[1]  # :include: copies are forwarded
    assert dict(ours[0][0])["X-Original-To"] == "included"
    assert ours[2] == theirs[2], (ours[2], theirs[2])
    assert ours[3] == theirs[3], (ours[3], theirs[3])
    assert ours[3].endswith(f"\n{pwd.getpwnam('nobody').pw_uid}\n")  # default_privs
    assert ours[2].startswith("From root@tern.test  DATE\n")
