#!/usr/bin/python3
"""Tern's test runner: every C unit test, a short run of every fuzz target,
and the pytest integration suite; ends with the line "N passed, M failed".

Arguments name the suites to run (unit, fuzz, pytest); none means all.
Environment: O (build directory, default "build"), TERN_SANITIZE (set by
"make asan": integration programs run without leak detection, see run_pytest), FUZZ_SECONDS (per fuzz
target, default 3), PYTEST_ARGS (extra pytest arguments, e.g. "-k postmap").
"""
import glob
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("O", "build"))


def run_unit():
    passed = failed = 0
    for binary in sorted(glob.glob(os.path.join(BUILD, "tests/unit/test_*"))):
        if not os.access(binary, os.X_OK) or binary.endswith((".o", ".d")):
            continue
        name = os.path.basename(binary)
        proc = subprocess.run([binary], cwd=ROOT, capture_output=True, text=True,
                              errors="replace", timeout=300)
        out = proc.stdout + proc.stderr
        p = sum(int(n) for n in re.findall(r"\[  PASSED  \] (\d+) test", out))
        f = sum(int(n) for n in re.findall(r"\[  FAILED  \] (\d+) test", out))
        if proc.returncode != 0 and f == 0:
            f = 1  # crashed or failed outside cmocka's accounting
        passed += p
        failed += f
        status = "ok" if proc.returncode == 0 else "FAILED"
        print(f"unit {name}: {p} passed, {f} failed ({status})")
        if proc.returncode != 0:
            print(out[-4000:])
    return passed, failed


def run_fuzz():
    passed = failed = 0
    seconds = os.environ.get("FUZZ_SECONDS", "3")
    for binary in sorted(glob.glob(os.path.join(BUILD, "fuzz/fuzz_*"))):
        if not os.access(binary, os.X_OK) or os.path.isdir(binary):
            continue
        name = os.path.basename(binary)
        seeds = os.path.join(ROOT, "tests/fuzz/corpus", name)
        with tempfile.TemporaryDirectory() as work:
            args = [binary, f"-max_total_time={seconds}", "-max_len=4096",
                    "-print_final_stats=0", f"-artifact_prefix={work}/", work]
            if os.path.isdir(seeds):
                args.append(seeds)
            proc = subprocess.run(args, cwd=work, capture_output=True, text=True,
                                  errors="replace", timeout=int(seconds) + 120)
        if proc.returncode == 0:
            passed += 1
            print(f"fuzz {name}: ok ({seconds}s)")
        else:
            failed += 1
            print(f"fuzz {name}: FAILED\n{proc.stderr[-4000:]}")
    return passed, failed


def run_pytest():
    tests = os.path.join(ROOT, "tests/integration")
    if not glob.glob(os.path.join(tests, "test_*.py")):
        return 0, 0
    if os.geteuid() == 0:
        # The accounts an instance runs under (postfix, postdrop), as make
        # install creates them; idempotent.
        subprocess.run(["sh", os.path.join(ROOT, "tools/accounts.sh")], check=True)
    with tempfile.TemporaryDirectory() as work:
        xml = os.path.join(work, "junit.xml")
        env = dict(os.environ, TERN_BUILD=BUILD, TERN_ROOT=ROOT)
        if os.environ.get("TERN_SANITIZE"):
            # Commands exit (and msg_fatal exits) without freeing what they
            # still hold, as Postfix's do; LeakSanitizer also cannot run in a
            # process that changed its uid. Memory errors and undefined
            # behaviour are still fatal; unit tests and fuzzers keep leak
            # detection on.
            # Daemons run with stderr on /dev/null: every report also goes to
            # a file, and any file left there fails the run.
            os.chmod(work, 0o711)
            reports = os.path.join(work, "sanitizer")
            os.mkdir(reports)
            os.chmod(reports, 0o1777)  # children that dropped privileges write here too
            env["ASAN_OPTIONS"] = f"detect_leaks=0:abort_on_error=0:log_path={reports}/asan"
            env["UBSAN_OPTIONS"] = f"halt_on_error=1:print_stacktrace=1:log_path={reports}/ubsan"
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                f"--junitxml={xml}", tests] + os.environ.get("PYTEST_ARGS", "").split()
        proc = subprocess.run(args, cwd=ROOT, env=env)
        if not os.path.exists(xml):
            return 0, 1
        root = ET.parse(xml).getroot()
        suites = [root] if root.tag == "testsuite" else list(root)
        total = sum(int(s.get("tests", 0)) for s in suites)
        bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
        skipped = sum(int(s.get("skipped", 0)) for s in suites)
        if proc.returncode not in (0, 1, 5) and bad == 0:
            bad = 1
        if os.environ.get("TERN_SANITIZE"):
            for report in sorted(glob.glob(os.path.join(work, "sanitizer", "*"))):
                print(f"sanitizer report {os.path.basename(report)}:")
                with open(report, errors="replace") as f:
                    print(f.read()[-4000:])
                bad += 1
        return total - bad - skipped, bad


def main():
    suites = {"unit": run_unit, "fuzz": run_fuzz, "pytest": run_pytest}
    chosen = sys.argv[1:] or list(suites)
    results = [suites[name]() for name in chosen]
    passed = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
