"""trivial-rewrite, the address rewriting and resolving daemon.

The daemon is started as the master would start it (listener at descriptor
6, status pipe at 5, MAIL_CONFIG and GENERATION in the environment) and
driven over a UNIX socket with this file's own implementation of the
attribute-list wire format of docs/ipc.md, so the codec is exercised
independently of lib/mail/attr.c. Requests and replies (lib/mail/rewrite_clnt.h):

    request=rewrite rule address            -> flags address
    request=resolve|verify sender address   -> flags transport nexthop recipient

and the server announces protocol=rewrite_v1 before its first reply.

The differential test runs the same requests through Debian's Postfix
trivial-rewrite (stand-alone mode, its own wire format) on the same main.cf
and compares the answers; it is skipped when Postfix is not installed."""
import concurrent.futures
import os
import socket
import struct
import subprocess

import pytest

import emulated_master
from emulated_master import AVAIL, TAKEN

BUILD = os.environ.get("TERN_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
DAEMON = os.path.join(BUILD, "bin", "trivial-rewrite")
POSTFIX_DAEMON = "/usr/lib/postfix/sbin/trivial-rewrite"
WAIT = emulated_master.WAIT
PROTOCOL = "rewrite_v1"

LOCAL, ALIAS, VIRTUAL, RELAY, DEFAULT = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
ROUTED, ERROR, FAIL = 1 << 1, 1 << 2, 1 << 3

BASE_CF = ("myhostname = host.example.com\nmydomain = example.com\n"
           "compatibility_level = 3.6\ninet_interfaces = 127.0.0.1\n")


# --- the wire format (docs/ipc.md) ---------------------------------------------


def encode(items):
    """One attribute list: (name, int | str) pairs, then the end marker."""
    out = b""
    for name, value in items:
        raw = name.encode()
        head = struct.pack(">I", len(raw)) + raw
        if isinstance(value, int):
            out += b"I" + head + struct.pack(">i", value)
        else:
            data = value.encode()
            out += b"S" + head + struct.pack(">I", len(data)) + data
    return out + b"E"


class Reader:
    """Reads attribute lists from a socket, with the test's time bound."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def take(self, count):
        while len(self.buf) < count:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError(self.buf)
            self.buf += data
        chunk, self.buf = self.buf[:count], self.buf[count:]
        return chunk

    def read_list(self):
        """The next list as a dict (names are unique in our replies)."""
        result = {}
        while True:
            kind = self.take(1)
            if kind == b"E":
                return result
            (length,) = struct.unpack(">I", self.take(4))
            name = self.take(length).decode()
            if kind == b"I":
                (result[name],) = struct.unpack(">i", self.take(4))
            elif kind == b"S":
                (length,) = struct.unpack(">I", self.take(4))
                result[name] = self.take(length).decode("utf-8", "surrogateescape")
            else:
                raise AssertionError(f"unexpected type byte {kind!r}")


def rewrite_req(rule, address):
    return [("request", "rewrite"), ("rule", rule), ("address", address)]


def resolve_req(address, sender="", request="resolve"):
    return [("request", request), ("sender", sender), ("address", address)]


# --- an emulated master ----------------------------------------------------------


class Daemon:
    """trivial-rewrite with a listener at fd 6 and the status pipe at fd 5."""

    def __init__(self, tmp, main_cf):
        self.tmp = tmp
        self.queue = tmp / "queue"
        self.conf = tmp / "conf"
        self.queue.mkdir(exist_ok=True)
        self.conf.mkdir(exist_ok=True)
        self.maillog = tmp / "maillog"
        (self.conf / "main.cf").write_text(
            f"queue_directory = {self.queue}\nmaillog_file = {self.maillog}\n"
            f"maillog_file_prefixes = {tmp}\n" + main_cf)
        (self.queue / "public").mkdir(exist_ok=True)
        if (self.queue / "public" / "postlog").exists():
            (self.queue / "public" / "postlog").unlink()
        self.postlog = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.postlog.bind(str(self.queue / "public" / "postlog"))
        self.postlog.setblocking(False)
        self.path = str(tmp / "rewrite.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(16)
        env = {"PATH": "/usr/bin:/bin", "MAIL_CONFIG": str(self.conf), "GENERATION": "7"}
        self.proc = emulated_master.spawn(DAEMON, [DAEMON, "-n", "rewrite", "-t", "unix"], env,
                                          [self.listener.fileno()])
        self.clients = []

    def status(self, timeout=WAIT):
        return self.proc.read_status(timeout)

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(WAIT)
        sock.connect(self.path)
        self.clients.append(sock)
        return sock

    def wait(self, timeout=WAIT):
        return self.proc.wait(timeout)

    def log(self):
        """The records received on public/postlog so far (kept in maillog)."""
        while True:
            try:
                record = self.postlog.recv(65536)
            except BlockingIOError:
                break
            with open(self.maillog, "ab") as f:
                f.write(record + b"\n")
        return self.maillog.read_text() if self.maillog.exists() else ""

    def stop(self):
        self.proc.kill()
        self.postlog.close()
        for sock in self.clients:
            sock.close()
        self.listener.close()


@pytest.fixture
def start(tmp_path):
    daemons = []
    if not os.path.exists(DAEMON):
        pytest.skip(f"{DAEMON} is not built")

    def starter(main_cf=BASE_CF):
        daemon = Daemon(tmp_path, main_cf)
        daemons.append(daemon)
        assert daemon.status() == (daemon.proc.pid, 7, AVAIL)
        return daemon
    yield starter
    for daemon in daemons:
        daemon.stop()


class Client:
    """One connection: checks the announcement, then asks requests."""

    def __init__(self, daemon):
        self.sock = daemon.connect()
        self.reader = Reader(self.sock)
        self.announced = False

    def ask(self, *requests):
        """Sends the requests in one write; returns their replies in order."""
        self.sock.sendall(b"".join(encode(r) for r in requests))
        if not self.announced:
            assert self.reader.read_list() == {"protocol": PROTOCOL}
            self.announced = True
        return [self.reader.read_list() for _ in requests]


# --- behaviour over the socket ---------------------------------------------------


def test_rewrite_resolve_verify_over_the_socket(start):
    daemon = start(BASE_CF + "remote_header_rewrite_domain = domain.invalid\n"
                   "relayhost = [gw.example.com]\naddress_verify_relayhost = [probe.example.com]\n")
    client = Client(daemon)
    assert daemon.status() == (daemon.proc.pid, 7, TAKEN)
    assert daemon.status() == (daemon.proc.pid, 7, AVAIL)
    replies = client.ask(rewrite_req("local", "user"), rewrite_req("remote", "user"),
                         rewrite_req("local", "site!user"), rewrite_req("local", "a b"),
                         resolve_req("user"), resolve_req("user@[127.0.0.1]"),
                         resolve_req("u@remote.example"),
                         resolve_req("u@remote.example", request="verify"),
                         resolve_req("user@-bad-"))
    assert replies == [
        {"flags": 0, "address": "user@host.example.com"},
        {"flags": 0, "address": "user@domain.invalid"},
        {"flags": 0, "address": "user@site"},
        {"flags": 0, "address": "a b@host.example.com"},
        {"flags": LOCAL, "transport": "local", "nexthop": "host.example.com",
         "recipient": "user@host.example.com"},
        {"flags": LOCAL, "transport": "local", "nexthop": "host.example.com",
         "recipient": "user@[127.0.0.1]"},
        {"flags": DEFAULT, "transport": "smtp", "nexthop": "[gw.example.com]",
         "recipient": "u@remote.example"},
        {"flags": DEFAULT, "transport": "smtp", "nexthop": "[probe.example.com]",
         "recipient": "u@remote.example"},
        {"flags": DEFAULT | ERROR, "transport": "", "nexthop": "", "recipient": "user@-bad-"},
    ]
    # The same connection keeps working, one request at a time.
    assert client.ask(rewrite_req("local", "x%y")) == [{"flags": 0, "address": "x@y"}]
    assert daemon.proc.alive()


def test_clients_are_served_side_by_side(start):
    daemon = start()
    first, second = Client(daemon), Client(daemon)
    assert second.ask(rewrite_req("local", "b")) == [{"flags": 0, "address": "b@host.example.com"}]
    assert first.ask(rewrite_req("local", "a")) == [{"flags": 0, "address": "a@host.example.com"}]
    assert second.ask(resolve_req("c"))[0]["recipient"] == "c@host.example.com"


def test_bad_requests_end_only_that_client(start):
    daemon = start()
    good = Client(daemon)
    assert good.ask(rewrite_req("local", "a"))[0]["address"] == "a@host.example.com"
    for bad in ([("request", "frobnicate"), ("address", "x")],
                [("request", "bad\x01name"), ("address", "x")],
                [("request", "rewrite"), ("rule", "canonical"), ("address", "x")],
                [("request", "resolve"), ("address", "x")]):
        sock = daemon.connect()
        sock.sendall(encode(bad))
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        assert b"address" not in data  # no reply, the connection was closed
    sock = daemon.connect()
    sock.sendall(b"Zgarbage")
    assert sock.recv(4096) == b""
    assert good.ask(rewrite_req("local", "b"))[0]["address"] == "b@host.example.com"
    log = daemon.log()
    assert 'warning: rewrite socket: unknown request "frobnicate"' in log
    assert 'warning: rewrite socket: unknown rewrite rule "canonical"' in log
    assert 'unknown request "bad?name"' in log
    assert 'missing attribute "sender"' in log
    assert "bad type byte 0x5a" in log
    assert daemon.proc.alive()


def test_changed_table_restarts_after_the_request(start, tmp_path):
    table = tmp_path / "transport"
    table.write_text("other.example fast:[one.example]\n")
    daemon = start(BASE_CF + f"transport_maps = texthash:{table}\n")
    client = Client(daemon)
    assert client.ask(resolve_req("u@other.example"))[0]["nexthop"] == "[one.example]"
    stamp = os.stat(table).st_mtime
    table.write_text("other.example fast:[two.example]\n")
    os.utime(table, (stamp + 5, stamp + 5))
    reply = client.ask(resolve_req("v@other.example"))[0]
    assert reply["transport"] == "fast"  # answered before the restart
    assert daemon.wait() == 0
    assert f"table texthash:{table} has changed -- restarting" in daemon.log()


def test_max_use_and_idle_are_honoured(start):
    daemon = start(BASE_CF + "max_use = 1\n")
    client = Client(daemon)
    assert client.ask(rewrite_req("local", "a"))[0]["address"] == "a@host.example.com"
    assert daemon.proc.alive()  # the client is still connected
    client.sock.close()
    assert daemon.wait() == 0


# --- the differential check against Postfix --------------------------------------


def postfix_quote(addr):
    """Postfix's wire form of rewrite requests is external: quote the local part."""
    route = ""
    if addr.startswith("@") and ":" in addr:
        route, addr = addr[:addr.index(":") + 1], addr[addr.index(":") + 1:]
    at = addr.rfind("@")
    local, rest = (addr[:at], addr[at:]) if at >= 0 else (addr, "")
    dot_string = (local and not local.startswith(".") and not local.endswith(".")
                  and ".." not in local
                  and all(c not in '()<>@,;:\\"[] ' and 32 < ord(c) != 127 for c in local))
    if dot_string:
        return route + addr
    return route + '"' + local.replace("\\", "\\\\").replace('"', '\\"') + '"' + rest


def postfix_unquote(ext):
    out, quoted, i = "", False, 0
    while i < len(ext):
        c = ext[i]
        if c == "\\" and i + 1 < len(ext):
            out += ext[i + 1]
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        else:
            out += c
        i += 1
    return out


def postfix_ask(conf_dir, workdir, request):
    """One request to Postfix's trivial-rewrite -S (name\\0value\\0 ... \\0)."""
    data = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in request) + b"\0"
    proc = subprocess.run([POSTFIX_DAEMON, "-S"], input=data, capture_output=True,
                          env={"MAIL_CONFIG": str(conf_dir)}, cwd=workdir, timeout=10)
    items = proc.stdout.split(b"\0")
    reply, i = {}, 0
    while i + 1 < len(items) and items[i] != b"":
        reply[items[i].decode()] = items[i + 1].decode("utf-8", "surrogateescape")
        i += 2
    return reply


