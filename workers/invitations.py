"""Invite relationships to a wave and send the invitation emails."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from sqlmodel import Session, col, select

from survey import db
from survey.config import Settings
from survey.models import (
    Invitation,
    Project,
    Question,
    QuestionKind,
    Relationship,
    Stakeholder,
    Wave,
    utcnow,
)
from survey.passwords import invitation_token, new_salt, token_hash
from workers import context, mail, rendering

log = logging.getLogger(__name__)

SENDER = Address(display_name="Rapport", addr_spec="pulse@rapport.invalid")
# Long header values (List-Unsubscribe URLs) must stay plain text, not RFC 2047 encoded words.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def header_safe(text: str) -> str:
    """Text for a header: control characters (CR/LF above all) become spaces."""
    return _UNSAFE.sub(" ", text).strip()


def invite(
    session: Session, *, wave: Wave, relationships: Iterable[Relationship], secret_key: str
) -> list[Invitation]:
    """Create one invitation per relationship (existing ones are kept, not duplicated)."""
    existing = set(
        session.exec(select(Invitation.relationship_id).where(Invitation.wave_id == wave.id)).all()
    )
    created = []
    for relationship in relationships:
        if relationship.id in existing:
            continue
        salt = new_salt()
        invitation = Invitation(
            wave_id=wave.id,  # type: ignore[arg-type]
            relationship_id=relationship.id,  # type: ignore[arg-type]
            token_salt=salt,
            token_hash=token_hash(invitation_token(secret_key, salt)),
        )
        session.add(invitation)
        created.append(invitation)
    session.flush()
    return created


def survey_url(settings: Settings, invitation: Invitation) -> str:
    """The stakeholder's personal link."""
    return f"{settings.base_url}/s/{invitation_token(settings.secret_key, invitation.token_salt)}"


def compose(settings: Settings, session: Session, invitation: Invitation) -> EmailMessage:
    """The multipart invitation for one relationship."""
    wave = session.get(Wave, invitation.wave_id)
    relationship = session.get(Relationship, invitation.relationship_id)
    assert wave is not None and relationship is not None
    project = session.get(Project, relationship.project_id)
    stakeholder = session.get(Stakeholder, relationship.stakeholder_id)
    assert project is not None and stakeholder is not None
    first = session.exec(
        select(Question)
        .where(Question.template_id == wave.template_id, Question.kind == QuestionKind.scale_1_5)
        .order_by(col(Question.order))
    ).first()
    url = survey_url(settings, invitation)
    ctx = {
        "stakeholder": stakeholder,
        "project": project,
        "wave": wave,
        "url": url,
        "first_question": first,
        "unsubscribe_url": f"{url}/unsubscribe",
    }
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = header_safe(f"{project.name}: how are we doing? (1 minute)")
    message["From"] = SENDER
    message["To"] = Address(display_name=header_safe(stakeholder.name), addr_spec=stakeholder.email)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<invitation-{invitation.id}.w{wave.id}@rapport.invalid>"
    message["List-Unsubscribe"] = (
        f"<{ctx['unsubscribe_url']}>, <mailto:{SENDER.addr_spec}?subject=unsubscribe>"
    )
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendering.render("email/invitation.txt", **ctx), cte="8bit")
    message.add_alternative(rendering.render("email/invitation.html", **ctx), subtype="html")
    return message


def send_wave_invitations(wave_id: int) -> int:
    """Job: email every unsent invitation of a wave; safe to run twice."""
    settings = context.settings()
    sent = 0
    with db.session_scope(settings.database_url) as session:
        pending = session.exec(
            select(Invitation, Stakeholder)
            .join(Relationship, col(Relationship.id) == col(Invitation.relationship_id))
            .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
            .where(Invitation.wave_id == wave_id, col(Invitation.sent_at).is_(None))
            .order_by(col(Invitation.id))
        ).all()
        for invitation, stakeholder in pending:
            if stakeholder.unsubscribed_at is not None:
                continue
            mail.deliver(settings, compose(settings, session, invitation))
            invitation.sent_at = utcnow()
            session.add(invitation)
            session.commit()  # One commit per message: a crash never resends the ones done.
            sent += 1
    log.info("wave %s: %s invitations sent", wave_id, sent)
    return sent
