"""``manage.py backup`` and ``restore`` round-trip the database and the attachments."""

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from yimen.audit.services import verify_chain
from yimen.cases import workflow as wf
from yimen.cases.models import Case, Category
from yimen.ops.backup import BackupError, backup, read_manifest, restore

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stored(seeded_transactional_db, cases_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    w = cases_world
    case = wf.register_case(
        actor=w.desk, title="楼道堆物", description="楼道堆放杂物。",
        category=Category.objects.get(code="environment"), channel="visit",
        jurisdiction=w.community_a, parties=[wf.NewParty("王芳", "applicant", "13812345678")],
        attachments=[wf.NewAttachment(SimpleUploadedFile("现场.pdf", PDF))],
    ).case  # fmt: skip
    return w, case, tmp_path


def test_a_backup_restores_the_cases_their_files_and_the_audit_chain(stored):
    _w, case, tmp_path = stored
    archive = backup(tmp_path / "backups")
    manifest = read_manifest(archive)
    assert manifest.counts["cases.Case"] == 1 and manifest.counts["cases.Attachment"] == 1
    file_path = Path(case.attachments.get().file.path)

    # The disaster: the case, its timeline and its file are gone.
    Case.objects.all().delete()
    file_path.unlink()

    restore(archive)
    back = Case.objects.get(receipt_number=case.receipt_number)
    assert back.parties.get().name == "王芳"
    assert Path(back.attachments.get().file.path).read_bytes() == PDF
    assert back.events.exists()
    assert verify_chain() is None


def test_the_commands_round_trip(stored):
    _w, case, tmp_path = stored
    out = io.StringIO()
    call_command("backup", str(tmp_path / "b"), stdout=out)
    archive = out.getvalue().split(": ")[0]
    Case.objects.all().delete()
    call_command("restore", archive, "--yes", stdout=io.StringIO())
    assert Case.objects.filter(pk=case.pk).exists()


def test_an_archive_that_writes_outside_its_folder_is_refused(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"format": 1, "vendor": "sqlite", "counts": {},
                                    "created_at": "2026-11-23T00:00:00+00:00",
                                    "database": "database.sqlite3"}))  # fmt: skip
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(manifest, arcname="manifest.json")
        tar.add(manifest, arcname="../escape.txt")
    with pytest.raises(BackupError):
        restore(evil)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    with pytest.raises(CommandError):
        call_command("restore", str(junk), "--yes")
