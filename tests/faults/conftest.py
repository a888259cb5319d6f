"""Data for fault tests: many open invitations with their raw tokens."""

from __future__ import annotations

import pytest

from survey.demo_comments import NEGATIVE, NEUTRAL, POSITIVE
from tests.builders import make_invitation, make_project, make_relationship, make_user, make_wave

COMMENTS = POSITIVE + NEUTRAL + NEGATIVE + ("",)


def answers_for(n: int) -> dict[str, str]:
    """Varied, valid answers for submission number n."""
    return {
        "satisfaction": str(1 + n % 5),
        "trust": str(1 + (n * 3) % 5),
        "communication": str(1 + (n * 7) % 5),
        "partnership": str(1 + (n * 2) % 5),
        "comment": COMMENTS[n % len(COMMENTS)],
    }


@pytest.fixture
def invitations(session):  # type: ignore[no-untyped-def]
    """A factory: `invitations(relationships, waves)` -> raw tokens."""

    def build(relationships: int, waves: int) -> list[str]:
        pm = make_user(session, email="faults-pm@example.com")
        project = make_project(session, pm=pm, code="FAULT")
        rels = [
            make_relationship(session, project=project, name=f"Person {i}")
            for i in range(relationships)
        ]
        tokens = []
        for _ in range(waves):
            wave = make_wave(session, project=project)
            for rel in rels:
                tokens.append(make_invitation(session, wave=wave, relationship=rel)[1])
        return tokens

    return build
