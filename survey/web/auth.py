"""Login for PMs, admins and viewers (Flask-Login, CSRF-protected form)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from sqlmodel import select

from survey import audit
from survey.models import User
from survey.passwords import check_password
from survey.web.session import get_session

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see this page."


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The logged-in user, or None if removed, deactivated or logged out since."""
    ident, _, version = user_id.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = get_session().get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an attacker's ?next=https://evil must not redirect off-site.
    same_site = target and target.startswith("/") and not target.startswith("//")
    if same_site and not urlsplit(target).netloc and "\\" not in target:  # type: ignore[arg-type]
        return target  # type: ignore[return-value]
    return url_for("dashboard.portfolio")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and sign the user in."""
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        user = get_session().exec(select(User).where(User.email == email)).first()
        if user is None or not user.active or not check_password(user.password_hash, password):
            error = "Email or password is not right."
            _audit(None, "auth.login_failed", user.id if user else None)
        else:
            # A fresh session at login: nothing planted before it survives (no fixation).
            cookie_session.clear()
            login_user(user)
            _audit(user.id, "auth.login", user.id)
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, email=email), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out."""
    user = get_session().get(User, current_user.id)
    user.session_version += 1  # type: ignore[union-attr]
    _audit(current_user.id, "auth.logout", current_user.id)
    logout_user()
    cookie_session.clear()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


def _audit(actor_id: int | None, action: str, user_id: int | None) -> None:
    session = get_session()
    audit.record(session, actor_id=actor_id, action=action, target_kind="user", target_id=user_id)
    session.commit()


def init_app(app: Flask) -> None:
    """Attach Flask-Login and the login pages."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
