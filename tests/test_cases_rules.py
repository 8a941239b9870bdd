"""Pure rules of cases: deadlines by complexity, masking, uploads checked by content."""

from datetime import date
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from yimen.cases.attachments import check_upload, sniff
from yimen.cases.deadlines import add_one_month, due_date, is_overdue, working_days_left
from yimen.cases.privacy import mask_id_number, mask_phone
from yimen.workdays.calendar import WorkCalendar

WEEKDAYS_2026 = WorkCalendar({}, frozenset({2026}))


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 15), date(2027, 1, 15)),
        (date(2026, 3, 31), date(2026, 4, 30)),
    ],
)
def test_leader_case_is_due_one_calendar_month_later(start, expected):
    assert add_one_month(start) == expected
    assert due_date("leader", start, WEEKDAYS_2026).date == expected


@pytest.mark.parametrize(("complexity", "days"), [("general", 7), ("complex", 15),
                                                  ("very_complex", 30)])  # fmt: skip
def test_complexity_sets_the_working_days(complexity, days):
    # Monday 2026-03-02: n working days on a weekends-only calendar.
    deadline = due_date(complexity, date(2026, 3, 2), WEEKDAYS_2026)
    assert working_days_left(deadline.date, date(2026, 3, 2), WEEKDAYS_2026) == days


def test_time_left_and_overdue():
    assert working_days_left(date(2026, 3, 6), date(2026, 3, 6), WEEKDAYS_2026) == 0
    assert working_days_left(date(2026, 3, 6), date(2026, 3, 9), WEEKDAYS_2026) == -1
    assert is_overdue(date(2026, 3, 6), date(2026, 3, 7))
    assert not is_overdue(date(2026, 3, 6), date(2026, 3, 6))
    assert not is_overdue(None, date(2026, 3, 6))


@pytest.mark.parametrize(("raw", "masked"), [("13812345678", "138****5678"),
                                             ("0571-86010000", "057****0000"),
                                             ("110", "*10"), ("", "")])  # fmt: skip
def test_phone_masking(raw, masked):
    assert mask_phone(raw) == masked


def test_id_number_masking_hides_the_birth_date():
    masked = mask_id_number("110101199001011234")
    assert masked == "110***********1234"
    assert "19900101" not in masked


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_uploads_are_recognised_by_content_not_name():
    assert sniff(upload("a.txt", b"\x89PNG\r\n\x1a\n" + b"0" * 20)) == "image/png"
    assert sniff(upload("photo.jpg", b"MZ\x90\x00 not an image")) is None
    with pytest.raises(ValidationError):
        check_upload(upload("evil.pdf", b"<script>alert(1)</script>"))


def test_office_documents_are_accepted():
    import zipfile

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    checked = check_upload(upload("协议.docx", buffer.getvalue()))
    assert checked.content_type.endswith("wordprocessingml.document")


def test_uploads_over_the_limit_are_refused(settings):
    settings.YIMEN_UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="too large|过大"):
        check_upload(upload("big.pdf", b"%PDF-" + b"0" * 20))
