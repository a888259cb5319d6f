"""GET shows the pulse (never records anything); POST validates and saves it."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from sqlmodel import select

from survey import outbox
from survey.capture import bp, pulse, store
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
from survey.pulse_templates import questions_of
from survey.web.security import csrf
from survey.web.session import get_session, settings


def _load(token: str):
    """The invitation behind a token and its context; 404 for unknown or tampered tokens."""
    session = get_session()
    if not 20 <= len(token) <= 100:
        abort(404)
    invitation = session.exec(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    ).first()
    if invitation is None:
        abort(404)
    wave = session.get(Wave, invitation.wave_id)
    relationship = session.get(Relationship, invitation.relationship_id)
    assert wave is not None and relationship is not None
    context = {
        "invitation": invitation,
        "wave": wave,
        "template": session.get(SurveyTemplate, wave.template_id),
        "project": session.get(Project, relationship.project_id),
        "stakeholder": session.get(Stakeholder, relationship.stakeholder_id),
        "questions": questions_of(session, wave.template_id),
    }
    return invitation, wave, context


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


@bp.post("/<token>")
def pulse_submit(token: str):
    """Validate and save; on error the form comes back with the answers kept."""
    invitation, wave, context = _load(token)
    if not wave.is_open(utcnow()):
        return _closed_page(context)
    form = pulse.read_form(context["questions"], request.form)
    if not form.valid:
        return (
            render_template(
                "capture/pulse.html",
                token=token,
                values=form.raw,
                errors=form.errors,
                saved=None,
                **context,
            ),
            400,
        )
    session = get_session()
    event_id = store.save(session, invitation, context["questions"], form)
    # After commit: hand the event to the workers; if Redis is down the sweeper will.
    outbox.dispatch(session, settings().redis_url, [event_id])
    return redirect(url_for("capture.thanks", token=token), code=303)


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