def tern_ask_standalone(conf_dir, workdir, requests):
    """All requests to Tern's trivial-rewrite -S in one run."""
    proc = subprocess.run([DAEMON, "-S"], input=b"".join(encode(r) for r in requests),
                          capture_output=True, env={"MAIL_CONFIG": str(conf_dir)}, cwd=workdir,
                          timeout=20)
    sock = _BytesReader(proc.stdout)
    assert sock.read_list() == {"protocol": PROTOCOL}
    return [sock.read_list() for _ in requests]


class _BytesReader(Reader):
    def __init__(self, data):
        super().__init__(None)
        self.buf = data

    def take(self, count):
        if len(self.buf) < count:
            raise EOFError(self.buf)
        chunk, self.buf = self.buf[:count], self.buf[count:]
        return chunk


DIFF_CONFIGS = {
    "defaults": "",
    "old-style": ("append_dot_mydomain = yes\nmyorigin = example.com\nswap_bangpath = no\n"
                  "allow_percent_hack = no\nremote_header_rewrite_domain = domain.invalid\n"
                  "resolve_dequoted_address = no\n"),
    "permissive": ("resolve_null_domain = yes\nresolve_numeric_domain = yes\nallow_min_user = yes\n"
                   "empty_address_recipient = postmaster\nproxy_interfaces = 192.0.2.1\n"
                   "mydestination = $myhostname, localhost, !neg.example.com, .example.com\n"),
    "classes": ("relay_domains = example.net, .relay.org\nvirtual_alias_domains = valias.test\n"
                "virtual_mailbox_domains = vmbox.test\nrelayhost = [gw.example.com]:587\n"
                "transport_maps = texthash:$config_directory/transport\n"
                "relocated_maps = texthash:$config_directory/relocated\n"
                "sender_dependent_relayhost_maps = texthash:$config_directory/sdrelay\n"
                "recipient_delimiter = +\nshow_user_unknown_table_name = no\n"),
}
DIFF_TABLES = {
    "transport": ("special@other.com slow:[special.host]\nerr.test error:5.1.2 Bad\n"
                  "colon.test :\nhostonly.test :[h.only]:25\n.deep.test deep:\nother.com fast\n"),
    "relocated": "moved@other.com new@place.test\n@moveddom.test elsewhere\n",
    "sdrelay": "s@sender.test [sdr.host]\ndunno@sender.test DUNNO\n<> [null.host]\n",
}
DIFF_REWRITES = ["user", "user@host", "user@host.", "a!b!user", "u%d1%d2", "@r1,@r2:u@d",
                 "", "a b", "user@[1.2.3.4]", "x@y@z", "a%b@c"]
