"""The safety pages: the office's landing page, the places register and its inspections
(``places``), the hazards and their rectification (``hazards``), the checklists."""

from typing import Any

from yimen.cases.workflow import WorkflowError


def put_errors(form: Any, exc: WorkflowError) -> None:
    """The service's reasons on the fields they concern, the rest above the form."""
    placed = False
    for field, message in exc.fields.items():
        if field in form.fields and message:
            form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
