"""Every operation in the OpenAPI document, fuzzed from the document itself.

Schemathesis generates valid and invalid requests from each operation's schema and checks
the answers: never a 5xx, only documented status codes and content types, response
bodies that match their schemas, and invalid data rejected. One check is left out:
"schema-valid request accepted", because some rules cannot be said in a JSON schema
(only an admin may name a project's PM, no NUL characters) and answer a documented 400.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from survey import create_app
from survey.api.tokens import issue
from tests.builders import make_invited, make_user

# The same generated requests on every run, so that a red run can be rerun and looked at;
# raise max_examples (or drop derandomize) locally to explore further.
FUZZ = settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


def test_every_documented_operation_survives_generated_requests(rapport_env, session):
    app = create_app({**rapport_env, "TESTING": True, "RATELIMIT_ENABLED": False})
    pm = make_user(session, email="pm@example.com")
    _invitation, _raw, project = make_invited(session)
    project.pm_id = pm.id
    session.add(project)
    session.commit()
    bearer = {"Authorization": f"Bearer {issue(session, user=pm)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def call(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])

        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - every operation's failure is reported
            failures[operation.label] = str(exc)[:1500]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
