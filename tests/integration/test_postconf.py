"""postconf: differential tests against Debian's Postfix postconf.

Both programs run with -c on the same temporary configuration directories;
stdout, the set of stderr lines (program name removed) and the exit status
must be equal, and edited main.cf files must be byte-for-byte equal.

Intentional differences are listed in INTENTIONAL: Tern's name, version and
release date, the compiled-in directories of this build, and the process
id. Tests that print expanded values pin those parameters in main.cf so
that whole outputs can still be compared. Known, deliberate deviations
from Postfix 3.7 (each a Postfix bug) have their own tests at the end.
"""
import os
import re
import shutil
import subprocess

import pytest

BUILD = os.environ.get("TERN_BUILD", "/work/main/build")
TERN = os.path.join(BUILD, "bin", "postconf")
POSTFIX = "/usr/sbin/postconf"

pytestmark = pytest.mark.skipif(not os.access(POSTFIX, os.X_OK),
                                reason="Debian's postconf (the oracle) is not installed")

# Parameters whose defaults differ on purpose.
INTENTIONAL = {
    "mail_name",           # Tern
    "mail_version",        # Tern's version
    "mail_release_date",   # Tern's release date
    "process_id",          # a different process
    # Compiled-in paths of this build (Debian's postfix package uses others).
    "command_directory", "daemon_directory", "config_directory", "queue_directory",
    "data_directory", "meta_directory", "shlib_directory", "sample_directory",
    "sendmail_path", "newaliases_path", "mailq_path", "manpage_directory",
    "html_directory", "readme_directory",
}

# main.cf lines that make the intentional differences disappear.
PINNED = "".join(f"{name} = pinned-{name}\n" for name in sorted(INTENTIONAL - {"process_id"}))

MASTER_CF = """\
# A master.cf in the shape of Debian's.
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_client_restrictions=$mua_client_restrictions
  -o milter_macro_daemon_name=ORIGINATING
  -o mystuff=$foo
  -o cls=1
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       y       -       -       trivial-rewrite
bounce    unix  -       -       y       -       0       bounce
defer     unix  -       -       y       -       0       bounce
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
error     unix  -       -       y       -       -       error
retry     unix  -       -       y       -       -       error
discard   unix  -       -       y       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       y       -       -       lmtp
maildrop  unix  -       n       n       -       -       pipe
  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}
policy    unix  -       n       n       -       0       spawn
  user=nobody argv=/usr/bin/perl /usr/lib/policyd.pl
"""

MAIN_CF = """\
# A main.cf with the usual Debian settings and some tricky lines.
smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
compatibility_level = 3.6
myhostname = mx.example.com
mydestination = $myhostname,
    localhost.$mydomain,
  # a comment inside a continued value
    localhost
relayhost =   [smtp.example.net]:587
mynetworks = 127.0.0.0/8 [::1]/128
foo = bar
smtpd_restriction_classes = class_a, class_b
class_a = permit
unused_one = 1
virtual_maps = hash:/etc/postfix/virtual
myorigin = ${foo?{$mydomain}:{$myhostname}}
mailbox_command = procmail -a "$EXTENSION"
process_id = 7
undef_ref = $not_defined_anywhere
"""


def run(binary, config_dir, *args, env=None):
    proc = subprocess.run([binary, "-c", str(config_dir), *args], capture_output=True,
                          text=True, errors="replace", env=env, timeout=60)
    err = re.sub(r"^\S*postconf: ", "postconf: ", proc.stderr, flags=re.M)
    return proc.returncode, proc.stdout, err


def both(config_dir, *args):
    return run(POSTFIX, config_dir, *args), run(TERN, config_dir, *args)


def err_set(text):
    return sorted(set(line for line in text.splitlines() if line))


def assert_same(config_dir, *args, drop=()):
    """Equal stdout (minus lines of params in drop), stderr lines, status."""
    (prc, pout, perr), (trc, tout, terr) = both(config_dir, *args)

    def keep(out):
        return [line for line in out.splitlines(True)
                if line.split(" =", 1)[0] not in set(drop) | {"process_id"}]

    assert keep(tout) == keep(pout), f"stdout differs for postconf {' '.join(args)}"
    assert err_set(terr) == err_set(perr), f"stderr differs for postconf {' '.join(args)}"
    assert trc == prc
    return tout, terr, trc


