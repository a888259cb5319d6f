"""End to end: `rapport up`, a pulse answered over HTTP, the scored trend in the API, Ctrl-C."""

from __future__ import annotations

import re
import socket
import time

import pytest
from sqlmodel import Session, create_engine, select

from analysis.sentiment import score
from survey.models import Invitation
from survey.passwords import token_hash
from tests.e2e.conftest import Browser, Rapport, alive, process_tree

TREND_TIMEOUT = 30.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ANSWERS = {
    "satisfaction": "2",
    "trust": "1",
    "communication": "2",
    "partnership": "3",
    "comment": "The go-live date moved again and we heard it from the vendor, not from you.",
}


def _relationship_of(rapport: Rapport, link: str) -> tuple[int, int]:
    """(relationship id, wave id) behind an emailed link, looked up by the token's hash."""
    engine = create_engine(f"sqlite:///{rapport.home / 'rapport.db'}")
    try:
        with Session(engine) as session:
            token = link.rsplit("/s/", 1)[1]
            invitation = session.exec(
                select(Invitation).where(Invitation.token_hash == token_hash(token))
            ).one()
            return invitation.relationship_id, invitation.wave_id
    finally:
        engine.dispose()


def _answer_over_http(link: str, answers: dict[str, str]) -> str:
    browser = Browser()
    status, page = browser.get(link)
    assert status == 200, page
    match = CSRF.search(page)
    assert match, "the pulse form has no CSRF token"
    status, thanks = browser.post(link, {**answers, "csrf_token": match.group(1)})
    assert status == 200, thanks
    assert "Thank you" in thanks
    return thanks


def _wait_for_point(rapport: Rapport, token: str, relationship_id: int, wave_id: int) -> dict:
    deadline = time.monotonic() + TREND_TIMEOUT
    points: list[dict] = []
    while time.monotonic() < deadline:
        points = rapport.api(f"/relationships/{relationship_id}/trend", token)["points"]
        for point in points:
            if point["wave_id"] == wave_id and point["sentiment"] is not None:
                return point
        time.sleep(0.2)
    pytest.fail(f"no scored point for wave {wave_id} after {TREND_TIMEOUT} s: {points}")


def _kind(cmdline: str) -> str | None:
    for kind in ("redis-server", "gunicorn", "worker", "scheduler"):
        if kind in cmdline:
            return kind
    return None


def _socket_dead(path) -> bool:  # type: ignore[no-untyped-def]
    if not path.exists():
        return True
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return True
    return False


def test_answer_flows_to_the_trend_and_ctrl_c_stops_everything(rapport_up: Rapport):
    print(f"\nrapport up: /healthz answered after {rapport_up.seconds_to_healthy:.1f} s")
    links = rapport_up.invitation_links()
    assert links, "the demo's open wave should be in the mailbox"
    assert all(link.startswith(f"{rapport_up.url}/s/") for link in links)
    link = links[0]
    relationship_id, wave_id = _relationship_of(rapport_up, link)
    token = rapport_up.cli("token", "create", "--email", "admin@example.com", "--label", "e2e")

    before = rapport_up.api(f"/relationships/{relationship_id}/trend", token)["points"]
    assert before, "the demo should give this relationship some history"
    assert wave_id not in [p["wave_id"] for p in before]

    submitted = time.monotonic()
    _answer_over_http(link, ANSWERS)
    point = _wait_for_point(rapport_up, token, relationship_id, wave_id)
    print(f"scored trend visible in the API {time.monotonic() - submitted:.2f} s after submit")
    assert point["sentiment"] == pytest.approx(score(ANSWERS["comment"]).polarity)
    assert (point["satisfaction"], point["trust"], point["answers"]) == (2, 1, 1)

    tree = process_tree(rapport_up.process.pid)
    kinds = {_kind(cmdline) for cmdline in tree.values()}
    assert {"redis-server", "gunicorn", "worker", "scheduler"} <= kinds, tree
    log_before = len(rapport_up.log())

    rapport_up.interrupt()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(alive(pid) for pid in tree):
        time.sleep(0.2)
    left = {pid: cmd for pid, cmd in tree.items() if alive(pid)}
    assert left == {}, f"still running after Ctrl-C: {left}"
    assert _socket_dead(rapport_up.home / "redis.sock")
    shutdown_log = rapport_up.log()[log_before:]
    assert "Traceback" not in shutdown_log, shutdown_log
    # Redis goes last, stopped by `rapport up` once the workers are done with it; the
    # terminal's Ctrl-C must not reach it first and pull it from under them.
    assert "Received SIGINT" not in (rapport_up.home / "redis.log").read_text()
