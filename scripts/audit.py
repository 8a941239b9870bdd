"""Audit the installed dependencies for known vulnerabilities with pip-audit.

Exit 1 when pip-audit reports a vulnerability or fails. When no vulnerability service answers,
pip-audit cannot audit any package. The script then says so plainly and exits 0, so a machine
with no route to a vulnerability service does not fail CI. A network error is never reported
as a clean audit.

Usage: .venv/bin/python scripts/audit.py  (extra arguments are passed to pip-audit)
"""

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def main(argv: list[str]) -> int:
    command = [
        str(BIN / "pip-audit"),
        "--format=json",
        "--progress-spinner=off",
        "--skip-editable",
        *argv,
    ]
    run = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stdout, run.stderr, sep="\n")
        print("FAILED: pip-audit gave no report (see above)")
        return 1
    code, lines = verdict(report)
    print(*lines, sep="\n")
    return code


def verdict(report: dict) -> tuple[int, list[str]]:
    """The exit code and the lines to print for a pip-audit JSON report."""
    dependencies = report.get("dependencies", [])
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    vulnerable = [dep for dep in audited if dep.get("vulns")]
    lines = [
        f"{dep['name']} {dep['version']}: {vuln['id']} "
        f"(fixed in {', '.join(vuln.get('fix_versions') or []) or 'no release yet'})"
        for dep in vulnerable
        for vuln in dep["vulns"]
    ]
    if vulnerable:
        lines.append(
            f"FAILED: {len(vulnerable)} of {len(audited)} packages have known vulnerabilities"
        )
        return 1, lines
    if dependencies and not audited:
        return 0, [
            f"SKIPPED the dependency audit: no vulnerability service answered for any of "
            f"{len(dependencies)} packages ({dependencies[0]['skip_reason']}). "
            "Run `make audit` where the service is reachable."
        ]
    skipped = len(dependencies) - len(audited)
    note = f" ({skipped} not audited)" if skipped else ""
    return 0, [f"dependency audit: {len(audited)} packages, no known vulnerabilities{note}"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