def make_dir(tmp_path, name, main_cf=None, master_cf=None):
    path = tmp_path / name
    path.mkdir()
    if main_cf is not None:
        (path / "main.cf").write_text(main_cf)
    if master_cf is not None:
        (path / "master.cf").write_text(master_cf)
    return path


def parse_listing(text):
    result = {}
    for line in text.splitlines():
        name, _, value = line.partition(" =")
        result[name] = value.lstrip(" ")
    return result


def references(value):
    return set(re.findall(r"\$[{(]?\s*([A-Za-z0-9_]+)", value))


# ---------------------------------------------------------------- defaults


def test_defaults_equal_except_intentional(tmp_path):
    conf = make_dir(tmp_path, "empty", "")
    (prc, pout, perr), (trc, tout, terr) = both(conf, "-d")
    pdefs, tdefs = parse_listing(pout), parse_listing(tout)
    assert sorted(tdefs) == sorted(pdefs)  # the same parameter names
    for name, value in pdefs.items():
        if name not in INTENTIONAL:
            assert tdefs[name] == value, name
    assert tdefs["mail_name"] == "Tern"
    assert err_set(terr) == err_set(perr)  # the missing master.cf warning
    assert trc == prc == 0


def test_defaults_one_by_one(tmp_path):
    """postconf -d NAME for every parameter, in one invocation."""
    conf = make_dir(tmp_path, "empty", "")
    names = sorted(parse_listing(run(POSTFIX, conf, "-d")[1]))
    assert len(names) > 800
    assert_same(conf, "-d", *names, drop=INTENTIONAL)


def test_expanded_defaults(tmp_path):
    conf = make_dir(tmp_path, "empty", "")
    pdefs = parse_listing(run(POSTFIX, conf, "-d")[1])
    tainted = set(INTENTIONAL)
    changed = True
    while changed:  # parameters whose default refers to a tainted one
        changed = False
        for name, value in pdefs.items():
            if name not in tainted and references(value) & tainted:
                tainted.add(name)
                changed = True
    assert_same(conf, "-dx", drop=tainted)


def test_service_parameters_from_master_cf(tmp_path):
    conf = make_dir(tmp_path, "svc", "", MASTER_CF)
    out, _, _ = assert_same(conf, "-d", drop=INTENTIONAL)
    listing = parse_listing(out)
    assert listing["relay_destination_concurrency_limit"] == \
        "$default_destination_concurrency_limit"
    assert listing["maildrop_time_limit"] == "$command_time_limit"
    assert listing["policy_time_limit"] == "$command_time_limit"
    assert "discard_recipient_limit" not in listing
    assert_same(conf, "-d", "-C", "service")
    assert_same(conf, "-dx", "relay_destination_concurrency_limit", "policy_time_limit")


# ------------------------------------------------------------ main.cf output


@pytest.fixture
def debian_like(tmp_path):
    return make_dir(tmp_path, "deb", PINNED + MAIN_CF, MASTER_CF)


@pytest.mark.parametrize("args", [
    ("-n",), (), ("-x",), ("-nx",), ("-nf",), ("-f",), ("-nh",), ("-nH",),
    ("-C", "user"), ("-C", "builtin,service"), ("-C", "all", "-n"),
    ("-h", "myorigin", "relayhost", "mydestination"),
    ("-x", "myorigin", "mydestination", "smtpd_banner", "mailbox_command"),
    ("-hx", "mynetworks_style", "relay_domains", "smtpd_relay_restrictions"),
    ("nosuch", "myhostname", "other_unknown"),
    ("-n", "nosuch", "relayhost", "mynetworks"),
    ("-o", "relayhost=[other]", "-o", "brand_new=1", "-n"),
    ("-o", "process_name=x", "-n"),
    ("-f", "mydestination", "smtpd_relay_restrictions", "import_environment"),
])
def test_main_cf_output(debian_like, args):
    assert_same(debian_like, *args)


