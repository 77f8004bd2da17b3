"""Helpers for the postmap/postalias differential tests.

Tern's commands run from $TERN_BUILD/bin (default /work/main/build); Debian's
/usr/sbin/postmap and /usr/sbin/postalias are the oracle. Each run gets its
own working directory and a "-c DIR" configuration directory, so both
programs see the same relative file names and print the same messages.
"""
import os
import shutil
import subprocess
import time

import pytest

BUILD = os.environ.get("TERN_BUILD", "/work/main/build")
ORACLE_DIR = "/usr/sbin"


def tern_bin(name):
    path = os.path.join(BUILD, "bin", name)
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} is not built")
    return path


def oracle_bin(name):
    path = os.path.join(ORACLE_DIR, name)
    if not os.access(path, os.X_OK):
        pytest.skip(f"Debian's {name} (the oracle) is not installed")
    return path


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def messages(self, prog):
        """stderr lines with the "prog: " prefix removed."""
        lines = []
        for line in self.err.decode("utf-8", "replace").splitlines():
            if line.startswith(prog + ": "):
                line = line[len(prog) + 2:]
            lines.append(line)
        return lines

    def __repr__(self):
        return f"rc={self.rc} out={self.out[:300]!r} err={self.err[:600]!r}"


def run(binary, args, cwd, stdin=b"", env=None, preexec=None):
    full_env = dict(os.environ)
    full_env.pop("MAIL_CONFIG", None)
    full_env.pop("MAIL_VERBOSE", None)
    if env:
        full_env.update(env)
    proc = subprocess.run([binary] + list(args), cwd=cwd, input=stdin, capture_output=True,
                          env=full_env, timeout=120, preexec_fn=preexec)
    return Result(proc)


class Side:
    """One program (Tern's or Postfix's) with its own work and config dirs."""

    def __init__(self, root, prog, binary, main_cf=""):
        self.prog = prog
        self.binary = binary
        self.dir = os.path.join(root, "work")
        self.conf = os.path.join(root, "conf")
        os.makedirs(self.dir, exist_ok=True)
        os.makedirs(self.conf, exist_ok=True)
        self.write_main_cf(main_cf)

    def write_main_cf(self, text):
        path = os.path.join(self.conf, "main.cf")
        with open(path, "w") as f:
            f.write(text)
        # Postfix waits up to two seconds for a main.cf modified within the
        # last second to settle; date it back.
        old = time.time() - 60
        os.utime(path, (old, old))

    def write(self, name, data, mode=None):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        if mode is not None:
            os.chmod(path, mode)
        return path

    def path(self, name):
        return os.path.join(self.dir, name)

    def run(self, *args, stdin=b"", env=None, preexec=None, binary=None):
        return run(binary or self.binary, ["-c", self.conf] + list(args), self.dir,
                   stdin=stdin, env=env, preexec=preexec)


def pair(tmp_path, prog, main_cf=""):
    """(tern, postfix) sides for prog ("postmap" or "postalias")."""
    tern = Side(str(tmp_path / "tern"), prog, tern_bin(prog), main_cf)
    postfix = Side(str(tmp_path / "postfix"), prog, oracle_bin(prog), main_cf)
    return tern, postfix


def both(sides, fn):
    """Apply fn to each side; return the two results."""
    return [fn(side) for side in sides]


def sorted_lines(data):
    return sorted(data.split(b"\n"))


def copy_file(src, dst):
    shutil.copyfile(src, dst)
