"""Fails on every cfn-lint finding that is not accepted, with its reason, in the committed list.

Usage: cfn-lint --format json ... | python cfn_lint_gate.py ACCEPTED.yaml ROOT

Errors (E rules) can never be accepted. An accepted entry that matches nothing fails too, so the
list shrinks when the templates improve instead of silencing what no longer needs it.
"""

import fnmatch
import json
import os
import sys

import yaml


def main() -> int:
    accepted_path, root = sys.argv[1], sys.argv[2]
    with open(accepted_path, encoding="utf-8") as f:
        accepted = yaml.safe_load(f) or []
    problems = []
    for entry in accepted:
        if not entry.get("reason", "").strip():
            problems.append(f"accepted entry {entry} has no reason")
        if str(entry.get("rule", "")).startswith("E"):
            problems.append(f"accepted entry {entry} is an error rule; errors are never accepted")

    raw = sys.stdin.read()
    try:
        findings = json.loads(raw) if raw.strip() else []
    except json.JSONDecodeError:
        print("cfn-lint did not print JSON:\n" + raw, file=sys.stderr)
        return 1

    used = set()
    failed = []
    for finding in findings:
        rule = finding["Rule"]["Id"]
        path = os.path.relpath(finding["Filename"], root)
        line = finding["Location"]["Start"]["LineNumber"]
        match = next(
            (i for i, e in enumerate(accepted) if e.get("rule") == rule and fnmatch.fnmatch(path, e.get("files", ""))),
            None,
        )
        if match is None or rule.startswith("E"):
            failed.append(f"{path}:{line}: {rule} {finding['Message']}")
        else:
            used.add(match)
    for i, entry in enumerate(accepted):
        if i not in used:
            problems.append(f"accepted entry {entry['rule']} {entry.get('files')} matched nothing: remove it")

    for line in failed + problems:
        print(line, file=sys.stderr)
    print(f"cfn-lint: {len(findings)} finding(s), {len(findings) - len(failed)} accepted, {len(failed)} failing")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
