"""After the express lane commits a submission: one Redis round trip for everything left.

The view asks Redis twice per submission: before saving, whether the link or the client
is over a rate limit (`ratelimit.SurveyLimits.check`), and after, for a drain job
(`outbox.keep_promise`). The express lane asks once, after commit, with one script that
counts the hit on the link and sets the drain marker (`queue.request_drain`'s `SET NX`);
only when the marker was free does a second call enqueue the job, as in the view.

Nothing is lost by not asking before saving:
- The client's guessing count is not needed. The lane only takes a POST whose form token
  matches its link, and that token comes from the form page, which the app serves (and
  rate-limits) only to someone who already has the link. A guess never reaches the lane.
- The link's own limit still holds. A link whose count reaches its limit is remembered in
  this process until the window resets, and its next POSTs go to the app, which answers
  429. Another web process learns the same from its own next save on that link, so a link
  can be saved at most once per extra process beyond its limit in one window.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import redis
from redis.connection import AbstractConnection
from redis.exceptions import NoScriptError

from survey import direct_sql, events, outbox, queue
from survey.web.ratelimit import SurveyLimits

log = logging.getLogger(__name__)

# KEYS: the link's counters (ARGV[1] of them, their windows in ARGV[2..]), then the drain
# marker; the ARGV after the windows are the marker's value and its lifetime. Returns the
# count and seconds left per counter, then 1 if this call set the marker, else 0.
_COUNT_AND_MARK = """
local counted = tonumber(ARGV[1])
local out = {}
for i = 1, counted do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('EXPIRE', KEYS[i], ARGV[i + 1]) end
  out[#out + 1] = n
  out[#out + 1] = redis.call('TTL', KEYS[i])
end
local marker, value, ttl = KEYS[counted + 1], ARGV[counted + 2], ARGV[counted + 3]
local marked = redis.call('SET', marker, value, 'NX', 'EX', ttl)
out[#out + 1] = marked and 1 or 0
return out
"""
# A process remembers this many blocked links at most (they expire with their window).
_BLOCKED_KEPT = 10_000


class _HeldScript:
    """A Lua script run on a connection each thread holds, not through redis-py's client.

    The client's pool, retry and command layers cost about 100 µs of Python per call, more
    than the round trip; on a held connection the call costs about 40. Any failure drops
    the connection, and the next call opens a new one.
    """

    def __init__(self, redis_url: str, script: str) -> None:
        self.script = script
        self.sha = hashlib.sha1(script.encode()).hexdigest()  # noqa: S324 (Redis names scripts so)
        # The queue's timeouts: a dead Redis never hangs a survey POST.
        self._pool = redis.ConnectionPool.from_url(
            redis_url, socket_timeout=2, socket_connect_timeout=1
        )
        self._held = threading.local()

    def _connection(self) -> AbstractConnection:
        if getattr(self._held, "pid", None) != os.getpid():
            self._held.pid = os.getpid()
            self._held.connection = self._pool.make_connection()
        return self._held.connection  # type: ignore[no-any-return]

    def __call__(self, keys: Sequence[str], args: Sequence[object]) -> Any:
        connection = self._connection()
        try:
            try:
                connection.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
                return connection.read_response()
            except NoScriptError:  # a restarted Redis forgot it
                connection.send_command("SCRIPT", "LOAD", self.script)
                connection.read_response()
                connection.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
                return connection.read_response()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            connection.disconnect()
            raise


@lru_cache(maxsize=8)
def _count_and_mark(redis_url: str) -> _HeldScript:
    return _HeldScript(redis_url, _COUNT_AND_MARK)


class Handover:
    """The lane's Redis work for one web process: the post-commit call and blocked links."""

    def __init__(self) -> None:
        self._blocked: dict[str, float] = {}  # link hash -> monotonic time it may save again

    def blocked(self, link_hash: str) -> bool:
        """Whether this link reached its limit in the current window, as far as we saw."""
        until = self._blocked.get(link_hash)
        if until is None:
            return False
        if until > time.monotonic():
            return True
        del self._blocked[link_hash]
        return False

    def after_commit(
        self,
        conn: direct_sql.Connection,
        redis_url: str,
        limits: SurveyLimits | None,
        link_hash: str,
        event_id: int,
    ) -> None:
        """Count the saved submission on its link and hand its event to the workers.

        If Redis is unreachable the event's stamp is taken back, so the sweeper dispatches
        it, and the hit goes uncounted (the limits fail open, as in the view).
        """
        kind = events.RESPONSE_SUBMITTED
        job_id = events.drain_job_id(event_id)
        counters = limits.link_keys(link_hash) if limits else []
        windows = limits.windows() if limits else []
        try:
            got = _count_and_mark(redis_url)(
                keys=[*counters, queue.drain_marker(kind.queue)],
                args=[len(counters), *windows, job_id, outbox.MARKER_TTL],
            )
        except (redis.RedisError, OSError) as exc:
            log.warning("redis unavailable, event %s left for the sweeper: %s", event_id, exc)
            outbox.take_back(conn, event_id)
            return
        *counted, marked = got
        if limits is not None:
            self._note(link_hash, limits.wait_after(counted))
        if marked and not queue.enqueue_marked(
            redis_url, kind.queue, events.EVENT_JOB, event_id, job_id=job_id
        ):
            outbox.take_back(conn, event_id)

    def _note(self, link_hash: str, wait: int | None) -> None:
        if wait is None:
            return
        if len(self._blocked) >= _BLOCKED_KEPT:
            now = time.monotonic()
            self._blocked = {k: v for k, v in self._blocked.items() if v > now}
        self._blocked[link_hash] = time.monotonic() + wait
