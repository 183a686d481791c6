"""Fails on every validator finding that is not accepted, with its reason, in a committed list.

Usage: <validator> ... | python findings_gate.py cfn-lint|checkov ACCEPTED.yaml

Run it from the directory the validator ran in. Each accepted entry names the rule, the files
(a glob) and, for checkov, the resource (a glob), and says why. Errors (cfn-lint E rules) can
never be accepted. An entry that matches nothing fails too, so the list shrinks when the
output improves instead of silencing what no longer needs it.
"""

import fnmatch
import json
import os
import sys

import yaml


def cfn_lint_findings(report):
    """(rule, file, resource, line, message) of each cfn-lint finding."""
    for f in report:
        yield (
            f["Rule"]["Id"],
            os.path.normpath(f["Filename"]),
            "",
            f["Location"]["Start"]["LineNumber"],
            f["Message"],
        )


def checkov_findings(report):
    """(rule, file, resource, line, message) of each failed checkov check."""
    reports = report if isinstance(report, list) else [report]
    for r in reports:
        for c in r.get("results", {}).get("failed_checks", []):
            line = (c.get("file_line_range") or [0])[0]
            yield (c["check_id"], os.path.normpath(c["file_path"].lstrip("/")), c["resource"], line, c["check_name"])


def main() -> int:
    tool, accepted_path = sys.argv[1], sys.argv[2]
    with open(accepted_path, encoding="utf-8") as f:
        accepted = yaml.safe_load(f) or []
    problems = []
    for entry in accepted:
        if not str(entry.get("reason", "")).strip():
            problems.append(f"accepted entry {entry} has no reason")
        if tool == "cfn-lint" and str(entry.get("rule", "")).startswith("E"):
            problems.append(f"accepted entry {entry} is an error rule; errors are never accepted")

    raw = sys.stdin.read()
    try:
        report = json.loads(raw) if raw.strip() else []
    except json.JSONDecodeError:
        print(f"{tool} did not print JSON:\n{raw[:2000]}", file=sys.stderr)
        return 1
    findings = list((cfn_lint_findings if tool == "cfn-lint" else checkov_findings)(report))

    used = set()
    failed = []
    for rule, path, resource, line, message in findings:
        match = next(
            (
                i
                for i, e in enumerate(accepted)
                if e.get("rule") == rule
                and fnmatch.fnmatch(path, e.get("files", ""))
                and fnmatch.fnmatch(resource, e.get("resource", "*"))
                and not (tool == "cfn-lint" and rule.startswith("E"))
            ),
            None,
        )
        if match is None:
            failed.append(f"{path}:{line}: {rule} {resource} {message}".replace("  ", " "))
        else:
            used.add(match)
    for i, entry in enumerate(accepted):
        if i not in used:
            problems.append(f"accepted entry {entry.get('rule')} {entry.get('files')} matched nothing: remove it")

    for line in failed + problems:
        print(line, file=sys.stderr)
    print(f"{tool}: {len(findings)} finding(s), {len(findings) - len(failed)} accepted, {len(failed)} failing")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
