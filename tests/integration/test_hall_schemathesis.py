"""schemathesis against the hall's generated OpenAPI document, over a real uvicorn: for every
operation, generated requests (valid and invalid) never get a 5xx, and every response matches
the documented schema and content type. The console is not part of this contract."""
from __future__ import annotations

import collections
import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from tests.integration.conftest import start_hall

EXAMPLES = 40
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance, checks.content_type_conformance]


@pytest.fixture(scope="module")
def schema_hall(tmp_path_factory):
    server, running = start_hall(tmp_path_factory.mktemp("schemathesis"), None, "sqlite")
    server.import_credit(__import__("tests.integration.test_hall_credit", fromlist=["SAMPLE"]).SAMPLE)
    yield running
    server.stop()


def test_api_never_5xx_and_matches_its_schema(schema_hall):
    # Operations are walked here rather than with schemathesis.pytest.from_fixture, whose
    # collection hook does not work with pytest 9 ('Function' object has no attribute '_nodeid').
    schema = schemathesis.openapi.from_url(f"{schema_hall.base_url}/openapi.json")
    failures, tested = [], []
    statuses = collections.defaultdict(collections.Counter)
    for result in schema.get_all_operations():
        operation = result.ok()
        tested.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  phases=[Phase.explicit, Phase.generate])
        def run(case):
            # Authenticated as the enrolled terminal, for itself, with a well-formed key: the
            # unauthenticated and malformed-header paths are covered in test_hall_api.py, and
            # without this nearly every generated request would stop at 401/400/403.
            headers = {**(case.headers or {}), "Authorization": f"Bearer {schema_hall.token}"}
            if case.method == "POST" and case.path in ("/api/v1/applications", "/api/v1/evaluations"):
                headers["Idempotency-Key"] = uuid.uuid4().hex
            if case.path_parameters and "terminal_id" in case.path_parameters:
                case.path_parameters["terminal_id"] = schema_hall.terminal_id
            response = case.call(headers=headers, timeout=10)
            statuses[operation.label][response.status_code] += 1
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as e:          # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(e)[:1500]}")
    assert len(tested) >= 11, tested
    assert not failures, "\n\n".join(failures)
    # The generated requests got past authentication and validation somewhere: successes seen.
    ok = {label for label, codes in statuses.items() if any(200 <= c < 300 for c in codes)}
    assert {"GET /api/v1/catalog", "POST /api/v1/terminals/{terminal_id}/heartbeat", "POST /api/v1/evaluations",
            "POST /api/v1/applications", "POST /api/v1/credit-reports"} <= ok, dict(statuses)


def test_the_contract_lists_the_kiosk_api(schema_hall):
    doc = requests.get(f"{schema_hall.base_url}/openapi.json", timeout=10).json()
    paths = set(doc["paths"])
    assert {"/api/v1/catalog", "/api/v1/applications", "/api/v1/applications/{application_no}",
            "/api/v1/applications/{application_no}/materials/{material_id}", "/api/v1/identity/business-licence",
            "/api/v1/credit-reports", "/verify/{report_no}", "/api/v1/evaluations",
            "/api/v1/terminals/{terminal_id}/heartbeat", "/api/v1/terminals/{terminal_id}/commands/{command_id}/ack",
            "/metrics"} <= paths
    assert not any(p.startswith("/console") for p in paths)
