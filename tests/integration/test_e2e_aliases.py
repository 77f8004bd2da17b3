"""How the right-hand side of an alias is read, side by side with Debian's
Postfix (PostfixOracle): blanks separate addresses as commas do ("root
nobody" is two recipients, nobody is dropped), comments and phrases are
allowed, an unquoted command ends at the first blank and a quoted one
keeps its blanks; a quoted local part is shown quoted. Compared with `sendmail -bv`: the report lists every
member with what delivery would do, and a real delivery reaches them."""
import pytest

from mail_compare import each_system
from tern_instance import PostfixOracle
from test_e2e_dsn import dsn_fields

pytestmark = pytest.mark.skipif(not PostfixOracle.available(),
                                reason="needs root and Debian's postfix")

ALIASES = ("postmaster: root\n"
           "a1: root nobody\n"
           "a2: |/bin/echo hi there\n"
           "a3: root,nobody daemon\n"
           'a4: "|/bin/echo hi", root (comment) , <nobody@tern.test>\n'
           "a5: John Smith <nobody@tern.test>, x y <root>\n"
           "a6: root (c) daemon\n"
           'a7: "quoted thing" bin\n'
           'a8: |/bin/echo "a b" c\n')
SETTINGS = {"allow_mail_to_commands": "alias, forward, include"}


def verify(system):
    """(Final-Recipient, Action, Diagnostic-Code) of each member, sorted."""
    assert system.sendmail("-bv", "-f", "root", "a1", "a2", "a3", "a4", "a5", "a6",
                           "a7", "a8",
                           input=b"").returncode == 0
    [report] = system.wait_mail("root", 1)
    _head, rcpts = dsn_fields(report)
    return sorted((r["final-recipient"].replace(" ", ""), r["action"],
                   " ".join(r["diagnostic-code"].split(";", 1)[1].split())) for r in rcpts)


def test_alias_members_as_postfix_reads_them():
    ours, theirs = each_system(verify, SETTINGS, ALIASES)
    assert ours == theirs
    # Nothing a blank separates is lost.
    assert ("rfc822;daemon@tern.test", "deliverable",
            "delivery via local: delivers to mailbox") in ours
    assert len(ours) == 20


def test_members_separated_by_blanks_receive_the_message():
    def deliver(system):
        assert system.sendmail("-f", "root", "a1", input=b"Subject: both\n\nx\n").returncode == 0
        return [len(system.wait_mail(user, 1)) for user in ("root", "nobody")]

    ours, theirs = each_system(deliver, SETTINGS, ALIASES)
    assert ours == theirs == [1, 1]
