"""The REST API fuzzed from its own OpenAPI document: no request makes it answer 5xx.

Schemathesis reads ``/api/v1/openapi.json`` from the Django app through WSGI (no network)
and sends every operation a fixed number of generated requests with the director's token:
requests that fit the document (``positive``) and requests that break it on purpose
(``negative``), with path ids sometimes those of real cases, files and units. Each answer
must be no server error, a documented status with a documented content type and headers,
and a body that fits its schema. Derandomized: every run sends the same requests.
"""

import itertools
import time
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, strategies
from hypothesis import settings as budget
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from yimen.api.tokens import issue_token
from yimen.cases import workflow as wf

from .test_api import PDF, register

EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 8}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture
def real_ids(cases_world, settings, tmp_path):
    """A few cases in different states, one with a file: ids the fuzzer also tries."""
    settings.MEDIA_ROOT = tmp_path
    w = cases_world
    # The demo's code, so the document's example registers a real case.
    w.community_a.code = "330102001001"
    w.community_a.save()
    fresh = register(w)
    routed = register(w, title="打架斗殴", category="public_order")
    wf.route_case(routed, actor=w.director, unit=w.police, complexity="general")
    with_file = register(w, title="楼上漏水")
    upload = SimpleUploadedFile("证据.pdf", PDF, "application/pdf")
    [stored] = wf.add_attachments(with_file, [wf.NewAttachment(upload)], actor=w.desk)
    return {
        "case_id": [fresh.pk, routed.pk, with_file.pk],
        "attachment_id": [stored.pk],
        "unit_id": [w.police.pk, w.committee_a.pk],
        "code": ["330102001001", "neighbour", "S1"],
    }


@pytest.fixture
def app():
    """The Django app as a server runs it, less closing the database connection after each
    request (it holds the test's transaction), as Django's own test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _fuzz(strategy, examples, sent):
    @budget(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        sent()
        case.call_and_validate(checks=CHECKS)

    run()


def _strategy(operation, mode, headers, real_ids):
    """Generated path ids, or now and then real ones (a generated id is hardly ever real)."""
    generated = operation.as_strategy(mode, headers=headers)
    if mode == GenerationMode.POSITIVE:  # and the document's own examples
        generated = strategies.one_of(
            generated, *operation.get_strategies_from_examples(headers=headers)
        )
    names = [parameter.name for parameter in operation.path_parameters]
    if not names:
        return generated
    with_real_ids = (
        operation.as_strategy(
            mode, headers=headers, path_parameters=dict(zip(names, ids, strict=True))
        )
        for ids in itertools.product(*(real_ids[name] for name in names))
    )
    return strategies.one_of(generated, *with_real_ids)


def test_no_request_makes_the_api_fail(app, cases_world, real_ids, settings, caplog):
    settings.YIMEN_API_RATE = ""  # many calls from one account, on purpose
    caplog.set_level("ERROR", logger="django.request")  # hundreds of expected 4xx
    token = issue_token(cases_world.director)
    headers = {"Authorization": f"Bearer {token}"}
    started, sent, failures = time.monotonic(), Counter(), []
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():
            strategy = _strategy(operation, mode, headers, real_ids)
            try:
                _fuzz(strategy, examples, lambda label=operation.label: sent.update([label]))
            except Unsatisfiable:
                continue  # nothing can break the document here: any text is a code
            except (Exception, BaseExceptionGroup) as exc:  # all operations run, then report
                failures.append(f"{operation.label} ({mode.value}): {exc}")

    took = time.monotonic() - started
    print(f"\nfuzzed {len(sent)} operations with {sent.total()} requests in {took:.1f} s")
    assert not failures, "\n\n".join(failures)
    assert len(sent) == 25
