"""The attribute lists of docs/ipc.md in Python, for tests that talk to Tern
daemons directly (fake peers, raw requests). Written from the wire format
on that page, independently of lib/mail/attr.c, so the C codec is checked
against the documentation.

    sock.sendall(attr_encode([("request", "add"), ("status", 0)]))
    reply = attr_decode(sock)        # {"status": 0, ...}

attr_encode writes int values as I, everything else as S (str or bytes).
attr_decode reads one list: I, L, S and D items (D and S as text), raises
EOFError when the peer closes and ValueError on any other type byte."""
import struct


def attr_encode(items):
    out = b""
    for name, value in items:
        n = name.encode()
        if isinstance(value, int):
            out += b"I" + struct.pack(">I", len(n)) + n + struct.pack(">i", value)
        else:
            v = value if isinstance(value, bytes) else value.encode()
            out += b"S" + struct.pack(">I", len(n)) + n + struct.pack(">I", len(v)) + v
    return out + b"E"


def recv_exact(conn, count):
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def attr_decode(conn):
    result = {}
    while True:
        kind = recv_exact(conn, 1)
        if kind == b"E":
            return result
        (nlen,) = struct.unpack(">I", recv_exact(conn, 4))
        name = recv_exact(conn, nlen).decode()
        if kind == b"I":
            (result[name],) = struct.unpack(">i", recv_exact(conn, 4))
        elif kind == b"L":
            (result[name],) = struct.unpack(">q", recv_exact(conn, 8))
        elif kind in (b"S", b"D"):
            (vlen,) = struct.unpack(">I", recv_exact(conn, 4))
            result[name] = recv_exact(conn, vlen).decode(errors="replace")
        else:
            raise ValueError(f"type {kind!r}")
