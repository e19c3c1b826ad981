#!/usr/bin/env python3
"""Check that #include lines follow the layering of docs/architecture.md.

The allowed direction is not written here: it is the ```layers block of
docs/architecture.md (one line per part, "part: parts it may include"), so
the document and the check cannot drift apart. A file belongs to a part by
where it lives:

  daemon/PART/*.c and include/vitals/PART/*.h   -> PART
  daemon/*.c and include/vitals/*.h             -> daemon (the spine)
  emulator/, console/, tools/, ... (top level)  -> that folder's name

and an include line "vitals/PART/x.h" reaches into PART ("vitals/x.h": the
spine). Every part may include itself. The check fails on an include into a
part that is not allowed, on a part the layers block does not name, on a
cycle in the layers block, and on a cycle among the headers themselves.

  scripts/layering.py [--root DIR]      exit 0 when the tree follows the rules
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]+"(vitals/[^"]+)"', re.M)
SOURCE_DIRS = ("daemon", "include/vitals")


def read_layers(doc):
    """The ```layers block of the architecture document: {part: {allowed}}."""
    text = open(doc, encoding="utf-8").read()
    m = re.search(r"^```layers\n(.*?)^```", text, re.M | re.S)
    if not m:
        sys.exit(f"{doc}: no ```layers block")
    layers = {}
    for n, line in enumerate(m.group(1).splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        part, _, deps = line.partition(":")
        layers[part.strip()] = set(deps.split())
    return layers


def part_of_file(rel):
    """The part a file of the tree belongs to, or None when it is not checked."""
    bits = rel.split("/")
    if bits[0] == "daemon":
        return bits[1] if len(bits) > 2 else "daemon"
    if bits[:2] == ["include", "vitals"]:
        return bits[2] if len(bits) > 3 else "daemon"
    return bits[0] if len(bits) > 1 else None


def part_of_include(inc):
    bits = inc.split("/")
    return bits[1] if len(bits) > 2 else "daemon"


def find_cycle(graph):
    """One cycle of a {node: {nodes}} graph as a list, or None."""
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    layers = read_layers(os.path.join(root, "docs", "architecture.md"))
    errors = []

    cycle = find_cycle(layers)
    if cycle:
        errors.append("docs/architecture.md: the layers form a cycle: " + " -> ".join(cycle))
    for part, deps in layers.items():
        for d in sorted(deps - set(layers)):
            errors.append(f"docs/architecture.md: {part} may include {d}, which is no part")

    headers = {}  # include path -> the headers it includes, for the cycle check
    checked = [d for d in layers if d != "daemon"] + list(SOURCE_DIRS)
    for top in sorted(set(checked)):
        base = os.path.join(root, top)
        if not os.path.isdir(base):
            continue
        for dirpath, _, files in os.walk(base):
            for name in sorted(files):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                part = part_of_file(rel)
                if part is None:
                    continue
                text = open(path, encoding="utf-8", errors="replace").read()
                if part not in layers:
                    errors.append(f"{rel}: its part '{part}' is not in the layers of "
                                  "docs/architecture.md")
                    continue
                for m in INCLUDE.finditer(text):
                    inc = m.group(1)
                    line = text.count("\n", 0, m.start()) + 1
                    target = part_of_include(inc)
                    if target != part and target not in layers[part]:
                        errors.append(f"{rel}:{line}: {part} may not include {inc} "
                                      f"({target}); it may include: "
                                      f"{' '.join(sorted(layers[part])) or 'nothing'}")
                if rel.startswith("include/"):
                    headers[rel[len("include/"):]] = set(INCLUDE.findall(text))

    cycle = find_cycle(headers)
    if cycle:
        errors.append("headers include each other in a cycle: " + " -> ".join(cycle))

    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"layering: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print("layering: every include follows docs/architecture.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
