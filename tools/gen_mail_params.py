#!/usr/bin/python3
"""Generate lib/config/mail_params_table.c, Tern's table of main.cf
parameters, from two inputs in tools/:

  mail_params.defaults  "name = default" lines: the parameter names and
                        default texts of Postfix 3.7, as printed by
                        "postconf -c EMPTY_DIR -d" (facts, refreshed by
                        re-running that command);
  mail_params.types     types, ranges and special defaults (see the
                        comment at the top of that file).

Usage: tools/gen_mail_params.py [-o lib/config/mail_params_table.c]
The output is committed; re-run this script after changing an input.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

TYPES = {
    "str": "MAIL_PARAM_STR", "list": "MAIL_PARAM_LIST", "bool": "MAIL_PARAM_BOOL",
    "int": "MAIL_PARAM_INT", "long": "MAIL_PARAM_LONG", "size": "MAIL_PARAM_SIZE",
    "time": "MAIL_PARAM_TIME",
}
FLAGS = {
    "raw": "MAIL_PARAM_FLAG_RAW", "readonly": "MAIL_PARAM_FLAG_READONLY",
    "legacy": "MAIL_PARAM_FLAG_LEGACY", "dynamic": "MAIL_PARAM_FLAG_DYNAMIC",
}
LIST_SUFFIXES = ("_maps", "_restrictions", "_domains", "_networks", "_classes",
                 "_checks", "_milters", "_interfaces", "_exceptions")
LIST_NAMES = {"mydestination", "inet_protocols", "alias_database",
              "import_environment", "export_environment", "notify_classes"}


def read_defaults(path):
    params = {}
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, sep, value = line.partition(" =")
            if not sep:
                sys.exit(f"{path}: bad line: {line}")
            params[name] = value[1:] if value.startswith(" ") else value
    return params


def read_types(path):
    specs = {}
    with open(path, encoding="utf-8") as fp:
        for lineno, line in enumerate(fp, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split()
            if len(fields) < 4:
                sys.exit(f"{path}, line {lineno}: need name type min max")
            spec = {"type": fields[1], "min": fields[2], "max": fields[3], "flags": []}
            rest = line.split(None, 4)[4].rstrip("\n") if len(fields) > 4 else ""
            while rest:
                if rest.startswith("default="):
                    spec["default"] = rest[len("default="):]
                    break
                word, _, rest = rest.partition(" ")
                rest = rest.lstrip()
                if word.startswith("macro="):
                    spec["macro"] = word[len("macro="):]
                elif word in FLAGS:
                    spec["flags"].append(word)
                else:
                    sys.exit(f"{path}, line {lineno}: unknown option {word}")
            specs[fields[0]] = spec
    return specs


def infer(name, value, params, specs, seen=()):
    """Returns "type" or "time:U" for a parameter from its default."""
    spec = specs.get(name)
    if spec and spec["type"] != "-":
        return spec["type"]
    if re.fullmatch(r"yes|no", value):
        return "bool"
    if re.fullmatch(r"\d+[smhdw]", value):
        return "time:" + value[-1]
    if re.fullmatch(r"\d+", value):
        return "int"
    ref = re.fullmatch(r"\$\{?([A-Za-z0-9_]+)\}?", value)
    if ref and ref.group(1) in params and ref.group(1) not in seen:
        return infer(ref.group(1), params[ref.group(1)], params, specs, seen + (name,))
    if value.startswith("${"):
        if re.search(r"\}[smhdw]$", value):
            return "time:" + value[-1]
        branches = [b for pair in re.findall(r"\?\s*\{([^{}]*)\}\s*:\s*\{([^{}]*)\}", value)
                    for b in pair if b and not b.startswith("$")]
        if branches and all(b in ("yes", "no") for b in branches):
            return "bool"
        if branches and all(b.isdigit() for b in branches):
            return "int"
    if name.endswith(LIST_SUFFIXES) or name in LIST_NAMES:
        return "list"
    return "str"


def c_string(text):
    out = []
    for i, ch in enumerate(text):
        if ch in "\\\"":
            out.append("\\" + ch)
        elif ch == "?" and i > 0 and text[i - 1] == "?":
            out.append("\\?")  # no trigraphs
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append("\\%03o" % ord(ch))
    return '"' + "".join(out) + '"'


def bound(text):
    return "0" if text in ("-", "") else str(int(text))


def entry(name, value, params, specs):
    spec = specs.get(name, {"type": "-", "min": "-", "max": "-", "flags": []})
    ptype = infer(name, value, params, specs)
    base, _, unit = ptype.partition(":")
    if base not in TYPES:
        sys.exit(f"{name}: unknown type {ptype}")
    if base == "time" and not unit:
        sys.exit(f"{name}: time parameter without default unit")
    flags = " | ".join(FLAGS[f] for f in spec["flags"]) or "0"
    if "dynamic" in spec["flags"]:
        default = "NULL"
    elif "macro" in spec:
        default = spec["macro"]
    elif "default" in spec:
        default = c_string(spec["default"])
    else:
        default = c_string(value)
    unit_c = f"'{unit}'" if unit else "0"
    return (f"    {{{c_string(name)}, {default}, {TYPES[base]}, {unit_c}, {flags},"
            f" {bound(spec['min'])}, {bound(spec['max'])}}},")


HEADER = """\
/*
 * mail_params_table - the table of every main.cf parameter Tern knows,
 * sorted by name (mail_param_find searches it with bsearch).
 *
 * GENERATED by tools/gen_mail_params.py from tools/mail_params.defaults
 * (names and default texts of Postfix 3.7) and tools/mail_params.types
 * (types, ranges, run-time defaults). Do not edit; re-run the script.
 */
#include <stddef.h>

#include "config/mail_params.h"
#include "config/mail_version.h"

const struct mail_param mail_param_table[] = {
"""

FOOTER = """\
};

const size_t mail_param_count = sizeof(mail_param_table) / sizeof(mail_param_table[0]);
"""


def main():
    out_path = os.path.join(ROOT, "lib/config/mail_params_table.c")
    if len(sys.argv) == 3 and sys.argv[1] == "-o":
        out_path = sys.argv[2]
    elif len(sys.argv) != 1:
        sys.exit(__doc__)
    params = read_defaults(os.path.join(HERE, "mail_params.defaults"))
    specs = read_types(os.path.join(HERE, "mail_params.types"))
    for name, spec in specs.items():
        if name not in params:
            if "legacy" not in spec["flags"]:
                sys.exit(f"mail_params.types: {name} is not a Postfix parameter")
            params[name] = spec.get("default", "")
    lines = [entry(name, params[name], params, specs) for name in sorted(params)]
    with open(out_path, "w", encoding="utf-8") as fp:
        fp.write(HEADER + "\n".join(lines) + "\n" + FOOTER)


if __name__ == "__main__":
    main()