DIFF_RESOLVES = ["user", "user@localhost", "user@[127.0.0.1]", "user@127.0.0.1", "",
                 "u%remote.org@localhost", "user@", "-user", "user@remote@localhost",
                 "a b%c%remote@localhost", "@localhost", "user@localhost..", "user@a_b.c",
                 "u@sub.example.com", "u@neg.example.com", "u@[192.0.2.1]", "u@valias.test",
                 "u@vmbox.test", "u@example.net", "u@a.relay.org", "special+x@other.com",
                 "u@sub.other.com", "u@x.deep.test", "u@err.test", "u@colon.test",
                 "u@hostonly.test", "moved@other.com", "u@moveddom.test"]


@pytest.mark.skipif(not os.path.exists(POSTFIX_DAEMON), reason="Debian's Postfix is not installed")
@pytest.mark.parametrize("config", sorted(DIFF_CONFIGS))
def test_same_answers_as_postfix(tmp_path, config):
    if not os.path.exists(DAEMON):
        pytest.skip(f"{DAEMON} is not built")
    conf = tmp_path / "conf"
    queue = tmp_path / "queue"
    conf.mkdir()
    queue.mkdir()
    for name, text in DIFF_TABLES.items():
        (tmp_path / name).write_text(text)
    main_cf = BASE_CF.replace("inet_interfaces = 127.0.0.1\n", "") + DIFF_CONFIGS[config]
    main_cf = main_cf.replace("$config_directory", str(tmp_path))
    (conf / "main.cf").write_text(f"queue_directory = {queue}\n{main_cf}")
    rewrites = [(rule, a) for rule in ("local", "remote") for a in DIFF_REWRITES]
    resolves = [(kind, sender, a) for kind, sender in (("resolve", ""), ("verify", "s@sender.test"))
                for a in DIFF_RESOLVES]
    tern = tern_ask_standalone(conf, queue, [rewrite_req(r, a) for r, a in rewrites]
                               + [resolve_req(a, s, k) for k, s, a in resolves])
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        postfix = list(pool.map(lambda req: postfix_ask(conf, queue, req),
                                [rewrite_req(r, postfix_quote(a)) for r, a in rewrites]
                                + [resolve_req(a, s, k) for k, s, a in resolves]))
    differ = []
    for (rule, addr), got, want in zip(rewrites, tern, postfix):
        if postfix_unquote(want.get("address", "?")) != got["address"]:
            differ.append(("rewrite", rule, addr, want, got))
    for (kind, sender, addr), got, want in zip(resolves, tern[len(rewrites):],
                                               postfix[len(rewrites):]):
        want["flags"] = int(want.get("flags", -1))
        if want["flags"] & (ERROR | FAIL) and want.get("transport") == "CHANNEL NOT UPDATED":
            want["transport"] = want["nexthop"] = ""
        if want["flags"] & FAIL:
            want["recipient"] = got["recipient"]
        if want != got:
            differ.append((kind, sender, addr, want, got))
    assert differ == []
