"""Build the invitation and reminder emails of a wave."""

from __future__ import annotations

import re
from collections.abc import Iterable
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from sqlmodel import Session, col, select

from survey import actions, waves
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
from survey.passwords import invitation_token
from workers import mail, rendering

# The placeholder sender; what goes out is From RAPPORT_MAIL_FROM (see workers.mail.sender).
SENDER = mail.DEFAULT_SENDER
# Long header values (List-Unsubscribe URLs) must stay plain text, not RFC 2047 encoded words.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_KIND = re.compile(r"^(invitation|reminder-[1-9])$")


class UnsendableMessage(ValueError):
    """The message cannot be built (e.g. the stored address is not a valid address)."""


def header_safe(text: str) -> str:
    """Text for a header: control characters (CR/LF above all) become spaces."""
    return _UNSAFE.sub(" ", text).strip()


def invite(
    session: Session, *, wave: Wave, relationships: Iterable[Relationship], secret_key: str
) -> list[Invitation]:
    """Create one invitation per relationship (existing ones are kept, not duplicated)."""
    return waves.add_invitations(
        session, wave=wave, relationships=relationships, secret_key=secret_key
    )


def survey_url(settings: Settings, invitation: Invitation) -> str:
    """The stakeholder's personal link."""
    return f"{settings.base_url}/s/{invitation_token(settings.secret_key, invitation.token_salt)}"


def message_id(invitation: Invitation, kind: str) -> str:
    """Stable per invitation and kind: a resent message is recognisably the same one."""
    return f"<{kind}-{invitation.id}.w{invitation.wave_id}@rapport.invalid>"


def _recipient(stakeholder: Stakeholder) -> Address:
    try:
        return Address(display_name=header_safe(stakeholder.name), addr_spec=stakeholder.email)
    except (ValueError, IndexError) as exc:
        raise UnsendableMessage(f"not a valid email address: {stakeholder.email!r}") from exc


def _first_question(session: Session, template_id: int) -> Question | None:
    return session.exec(
        select(Question)
        .where(Question.template_id == template_id, Question.kind == QuestionKind.scale_1_5)
        .order_by(col(Question.order), col(Question.id))
    ).first()


def compose(
    settings: Settings, session: Session, invitation: Invitation, kind: str = "invitation"
) -> EmailMessage:
    """The multipart invitation (or reminder N) for one relationship."""
    if not _KIND.match(kind):
        raise ValueError(f"unknown message kind {kind!r}")
    wave = session.get(Wave, invitation.wave_id)
    relationship = session.get(Relationship, invitation.relationship_id)
    assert wave is not None and relationship is not None
    project = session.get(Project, relationship.project_id)
    stakeholder = session.get(Stakeholder, relationship.stakeholder_id)
    assert project is not None and stakeholder is not None
    url = survey_url(settings, invitation)
    reminder = kind.startswith("reminder-")
    ctx = {
        "stakeholder": stakeholder,
        "project": project,
        "wave": wave,
        "url": url,
        "first_question": _first_question(session, wave.template_id),
        "unsubscribe_url": f"{url}/unsubscribe",
        "reminder": reminder,
        "confidential": wave.attribution == "confidential",
        "you_said_we_did": actions.shared_for_invitation(session, project_id=project.id, wave=wave),  # type: ignore[arg-type]
    }
    subject = f"{project.name}: how are we doing? (1 minute)"
    sender = mail.sender(settings)
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = header_safe(f"Reminder: {subject}" if reminder else subject)
    message["From"] = sender
    message["To"] = _recipient(stakeholder)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id(invitation, kind)
    message["List-Unsubscribe"] = (
        f"<{ctx['unsubscribe_url']}>, <mailto:{sender.addr_spec}?subject=unsubscribe>"
    )
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendering.render("email/invitation.txt", **ctx), cte="8bit")
    message.add_alternative(rendering.render("email/invitation.html", **ctx), subtype="html")
    return message


def send_wave_invitations(wave_id: int) -> int:
    """Job: queue and send everything the wave owes now; safe to run twice."""
    from workers import deliveries  # deliveries imports this module: import at call time

    return deliveries.send_wave_mail(wave_id)