def test_warnings_about_unused_and_undefined(debian_like):
    _, err, rc = assert_same(debian_like, "-n")
    base = str(debian_like)
    assert f"postconf: warning: {base}/main.cf: unused parameter: unused_one=1" in err
    assert f"postconf: warning: {base}/main.cf: undefined parameter: class_b" in err
    assert f"postconf: warning: {base}/main.cf: undefined parameter: not_defined_anywhere" in err
    assert f"postconf: warning: {base}/main.cf: read-only parameter assignment: process_id=7" \
        in err
    assert f"postconf: warning: {base}/master.cf: unused parameter: mystuff=$foo" in err
    assert f"postconf: warning: {base}/master.cf: undefined parameter: mua_client_restrictions" \
        in err
    assert rc == 0


def test_unknown_parameter_names(tmp_path):
    conf = make_dir(tmp_path, "unknown", "", "")
    out, err, rc = assert_same(conf, "no_such_thing", "relayhost")
    assert out == "relayhost =\n"
    assert "postconf: warning: no_such_thing: unknown parameter" in err
    assert rc == 0


def test_continuation_and_later_wins(tmp_path):
    text = ("foo\n = bar\nmyhostname=x.y.z\n  cont\n# comment\nmydomain   =   a.b   \n"
            "relayhost = one\nrelayhost = two\nmessage_size_limit = abc\n")
    conf = make_dir(tmp_path, "cont", text)
    (prc, pout, perr), (trc, tout, terr) = both(conf, "-n")
    assert tout == pout and trc == prc == 0
    assert "myhostname = x.y.z cont\n" in tout
    assert "relayhost = two\n" in tout
    # Postfix 3.7 reads main.cf several times and repeats the duplicate
    # warning for each read; Tern reads it once.
    assert f"{conf}/main.cf, line 8: overriding earlier entry: relayhost=one" in terr
    assert set(err_set(terr)) <= set(err_set(perr))
    assert_same(conf, "-x", "myhostname", "mydomain")


@pytest.mark.parametrize("value", [
    "$myhostname ${myhostname} $(mydomain) ${nothere?yes} ${nothere:no} $$ x",
    "${mydomain?{Y}:{N}} ${nosuch?{Y}:{N}} ${nosuch:{Y}} ${ mydomain } ${mydomain ? a}",
    "${{a}<{b}} ${{10}<{9}} ${{abc}<{b}} ${{3.10} <level {3.9}} ${{3.6} >=level {2}}",
    "${{$compatibility_level} <level {3.6} ? {old} : {new}}",
])
def test_expansion_forms(tmp_path, value):
    conf = make_dir(tmp_path, "expr", f"compatibility_level = 3.6\nmyorigin = {value}\n", "")
    assert_same(conf, "-xh", "myorigin")


@pytest.mark.parametrize("value", [
    "${{a} ~~ {b}}", "${{a} == b}", "${{a} == {b} x}", "${{a} == {b} ? {c} x}",
    "${{a} == {b} ? {c} : {d} x}", "${{a} == {b}", "${na me}", "x$", "${}x",
    "$(mydomain", "${myd(omain}", "${{x} <level {3}}", "${{a} ==x {b}}",
])
def test_expansion_errors_are_fatal(tmp_path, value):
    conf = make_dir(tmp_path, "bad", f"myorigin = {value}\n", "")
    _, err, rc = assert_same(conf, "myorigin")
    assert "postconf: fatal: macro processing error" in err
    assert rc == 1


def test_recursion_limit(tmp_path):
    conf = make_dir(tmp_path, "loop", "myorigin = $mydestination\nmydestination = $myorigin\n",
                    "")
    (prc, pout, perr), (trc, tout, terr) = both(conf, "-x", "myorigin")
    assert trc == prc == 1
    assert tout == pout == ""
    # Which of the two names hits the limit depends on the scan order.
    assert "unreasonable macro call nesting" in terr
    assert "postconf: fatal: macro processing error" in terr


# ------------------------------------------------------------------ errors


def test_missing_main_cf(tmp_path):
    _, err, rc = assert_same(tmp_path / "nonexistent", "-n")
    assert f"fatal: open {tmp_path}/nonexistent/main.cf: No such file or directory" in err
    assert rc == 1
    assert_same(tmp_path / "nonexistent", "-d", "mail_owner")


