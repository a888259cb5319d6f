"""GET shows the pulse (never records anything); POST validates and saves it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import bindparam
from sqlmodel import col, select

from survey import db, direct_sql, outbox
from survey.capture import bp, express, form_token, pulse, store
from survey.events import RESPONSE_SUBMITTED
from survey.models import (
    Invitation,
    Project,
    Relationship,
    Stakeholder,
    SurveyTemplate,
    Wave,
    utcnow,
)
from survey.passwords import token_hash
from survey.pulse_templates import template_questions
from survey.web.security import csrf
from survey.web.session import get_session, settings

# The rest of what the pulse pages show, besides the invitation and its wave.
_SHOWN = (Relationship, Project, Stakeholder, SurveyTemplate)


def _from_invitation(*entities):  # type: ignore[no-untyped-def]
    """SELECT `entities` from invitations joined to everything their pages show."""
    return (
        select(*entities)
        .select_from(Invitation)
        .join(Wave, col(Wave.id) == col(Invitation.wave_id))
        .join(Relationship, col(Relationship.id) == col(Invitation.relationship_id))
        .join(Project, col(Project.id) == col(Relationship.project_id))
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .join(SurveyTemplate, col(SurveyTemplate.id) == col(Wave.template_id))
    )


# Built once with bound parameters: building and keying a query costs more than running it.
_PAGE_BY_TOKEN = _from_invitation(Invitation, Wave, *_SHOWN).where(
    col(Invitation.token_hash) == bindparam("token_hash")
)


def _found(row):  # type: ignore[no-untyped-def]
    """The row a token found; 404 for unknown or tampered tokens."""
    if row is None:
        abort(404)
    return row


def _token_hash(token: str) -> str:
    # No link is this short or this long: answer before hashing or asking the database.
    if not 20 <= len(token) <= 100:
        abort(404)
    return token_hash(token)


def _by_token(query, token: str):  # type: ignore[no-untyped-def]
    """The row `query` finds for a token; 404 for unknown or tampered tokens."""
    return _found(get_session().exec(query, params={"token_hash": _token_hash(token)}).first())


def _context(invitation: Invitation, wave: Wave, shown: Sequence[Any]) -> dict:
    """What a pulse page shows; `shown` is a row of `_SHOWN`."""
    _relationship, project, stakeholder, template = shown
    return {
        "invitation": invitation,
        "wave": wave,
        "template": template,
        "project": project,
        "stakeholder": stakeholder,
        "questions": template_questions(get_session(), wave.template_id),
        "form_token": form_token.issue(invitation.token_hash),
    }


def _load(token: str):
    """The invitation behind a token and everything its pages show, in one query."""
    invitation, wave, *shown = _by_token(_PAGE_BY_TOKEN, token)
    return invitation, wave, _context(invitation, wave, shown)


def _closed_page(context: dict):
    return render_template("capture/closed.html", **context), 410


@bp.get("/<token>")
def pulse_form(token: str):
    """The pulse, pre-filled from saved answers or from a rating clicked in the email."""
    invitation, wave, context = _load(token)
    if not wave.is_open(utcnow()):
        return _closed_page(context)
    response = store.find_response(get_session(), invitation.id)  # type: ignore[arg-type]
    values = store.saved_answers(get_session(), response, context["questions"]) if response else {}
    values.update(pulse.prefill(context["questions"], request.args))
    return render_template(
        "capture/pulse.html", token=token, values=values, errors={}, saved=response, **context
    )


@csrf.exempt  # the form carries a token derived from the link instead: see form_token
@bp.post("/<token>")
def pulse_submit(token: str):
    """Validate and save; on error the form comes back with the answers kept."""
    express.raise_failure(request.environ)
    # Only what saving needs: a good submission shows no page, just redirects. The rarer
    # answers that do show a page load it in full.
    link_hash = _token_hash(token)
    with direct_sql.connect(db.get_engine(settings().database_url)) as conn:
        invited = _found(conn.first(store.BY_TOKEN, {"token_hash": link_hash}))
        form_token.check(link_hash, request.form.get(form_token.FIELD))
        if not Wave.accepts_answers(invited.status, invited.closes_at, utcnow()):
            return _closed_page(_load(token)[2])
        questions = template_questions(get_session(), invited.template_id)
        form = pulse.read_form(questions, request.form)
        if form.valid:
            event_id = store.submit(conn, invited, questions, form)
            # After commit: hand the event to the workers; if Redis is down the sweeper will.
            outbox.keep_promise(conn, settings().redis_url, RESPONSE_SUBMITTED.name, event_id)
            return redirect(url_for("capture.thanks", token=token), code=303)
    page = _load(token)[2]
    return (
        render_template(
            "capture/pulse.html",
            token=token,
            values=form.raw,
            errors=form.errors,
            saved=None,
            **page,
        ),
        400,
    )


@bp.get("/<token>/thanks")
def thanks(token: str):
    """Thank the stakeholder and tell them they can change their answers."""
    invitation, wave, context = _load(token)
    return render_template("capture/thanks.html", token=token, **context)


@bp.get("/<token>/unsubscribe")
def unsubscribe_confirm(token: str):
    """Ask before unsubscribing: a link scanner's GET must not opt anyone out."""
    _invitation, _wave, context = _load(token)
    return render_template("capture/unsubscribe.html", token=token, done=False, **context)


@csrf.exempt
@bp.post("/<token>/unsubscribe")
def unsubscribe(token: str):
    """Opt out of further pulses (RFC 8058 one-click POSTs carry no cookie or CSRF token)."""
    _invitation, _wave, context = _load(token)
    stakeholder = context["stakeholder"]
    if stakeholder.unsubscribed_at is None:
        stakeholder.unsubscribed_at = utcnow()
        session = get_session()
        session.add(stakeholder)
        session.commit()
    return render_template("capture/unsubscribe.html", token=token, done=True, **context)
