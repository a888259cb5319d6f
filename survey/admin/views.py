"""Queue depths, failed jobs (with retry), running jobs and worker heartbeats; emails that
need a look, and digests or review packs interrupted mid-send (send again or dismiss)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

import redis
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from survey import audit, mail_problems, plans, queue
from survey.admin import bp
from survey.models import DigestLog, Role
from survey.web.session import get_session, settings

REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError)
# Failed emails older than this are history, not something to act on.
FAILED_MAIL_WINDOW = timedelta(days=7)
STALE = int(mail_problems.SENDING_STALE_AFTER.total_seconds() // 60)


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Logged-in admins only: others get a 403, anonymous visitors the login page."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.role != Role.admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/queues")
@admin_only
def queues():  # type: ignore[no-untyped-def]
    """What the workers have to do, what failed, what runs now, and who is alive."""
    url = settings().redis_url
    now = datetime.now(UTC)
    # From the database, so it shows even when Redis is down.
    mail_trouble = mail_problems.by_wave(get_session(), now=now, since=now - FAILED_MAIL_WINDOW)
    reports = plans.unfinished_reports(get_session(), now=now)
    try:
        page = {
            "depths": queue.queue_depths(url),
            "failed": queue.failed_jobs(url),
            "started": queue.started_jobs(url),
            "workers": queue.worker_heartbeats(url),
            "schedulers": queue.scheduler_heartbeats(url),
        }
    except REDIS_ERRORS:
        return render_template(
            "admin/queues.html",
            redis_down=True,
            mail_trouble=mail_trouble,
            reports=reports,
            stale_minutes=STALE,
        ), 503
    return render_template(
        "admin/queues.html",
        redis_down=False,
        mail_trouble=mail_trouble,
        reports=reports,
        stale_minutes=STALE,
        now=now,
        scheduler_ages={
            name: max(0, int(now.timestamp() - beat["at"]))
            for name, beat in page["schedulers"].items()
        },
        **page,
    )


@bp.post("/queues/failed/<job_id>/retry")
@admin_only
def retry(job_id: str):  # type: ignore[no-untyped-def]
    """Put one failed job back on its queue (the job is idempotent, so a retry is safe)."""
    try:
        requeued = queue.retry_failed(settings().redis_url, job_id)
    except REDIS_ERRORS:
        flash("Redis is unreachable: nothing was retried.")
        return redirect(url_for("admin.queues"))
    if not requeued:
        abort(404)
    session = get_session()
    audit.record(
        session,
        actor_id=current_user.id,
        action="job.retry",
        target_kind="job",
        target_id=None,
        detail={"job": job_id[:60]},
    )
    session.commit()
    flash(f"Job {job_id} is queued again.")
    return redirect(url_for("admin.queues"))


def _back_to_reports():  # type: ignore[no-untyped-def]
    return redirect(url_for("admin.queues", _anchor="interrupted-reports"))


def _log_entry(entry_id: int) -> DigestLog:
    entry = get_session().get(DigestLog, entry_id)
    if entry is None:
        abort(404)
    return entry


@bp.post("/queues/reports/<int:entry_id>/send-again")
@admin_only
def report_send_again(entry_id: int):  # type: ignore[no-untyped-def]
    """Send an interrupted digest or review pack once more (it may then arrive twice)."""
    session = get_session()
    entry = _log_entry(entry_id)
    marked = plans.send_again(session, entry=entry, actor_id=current_user.id, now=datetime.now(UTC))
    session.commit()
    if not marked:
        flash("Not sent again: it is no longer waiting for a decision.")
        return _back_to_reports()
    if plans.hand_to_reports_queue(settings().redis_url, entry=entry):
        flash("It will be sent again in a moment.")
    else:
        flash("Redis is unreachable: it will be sent again by the next scheduled run.")
    return _back_to_reports()


@bp.post("/queues/reports/<int:entry_id>/dismiss")
@admin_only
def report_dismiss(entry_id: int):  # type: ignore[no-untyped-def]
    """Give up on an interrupted digest or review pack: it is not sent again, nor listed."""
    session = get_session()
    entry = _log_entry(entry_id)
    dismissed = plans.dismiss(session, entry=entry, actor_id=current_user.id, now=datetime.now(UTC))
    session.commit()
    flash(
        "Dismissed: it will not be sent again."
        if dismissed
        else "Not dismissed: it is no longer waiting for a decision."
    )
    return _back_to_reports()