@pytest.mark.parametrize("text", ["a = 1\nbad name = 3\n", "= 3\n", "just_a_word\n"])
def test_malformed_main_cf(tmp_path, text):
    conf = make_dir(tmp_path, "malformed", text, "")
    _, err, rc = assert_same(conf, "-n")
    assert re.search(r"fatal: \S+/main.cf, line \d+: missing", err)
    assert rc == 1


def test_malformed_master_cf(tmp_path):
    conf = make_dir(tmp_path, "badmaster", "", "smtp inet n - y\n")
    _, _, rc = assert_same(conf, "-n")
    assert rc == 1


def test_malformed_master_cf_field_names_file_and_line(tmp_path):
    # Postfix names file and line only for a bad field count; Tern for every
    # master.cf error, followed by Postfix's text.
    conf = make_dir(tmp_path, "badmaster", "", "foo bogus - - n - - pipe\n")
    (prc, pout, perr), (trc, tout, terr) = both(conf, "-n")
    assert trc == prc == 1 and tout == pout
    location = f"file {conf}/master.cf: line 1: "
    assert terr == perr.replace("postconf: fatal: ", "postconf: fatal: " + location)


@pytest.mark.parametrize("args", [
    ("-nd",), ("-hH", "mail_name"), ("-a", "-x"), ("-M", "-m"), ("-fe", "a=b"), ("-xe", "a=b"),
    ("-o", "a=b", "-e", "a=b"), ("-C", "bogus"), ("-o", "foo", "mail_name"), ("-e",), ("-X",),
    ("-#",), ("-d", "-o", "a=b"), ("-X", "a=b"), ("-X", ""), ("-e", "bad"), ("-e", "#x=1"),
    ("-e", "a=1\nb=2"), ("-p", "-M"), ("mail_name", "-h"),
])
def test_option_errors(debian_like, args):
    assert_same(debian_like, *args)


def test_bad_option_exits_1(debian_like):
    (prc, _, _), (trc, _, terr) = both(debian_like, "-Z")
    assert trc == prc == 1
    assert "invalid option" in terr and "fatal: usage:" in terr


# ----------------------------------------------------------------- listings


@pytest.mark.parametrize("flag", ["-l", "-a", "-A"])
def test_listings(tmp_path, flag):
    conf = make_dir(tmp_path, "list", "")
    assert_same(conf, flag)


def test_map_types(tmp_path):
    conf = make_dir(tmp_path, "maps", "")
    (prc, pout, _), (trc, tout, _) = both(conf, "-m")
    assert trc == prc == 0
    types = tout.split()
    assert types == sorted(types)
    assert {"hash", "btree", "cidr", "regexp"} <= set(types)
    assert set(types) <= set(pout.split()) | {"pcre", "texthash", "inline", "environ"}
    _, err, rc = assert_same(tmp_path / "nonexistent", "-m")
    assert rc == 1 and "main.cf" in err


# ------------------------------------------------------------------ editing

EDIT_TEMPLATE = """\
# header comment
myhostname = host.example.com
mydestination = $myhostname,
    localhost.$mydomain,
# comment inside
    localhost
relayhost =
  \n\
biff=no
myhostname   =   dup.example.com
#relayhost = [old]
smtpd_banner = $myhostname ESMTP
\ttabcont
tail = 1"""


def edit_both(tmp_path, *args, template=EDIT_TEMPLATE, name="edit"):
    pdir = make_dir(tmp_path, name + "_p", template)
    tdir = make_dir(tmp_path, name + "_t", template)
    prc, pout, perr = run(POSTFIX, pdir, *args)
    trc, tout, terr = run(TERN, tdir, *args)
    assert (tdir / "main.cf").read_bytes() == (pdir / "main.cf").read_bytes()
    assert tout == pout
    assert err_set(terr.replace(str(tdir), "DIR")) == err_set(perr.replace(str(pdir), "DIR"))
    assert trc == prc
    assert sorted(os.listdir(tdir)) == sorted(os.listdir(pdir))
    return (tdir / "main.cf").read_text(), terr, trc


