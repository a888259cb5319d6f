"""SQLite writers in different processes take turns on a flock instead of polling SQLite's lock."""

from __future__ import annotations

import multiprocessing
import threading

from sqlalchemy.engine import make_url

from survey import db


def _hold_a_turn(url: str, started, release) -> None:  # type: ignore[no-untyped-def]
    with db.writer_turn(make_url(url)):
        started.set()
        release.wait(30)


def _take_a_turn(url: str, entered: threading.Event) -> None:
    with db.writer_turn(make_url(url)):
        entered.set()


def test_a_second_process_waits_for_the_first_ones_turn(tmp_path):
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    context = multiprocessing.get_context("spawn")
    started, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_a_turn, args=(url, started, release))
    holder.start()
    entered = threading.Event()
    waiter = threading.Thread(target=_take_a_turn, args=(url, entered))
    try:
        assert started.wait(30)
        waiter.start()
        # While the other process holds its turn, ours does not begin, however long we wait...
        assert not entered.wait(1)
        release.set()
        # ...and it begins once that turn ends.
        assert entered.wait(30)
    finally:
        release.set()
        holder.join(30)
        if waiter.is_alive():
            waiter.join(30)
        db.dispose_engines()


def test_threads_of_one_process_take_turns_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'threads.db'}"
    first_inside, second_entered = threading.Event(), threading.Event()
    let_go = threading.Event()

    def hold() -> None:
        with db.writer_turn(make_url(url)):
            first_inside.set()
            let_go.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert first_inside.wait(30)
    second = threading.Thread(target=_take_a_turn, args=(url, second_entered))
    second.start()
    assert not second_entered.wait(1)
    let_go.set()
    assert second_entered.wait(30)
    holder.join(30)
    second.join(30)
    db.dispose_engines()
