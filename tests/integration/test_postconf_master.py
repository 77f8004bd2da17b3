"""postconf's master.cf modes (-M, -Mf, -F, -P and the -Me/-MX/-M#, -Fe,
-Pe/-PX edits), compared byte for byte with Debian's Postfix postconf.

Each case writes the same main.cf and master.cf into a temporary config
directory, runs Tern's postconf and /usr/sbin/postconf with -c DIR, and
compares exit status, standard output, standard error (without the program
name prefix) and, for edits, the resulting master.cf. "unused parameter"
and "undefined parameter" warnings are left out of the comparison: they come
from postconf's main.cf checks, not from the master.cf code, and Postfix
prints them in hash order.
"""
import os
import re
import shutil
import subprocess

import pytest

BUILD = os.environ.get("TERN_BUILD", "/work/main/build")
TERN = os.path.join(BUILD, "bin", "postconf")
POSTFIX = "/usr/sbin/postconf"
STOCK_PATH = "/usr/share/postfix/master.cf.dist"

pytestmark = pytest.mark.skipif(
    not os.path.exists(POSTFIX) or not os.path.exists(STOCK_PATH),
    reason="Debian's postfix package (the oracle) is not installed")


def stock():
    with open(STOCK_PATH) as f:
        return f.read()


def clean_stderr(text):
    lines = []
    for line in text.splitlines():
        if "unused parameter" in line or "undefined parameter" in line:
            continue
        lines.append(re.sub(r"^\S*postconf: ", "postconf: ", line))
    return lines


