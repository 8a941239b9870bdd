"""Every string is translated to Chinese, and the committed catalogue is compiled."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

PO = Path(settings.BASE_DIR, "locale/zh_Hans/LC_MESSAGES/django.po")
MO = PO.with_suffix(".mo")


def test_every_message_has_a_chinese_translation():
    catalogue = polib.pofile(str(PO))
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_compiled_catalogue_matches_the_source():
    compiled = gettext.GNUTranslations(MO.open("rb"))
    for entry in polib.pofile(str(PO)).translated_entries():
        if entry.msgid_plural:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        assert compiled.gettext(key) == entry.msgstr, (
            f"stale .mo for {entry.msgid!r}: run make messages"
        )


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext (xgettext) not installed")
def test_catalogue_has_every_string_in_the_code(tmp_path):
    """Strings added in code or templates but never extracted would show in English.

    makemessages rewrites the catalogue next to the sources, so it runs on a copy.
    """
    base = Path(settings.BASE_DIR)
    for name in ("yimen", "templates", "locale"):
        shutil.copytree(base / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(base / "manage.py", tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v0"],
        cwd=tmp_path,
        env={**os.environ, "YIMEN_VAR_DIR": str(tmp_path / "var")},
        check=True,
    )
    fresh = {e.msgid for e in polib.pofile(str(tmp_path / PO.relative_to(base)))}
    committed = {e.msgid for e in polib.pofile(str(PO))}
    assert not fresh - committed, f"run make messages: {sorted(fresh - committed)[:10]}"
