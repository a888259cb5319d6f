"""SQLite writers in different processes take turns on a flock instead of polling SQLite's lock."""

from __future__ import annotations

import multiprocessing
import threading
import time

from sqlmodel import Session

from survey import db


def _hold_a_turn(url: str, started, release) -> None:  # type: ignore[no-untyped-def]
    with Session(db.get_engine(url)) as session, db.writer_turn(session):
        started.set()
        release.wait(10)


def test_a_second_process_waits_for_the_first_ones_turn(tmp_path):
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    context = multiprocessing.get_context("spawn")
    started, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_a_turn, args=(url, started, release))
    holder.start()
    try:
        assert started.wait(30)
        threading.Timer(0.3, release.set).start()
        with Session(db.get_engine(url)) as session, db.writer_turn(session):
            # Our turn came only once the other process was let go and ended its own.
            assert release.is_set()
    finally:
        release.set()
        holder.join(10)
        db.dispose_engines()


def test_threads_of_one_process_take_turns_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'threads.db'}"
    inside = 0
    most = 0
    guard = threading.Lock()

    def write() -> None:
        nonlocal inside, most
        with Session(db.get_engine(url)) as session, db.writer_turn(session):
            with guard:
                inside += 1
                most = max(most, inside)
            time.sleep(0.01)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=write) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.dispose_engines()
    assert most == 1
