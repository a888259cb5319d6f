"""My API tokens: create (the raw token is shown once), list and revoke your own tokens."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from survey import api_tokens
from survey.dashboard import bp
from survey.models import Role, TokenScope, utcnow
from survey.pm_actions import InputError
from survey.web.session import get_session


def _page(*, form=None, errors=None, raw_token: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    tokens = api_tokens.tokens_of(get_session(), user=current_user)
    scopes = [TokenScope.read] if current_user.role == Role.viewer else list(TokenScope)
    page = render_template(
        "dashboard/api_tokens.html",
        tokens=tokens,
        form=form or {},
        errors=errors or {},
        raw_token=raw_token,
        scopes=scopes,
        now=utcnow(),
    )
    # The page may carry a raw token: no cache may keep it.
    return page, status, {"Cache-Control": "no-store"}


@bp.get("/account/tokens")
@login_required
def api_tokens_page():
    """Your API tokens, with a form to create one."""
    return _page()


@bp.post("/account/tokens")
@login_required
def api_token_create():
    """Create a token; the page shows it once and never again."""
    session = get_session()
    data = {
        "label": request.form.get("label", "").strip(),
        "scope": request.form.get("scope", TokenScope.read.value),
        "expires_in_days": request.form.get("expires_in_days", "").strip() or "365",
    }
    try:
        _token, raw = api_tokens.create_from_form(session, user=current_user, data=data)
    except InputError as exc:
        session.rollback()
        return _page(form=request.form, errors=exc.fields, status=400)
    session.commit()
    return _page(raw_token=raw)


@bp.post("/account/tokens/revoke")
@login_required
def api_token_revoke():
    """Revoke one of your tokens: it stops working at once."""
    session = get_session()
    raw_id = request.form.get("token_id", "")
    token = None
    if raw_id.isdigit():
        token = api_tokens.revoke(session, user=current_user, token_id=int(raw_id))
    if token is None:
        flash("No such token of yours; nothing was revoked.")
    else:
        session.commit()
        flash(f"Token {token.label or token.id} revoked.")
    return redirect(url_for("dashboard.api_tokens_page"))
