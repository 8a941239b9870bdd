"""scripts/audit.py: a vulnerability fails CI, an unreachable service is said out loud."""

import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "audit_script", Path(__file__).resolve().parent.parent / "scripts" / "audit.py"
)
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def test_a_known_vulnerability_fails():
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "4.2.0",
                "vulns": [{"id": "PYSEC-2023-1", "fix_versions": ["4.2.1"]}],
            },
            {"name": "segno", "version": "1.6.6", "vulns": []},
        ]
    }
    code, lines = audit.verdict(report)
    assert code == 1
    assert lines[0] == "django 4.2.0: PYSEC-2023-1 (fixed in 4.2.1)"
    assert lines[-1] == "FAILED: 1 of 2 packages have known vulnerabilities"


def test_a_clean_audit_counts_what_it_audited():
    report = {
        "dependencies": [
            {"name": "segno", "version": "1.6.6", "vulns": []},
            {"name": "yimen", "version": "0.1.0", "skip_reason": "not on the index"},
        ]
    }
    assert audit.verdict(report) == (
        0,
        ["dependency audit: 1 packages, no known vulnerabilities (1 not audited)"],
    )


def test_no_service_is_a_visible_skip_not_a_pass():
    report = {
        "dependencies": [
            {"name": "segno", "version": "1.6.6", "skip_reason": "Dependency not found on PyPI"},
        ]
    }
    code, lines = audit.verdict(report)
    assert code == 0
    assert lines[0].startswith("SKIPPED the dependency audit")
