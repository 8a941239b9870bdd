"""The meeting pages: the meetings (``meetings``) and their tasks (``tasks``)."""

from typing import Any

from yimen.cases.workflow import WorkflowError


def put_errors(form: Any, exc: WorkflowError) -> WorkflowError | None:
    """The service's reasons on the fields they concern, as typed; the refusal itself when
    it concerns no field (not allowed, wrong state), for the page to show above the form."""
    for field, message in exc.fields.items():
        if field not in form.fields:
            form.add_error(None, message)
        elif field not in form.errors:
            form.add_error(field, message)
    return None if exc.fields else exc