def setup_dir(confdir, master):
    if os.path.exists(confdir):
        shutil.rmtree(confdir)
    os.mkdir(confdir)
    with open(os.path.join(confdir, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\n")
    with open(os.path.join(confdir, "master.cf"), "wb") as f:
        f.write(master.encode())


def run_one(program, confdir, master, args):
    setup_dir(confdir, master)
    proc = subprocess.run([program, "-c", confdir] + args, capture_output=True,
                          timeout=60)
    with open(os.path.join(confdir, "master.cf"), "rb") as f:
        content = f.read()
    return (proc.returncode, proc.stdout.decode(errors="replace"),
            clean_stderr(proc.stderr.decode(errors="replace")), content)


def compare(tmp_path, master, args):
    # The same directory name for both, since messages contain the path.
    confdir = str(tmp_path / "conf")
    expected = run_one(POSTFIX, confdir, master, args)
    actual = run_one(TERN, confdir, master, args)
    assert actual[0] == expected[0], "exit status"
    assert actual[1] == expected[1], "standard output"
    # Tern names file and line in every master.cf error; Postfix only for a bad
    # field count. Compare the rest of the text.
    def strip_location(lines):
        return [re.sub(r"fatal: file \S+/master\.cf: line \d+: (?!bad field count)", "fatal: ",
                       line) for line in lines]

    assert strip_location(actual[2]) == strip_location(expected[2]), "standard error"
    assert actual[3] == expected[3], "master.cf after the command"
    return actual


TRICKY = [
    # -o forms: braces, white space, clusters, values without '=', duplicates
    "smtp inet n - y - - smtpd -v -o {foo=bar} -o { a = b c } -D -o x=y"
    " { arg with  space } -o z=1 plain -o q=r\n",
    "smtp inet n - y - - smtpd -o foo -o =bar -o { } -o foo=a -o foo=b\n",
    "smtp inet n - y - - smtpd -ofoo=bar -o{x=y} -o { a = b } -o {c} -o=x\n",
    "smtp inet n - y - - smtpd -osyslog_name=x -vox -oo -ov end\n",
    "smtp inet n - y - - smtpd -o { x = { y } } -o x2={y z} -o {x3=y}z {a}b\n",
    "a unix - - - - - smtpd - {x y} -o a=b\nb unix - - - - - smtpd -v -- -o a=b\n",
    # continuation lines, comments and blank lines inside an entry, CRLF
    "smtp inet n - y - - smtpd\n  -o a=b\n# comment\n  -o c=d\n  # indented\n\n"
    "  -o e=f\nfoo unix - - - - - x\r\n  -o a=b\r\n",
    # folding boundaries and the short-first-item quirk of -Fh
    "smtp inet n - y - - smtpd -a x -b x -c x -d x -e x -f x -g x -h x -i x\n"
    "relay unix - - - - - smtpd aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd eeeeeeeee"
    " fffffffff ggggggggg hhhhhhhhh iiiiiiiii jjjjjjjjj kkkkkkkkk\n"
    "long unix - - - - - smtpd " + "z" * 90 + " -o { a = b   c }"
    " -o { smtpd_client_restrictions = aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd"
    " eeeeeeeee fffffffff ggggggggg hhhhhhhhh iiiiiiiii }\n"
    "c unix - - - - - x y z\nd unix - - - - - abcd e f\n" + "n" * 60
    + " unix - - - - - " + "x" * 50 + " -o a=b\n",
    # all service types, wakeup and process limit forms, host:port names
    "a fifo - - - - - x\nb pass - - - - - x\nc unix-dgram - - - - - x\n"
    "d unix - - - -? ? x\ne unix - - - 00 007 x\n127.0.0.1:smtp inet n - - - - smtpd\n"
    "[::1]:2525 inet n - - 60? 1 smtpd\nscalemail-backend unix - n n - 2 pipe\n",
]

SHOW_OPTIONS = ["-M", "-Mf", "-F", "-Ff", "-Fh", "-Fhf", "-P", "-Pf", "-Ph"]


@pytest.mark.parametrize("option", SHOW_OPTIONS)
def test_show_stock_master_cf(tmp_path, option):
    result = compare(tmp_path, stock(), [option])
    assert result[0] == 0


@pytest.mark.parametrize("index", range(len(TRICKY)))
@pytest.mark.parametrize("option", ["-M", "-Mf", "-F", "-Ff", "-Fhf", "-P", "-Pf", "-Ph"])
def test_show_tricky_master_cf(tmp_path, index, option):
    compare(tmp_path, TRICKY[index], [option])


@pytest.mark.parametrize("args", [
    ["-M", "smtp"], ["-M", "smtp/inet", "smtp/inet"], ["-M", "*/inet"], ["-M", "relay", "smtp"],
    ["-M", "nosuch"], ["-M", "smtp/bogus"], ["-M", "smtp//inet"], ["-M", "smtp/"], ["-M", "*"],
    ["-F", "smtp/inet/chroot"], ["-F", "*/*/chroot"], ["-F", "relay"], ["-Fh", "smtp/inet/chroot"],
    ["-F", "smtp/inet/chroot", "smtp/inet/chroot", "smtp/inet/type"],
    ["-Ff", "scalemail-backend/unix/command"], ["-F", "smtp//inet//chroot", "--", "-x"],
    ["-P", "relay/unix/syslog_name"], ["-P", "relay"], ["-P", "*/*/syslog_name"],
    ["-P", "relay/unix/nosuch"], ["-P", "smtp"], ["-Ph", "relay/*"],
])
def test_show_patterns(tmp_path, args):
    compare(tmp_path, stock(), args)


@pytest.mark.parametrize("args", [
    ["-M", "sm*"], ["-M", "a/b/c"], ["-M", "/"], ["-F", "smtp/inet/bogus"],
    ["-F", "a/b/c/d"], ["-P", "r*"], ["-Mh"], ["-Md"], ["-Pd"],
])
def test_show_bad_patterns_and_flags(tmp_path, args):
    result = compare(tmp_path, stock(), args)
    assert result[0] == 1


@pytest.mark.parametrize("master,lineno", [
    ("smtp inet n - y - - smtpd\nfoo unix - -\n", 2),        # field count
    ("# c\n\nsmtp inet n -\n  y - -\n", 3),                   # field count, first line
    ("a unix - - - - - x\nfoo bogus - - - - - cmd\n", 2),     # service type
    ("a UNIX - - - - - x\n", 1), ("smtp inet x - y - - smtpd\n", 1),
    ("a unix yes - - - - x\n", 1), ("\nsmtp inet n - y 10x - smtpd\n", 2),
    ("a unix - - - 5?? - x\n", 1), ("a unix - - - - -1 x\n", 1), ("a bogus - -\n  - - - x\n", 1),
])
def test_show_broken_master_cf(tmp_path, master, lineno):
    # Tern names file and line for every master.cf error; Postfix only for a
    # bad field count. The words after the location are Postfix's.
    confdir = str(tmp_path / "conf")
    expected = run_one(POSTFIX, confdir, master, ["-M"])
    actual = run_one(TERN, confdir, master, ["-M"])
    assert actual[0] == expected[0] == 1
    assert actual[1] == expected[1] == ""
    location = "postconf: fatal: file %s/master.cf: line %d: " % (confdir, lineno)
    text = expected[2][-1].replace("postconf: fatal: ", "", 1)
    text = text.replace(location.replace("postconf: fatal: ", ""), "")
    assert actual[2] == [location + text]


def test_show_missing_master_cf(tmp_path):
    confdir = tmp_path / "empty"
    confdir.mkdir()
    outputs = []
    for program in (POSTFIX, TERN):
        proc = subprocess.run([program, "-c", str(confdir), "-M"], capture_output=True, text=True)
        outputs.append((proc.returncode, clean_stderr(proc.stderr)))
    assert outputs[0] == outputs[1]
    assert outputs[1][0] == 1


EDIT_BASE = ("# head\nsmtp inet n - y - - smtpd\n  -o a=b\n# mid comment\n\n  -o c=d\n\n"
             "relay unix - - y - - smtp\n   -o x=y\n# tail\n")
EDIT_B2 = "smtp inet n - y - - smtpd -v arg -o a=b\nrelay unix - - y - - smtp\n"


@pytest.mark.parametrize("master,args", [
    (EDIT_BASE, ["-Pe", "relay/unix/x=z"]), (EDIT_BASE, ["-Pe", "smtp/inet/c=e"]),
    (EDIT_BASE, ["-Pe", "smtp/inet/new=1"]), (EDIT_BASE, ["-PX", "smtp/inet/a"]),
    (EDIT_BASE, ["-Fe", "smtp/inet/chroot=n"]), (EDIT_BASE, ["-MX", "smtp/inet"]),
    (EDIT_BASE, ["-M#", "smtp/inet"]), (EDIT_BASE, ["-MX", "*/inet"]), (EDIT_BASE, ["-M#", "*/*"]),
    (EDIT_BASE, ["-Me", "smtp/inet=smtp inet n - n - 1 postscreen -o z=1"]),
    (EDIT_BASE, ["-Me", "new/unix=new unix - - n - - smtp -o z=1"]),
    (EDIT_BASE, ["-Me", "smtp/inet=relay unix - - n - 1 smtp"]),
    (EDIT_BASE, ["-Me", "foo/unix=relay unix - - n - 1 smtp"]),
    (EDIT_B2, ["-Pe", "nosuch/unix/x=a"]), (EDIT_B2, ["-Pe", "smtp/inet/x=a"]),
    (EDIT_B2, ["-PX", "smtp/inet/a"]), (EDIT_B2, ["-Fe", "smtp/inet/service=foo"]),
    (EDIT_B2, ["-Fe", "smtp/inet/command=smtpd -o {q = r s} -oz=1  x"]),
    (EDIT_B2, ["-Fe", "smtp/inet/type=unix"]), (EDIT_B2, ["-Fe", "relay/unix/private="]),
    (EDIT_B2, ["-Fe", "relay/unix/wakeup=5?"]), (EDIT_B2, ["-Fe", "relay/unix/command={ a b } c"]),
    (EDIT_B2, ["-Pe", "relay/unix/x=1", "relay/unix/y=2", "relay/unix/x=3"]),
    (EDIT_B2, ["-Pe", "relay/unix/b=c=d"]), (EDIT_B2, ["-Pe", "relay/unix//c=1"]),
    (EDIT_B2, ["-Pe", " relay/unix/x = 1 "]), (EDIT_B2, ["-PX", "relay/unix/a", "relay/unix/b"]),
    ("a unix - - - - - x\nb unix - - - - - y", ["-Pe", "a/unix/q=1"]),
    ("a unix - - - - - x\n# comment", ["-Pe", "a/unix/q=1"]),
    ("a unix - - - - - x\n  -o y=z", ["-M#", "a/unix"]),
    ("a unix - - - - - x\n  -o y=z", ["-Me", "c/unix=c unix - - - - - x"]),
    ("a unix - - - - - x\nb unix - - - - - x\n", ["-Me", "d/unix=d unix - - - - - cmd {a}b"]),
    ("", ["-Me", "d/unix=d unix - - - - - cmd"]), ("\n", ["-Pe", "d/unix/a=b"]),
    ("a unix\nb unix - - - - - y\n", ["-Pe", "b/unix/q=1"]),
    (stock(), ["-Pe", "relay/unix/syslog_name=foo"]), (stock(), ["-M#", "maildrop/unix"]),
    (stock(), ["-Fe", "scalemail-backend/unix/process_limit=5"]),
    (stock(), ["-Me", "submission/inet=submission inet n - y - - smtpd"
               " -o syslog_name=postfix/submission -o smtpd_tls_security_level=encrypt"]),
])
def test_edit(tmp_path, master, args):
    result = compare(tmp_path, master, args)
    assert result[0] == 0


@pytest.mark.parametrize("master,args", [
    (EDIT_B2, ["-Pe", "relay/unix/x=a b"]), (EDIT_B2, ["-Pe", "relay/unix/*=a"]),
    (EDIT_B2, ["-PX", "relay/unix/*"]), (EDIT_B2, ["-Fe", "smtp/inet/chroot=x"]),
    (EDIT_B2, ["-Fe", "smtp/inet/*=1"]), (EDIT_B2, ["-Fe", "smtp/inet/wakeup=1 2"]),
    (EDIT_B2, ["-Fe", "relay/unix/process_limit=x"]), (EDIT_B2, ["-Me", "smtp/inet=smtp inet n - y"]),
    (EDIT_B2, ["-Me", "smtp/inet=smtp bogus n - y - - x"]), (EDIT_B2, ["-Me", "smtp=x"]),
    (EDIT_B2, ["-Me", "smtp/inet"]), (EDIT_B2, ["-Pe", "#relay/unix/x=1"]),
    (EDIT_B2, ["-Pe", "relay/unix/=c"]), (EDIT_B2, ["-M#", "relay/unix/x"]),
    ("smtp\nrelay unix - - y - - smtp\n", ["-MX", "relay/unix"]),
    ("smtp=x inet\nrelay unix - - y - - smtp\n", ["-MX", "relay/unix"]),
    ("smtp inet/x\nrelay unix - - y - - smtp\n", ["-MX", "relay/unix"]),
    ("smtp inet n - y\nrelay unix - - y - - smtp\n", ["-Pe", "smtp/inet/x=a"]),
])
def test_edit_refused(tmp_path, master, args):
    result = compare(tmp_path, master, args)
    assert result[0] == 1
    assert result[3] == master.encode()


def test_edit_leaves_no_temporary_file(tmp_path):
    master = "smtp inet n - y\nrelay unix - - y - - smtp\n"
    confdir = str(tmp_path / "conf")
    result = run_one(TERN, confdir, master, ["-Pe", "smtp/inet/x=a"])
    assert result[0] == 1
    assert sorted(os.listdir(confdir)) == ["main.cf", "master.cf"]
    result = run_one(TERN, confdir, "a unix - - - - - x\n", ["-Pe", "a/unix/x=a"])
    assert result[0] == 0
    assert sorted(os.listdir(confdir)) == ["main.cf", "master.cf"]


def test_edit_empty_command_is_refused(tmp_path):
    # Postfix 3.7 crashes here; Tern refuses the edit.
    confdir = str(tmp_path / "conf")
    master = "relay unix - - y - - smtp -o a=b\n"
    rc, out, err, content = run_one(TERN, confdir, master, ["-Fe", "relay/unix/command="])
    assert rc == 1
    assert err == ['postconf: fatal: bad field count: "relay/unix/command="']
    assert content == master.encode()


def test_edit_then_show_round_trip(tmp_path):
    confdir = str(tmp_path / "conf")
    setup_dir(confdir, stock())
    for args in (["-Me", "submission/inet=submission inet n - y - - smtpd"],
                 ["-Pe", "submission/inet/syslog_name=postfix/submission"],
                 ["-Fe", "submission/inet/process_limit=20"]):
        proc = subprocess.run([TERN, "-c", confdir] + args, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([TERN, "-c", confdir, "-Mf", "submission/inet"], capture_output=True,
                          text=True)
    assert proc.stdout == ("submission inet  n       -       y       -       20      smtpd\n"
                           "    -o syslog_name=postfix/submission\n")


def test_default_master_cf_matches_debian(tmp_path):
    # conf/master.cf has our own comments but Debian's services, columns
    # and commands: Postfix itself must see no difference.
    root = os.environ.get("TERN_ROOT",
                          os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    with open(os.path.join(root, "conf", "master.cf")) as f:
        ours = f.read()
    confdir = str(tmp_path / "conf")
    for option, lines in (("-M", 31), ("-F", 31 * 8), ("-P", 1)):
        debian = run_one(POSTFIX, confdir, stock(), [option])
        tern = run_one(POSTFIX, confdir, ours, [option])
        assert tern[:3] == debian[:3]
        assert tern[1].count("\n") == lines
