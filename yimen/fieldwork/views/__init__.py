"""Field-work pages: grids and the map, patrols, screening campaigns. Rules live in
``services`` and ``rules``; the pages read forms, call them and show what they say."""

import re
from collections.abc import Sequence
from typing import Any

from django import forms

from yimen.cases.workflow import WorkflowError

_FINDING_FIELD = re.compile(r"^finding-(\d+)-(\w+)$")


def place_errors(error: WorkflowError, form: forms.Form, findings: Sequence[Any] = ()) -> None:
    """Show a refusal beside the fields it names: ``finding-N-…`` on the N-th finding's form,
    the rest on ``form``; a refusal naming no field shown above the form."""
    placed = False
    for key, message in error.fields.items():
        match = _FINDING_FIELD.match(key)
        if match and int(match[1]) < len(findings) and match[2] in findings[int(match[1])].fields:
            findings[int(match[1])].add_error(match[2], message)
            placed = True
        elif key in form.fields:
            form.add_error(key, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
