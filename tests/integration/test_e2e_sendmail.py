"""sendmail's command line on a whole system, compared with Debian's
Postfix (PostfixOracle): for each argument vector the exit status, the
standard output and the standard error must be the same, and a message that
is accepted must arrive. Covers the DSN options' bad values (-N, -R, -V),
modes that take no recipients (-bp, -q, -qR, -qI, -bi, -I, -bd, -bl),
missing recipients, a malformed -f, and queue-run intervals."""
import pytest

from tern_instance import MailInstance, PostfixOracle, wait_for

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")

MESSAGE = b"Subject: args\n\nx\n"

CASES = [
    ["-N", "bogus", "root"],
    ["-N", "never,success", "root"],
    ["-R", "bogus", "root"],
    ["-V", "x" * 101, "root"],
    ["-V", "x" * 100, "root"],
    ["-V", "a\x01b", "root"],
    ["-V", "", "root"],
    ["-f", "a b c d", "root"],
    [],
    ["-bv"],
    ["-bp", "root"],
    ["-q", "root"],
    ["-qRsite", "root"],
    ["-qIABC", "root"],
    ["-qR"],
    ["-qI"],
    ["-bi", "root"],
    ["-I", "root"],
    ["-bd", "root"],
    ["-bl", "root"],
    ["-q5m", "root"],
    ["-bm", "root"],
    ["-oi", "-odq", "-om", "root"],
]


@pytest.fixture(scope="module")
def pair():
    made = []
    try:
        for cls in (MailInstance, PostfixOracle):
            system = cls()
            made.append(system)
            system.start()
        yield made
    finally:
        for system in made:
            system.cleanup()


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a)[:40] or "(none)")
def test_sendmail_arguments_like_postfix(pair, args):
    outcomes = []
    for system in pair:
        result = system.run("sendmail", *args, input=MESSAGE)
        outcomes.append((result.returncode, result.stdout, result.stderr.decode()))
    assert outcomes[0] == outcomes[1], outcomes


def test_accepted_submissions_arrive(pair):
    """Every case above that exited 0 and named root was delivered."""
    for system in pair:
        count = len(system.mbox("root"))
        result = system.run("sendmail", "-N", "bogus", "-V", "x" * 101, "-f", "root", "root",
                            input=b"Subject: despite warnings\n\nx\n")
        assert result.returncode == 0
        got = system.wait_mail("root", count=count + 1, timeout=15)
        assert "despite warnings" in [m["Subject"] for m in got]
    assert wait_for(lambda: pair[0].run("mailq").stdout == b"Mail queue is empty\n", timeout=10)