@pytest.mark.parametrize("args", [
    ("-e", "relayhost=smtp.example.com"),
    ("relayhost=[a]:25",),
    ("-e", "relayhost=a", "relayhost=b"),
    ("-e", " spaced  =  value  ", "tail=2"),
    ("-X", "mydestination", "smtpd_banner"),
    ("-X", "tail", "not_there"),
    ("-#", "mydestination", "smtpd_banner", "tail"),
])
def test_edit_in_place(tmp_path, args):
    edit_both(tmp_path, *args)


def test_edit_duplicate_entries_warn(tmp_path):
    text, err, rc = edit_both(tmp_path, "-e", "myhostname = new.example.com")
    assert text.count("myhostname = new.example.com\n") == 2
    assert 'multiple entries for "myhostname"' in err
    assert rc == 0


def test_edit_appends_new_name(tmp_path):
    template = "# only a comment\nbiff = no\n"
    text, _, _ = edit_both(tmp_path, "-e", "zzz = 1", "biff = yes", template=template)
    assert text == "# only a comment\nbiff = yes\nzzz = 1\n"


def test_edit_errors(tmp_path):
    edit_both(tmp_path, "-e", "no_equals", name="e1")
    edit_both(tmp_path, "-X", "a=b", name="e2")
    (tmp_path / "nomain").mkdir()
    _, err, rc = assert_same(tmp_path / "nomain", "-e", "a=b")
    assert rc == 1 and "for reading" in err
    assert os.listdir(tmp_path / "nomain") == []
    _, err, rc = assert_same(tmp_path / "missing_dir", "-e", "a=b")
    assert rc == 1 and "main.cf.tmp" in err


def test_comment_lines_inside_continuation(tmp_path):
    conf = make_dir(tmp_path, "comments",
                    "  leading = 1\nmydestination = x,\n# c\n  y\n\n  z\nrelayhost = a\n", "")
    out, _, _ = assert_same(conf, "-n")
    assert "mydestination = x, y z\n" in out


# --------------------------------------------- deliberate differences (bugs)


def test_edit_appends_after_unterminated_last_line(tmp_path):
    """Postfix 3.7 glues an appended setting to a last line that has no
    newline ("tail = 1zzz = 1"); Tern ends that line first."""
    conf = make_dir(tmp_path, "unterminated", "tail = 1")
    rc, _, _ = run(TERN, conf, "-e", "zzz=1")
    assert rc == 0
    assert (conf / "main.cf").read_text() == "tail = 1\nzzz = 1\n"


def test_edit_appends_in_name_order(tmp_path):
    """Postfix 3.7 appends several new settings in hash table order; Tern,
    like later Postfix releases, appends them sorted by name."""
    conf = make_dir(tmp_path, "sorted", "biff = no\n")
    rc, _, _ = run(TERN, conf, "-e", "zzz = 1", "aaa=2", "mmm = 3")
    assert rc == 0
    assert (conf / "main.cf").read_text() == "biff = no\naaa = 2\nmmm = 3\nzzz = 1\n"


def test_remove_name_with_blanks(tmp_path):
    """Postfix 3.7 does not trim trailing blanks of -X names; Tern does."""
    conf = make_dir(tmp_path, "blanks", "biff = no\nrelayhost = x\n")
    rc, _, _ = run(TERN, conf, "-X", "  biff  ")
    assert rc == 0
    assert (conf / "main.cf").read_text() == "relayhost = x\n"


def test_repeated_remove_request(tmp_path):
    """Postfix 3.7 crashes on "postconf -X foo foo"; Tern warns and goes on."""
    conf = make_dir(tmp_path, "repeat", "foo = 1\nbar = 2\n")
    rc, _, err = run(TERN, conf, "-X", "foo", "foo")
    assert rc == 0
    assert "ignoring earlier request: 'foo = (null)'" in err
    assert (conf / "main.cf").read_text() == "bar = 2\n"


def test_tern_identity(tmp_path):
    conf = make_dir(tmp_path, "identity", "")
    rc, out, _ = run(TERN, conf, "-dh", "mail_name", "mail_version", "html_directory")
    assert rc == 0
    assert out.splitlines()[0] == "Tern"
    assert re.fullmatch(r"\d+\.\d+\.\d+", out.splitlines()[1])
    assert out.splitlines()[2] == "no"
