"""The hand-computed review fixture shared by review, digest and job tests.

Alice (influence 4, Finance, business lead) and Bob (influence 2, Sales, business area
manager) on one project; one pulse in 2025Q4 and two in 2026Q1.
"""

from __future__ import annotations

from tests.builders import make_project, make_user
from tests.report_builders import answer, closed_wave, person, utc


def fixture_project(session, *, confidential: bool = False, code: str = "FIX"):  # type: ignore[no-untyped-def]
    pm = make_user(session)
    project = make_project(session, pm=pm, code=code, name="Fixture ERP")
    alice = person(
        session, project=project, name="Alice Zephyr", influence=4, unit="Finance",
        role="Business lead",
    )  # fmt: skip
    bob = person(
        session, project=project, name="Bob Quill", influence=2, unit="Sales",
        role="Business area manager",
    )  # fmt: skip
    w1 = closed_wave(session, project=project, closes=utc(2025, 11, 15), invite=[alice, bob],
                     confidential=confidential)  # fmt: skip
    w2 = closed_wave(session, project=project, closes=utc(2026, 2, 10), invite=[alice, bob],
                     confidential=confidential)  # fmt: skip
    w3 = closed_wave(session, project=project, closes=utc(2026, 3, 10), invite=[alice, bob],
                     confidential=confidential)  # fmt: skip
    answer(session, wave=w1, relationship=alice, ratings=(3, 3, 3, 3), comment="Updates come late.",
           polarity=-0.2, themes="communication")  # fmt: skip
    answer(session, wave=w1, relationship=bob, ratings=(4, 4, 4, 4))
    answer(session, wave=w2, relationship=alice, ratings=(4, 4, 3, 5),
           comment="Great weekly demos with us.", polarity=0.5,
           themes="communication,partnership")  # fmt: skip
    answer(session, wave=w2, relationship=bob, ratings=(2, 2, 2, 2),
           comment="=HYPERLINK(\"http://evil\") dates slipped again", polarity=-0.5,
           themes="estimates")  # fmt: skip
    answer(session, wave=w3, relationship=alice, ratings=(5, 4, 4, 5),
           comment="Clear notes after each meeting.", polarity=0.3,
           themes="communication")  # fmt: skip
    return pm, project, alice, bob
