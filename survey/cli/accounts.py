"""`rapport user create|grant|revoke` and `rapport token create`."""

from __future__ import annotations

from collections.abc import Callable

import click
from pydantic import ValidationError
from sqlmodel import Session, select

from survey import audit, db
from survey.models import Project, Role, TokenScope, User
from survey.models.people import UserCreate
from survey.passwords import hash_password


@click.group("user")
def user_group() -> None:
    """Dashboard accounts."""


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--name", default="", help="Display name (defaults to the email's local part).")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="pm", show_default=True)
@click.password_option(help="Prompted for when not given.")
def user_create(email: str, name: str, role: str, password: str) -> None:
    """Create a PM, admin or viewer account."""
    from survey.cli import settings_or_fail

    try:
        data = UserCreate(
            email=email.strip().lower(),
            name=name or email.split("@")[0],
            role=Role(role),
            password=password,
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise click.ClickException(f"{problem['loc'][0]}: {problem['msg']}") from exc
    settings = settings_or_fail()
    with db.session_scope(settings.database_url) as session:
        if session.exec(select(User).where(User.email == data.email)).first():
            raise click.ClickException(f"a user with email {data.email} already exists")
        user = User(
            email=data.email,
            name=data.name,
            role=data.role,
            password_hash=hash_password(data.password),
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor_id=None,
            action="user.create",
            target_kind="user",
            target_id=user.id,
            detail={"role": data.role.value, "via": "cli"},
        )
    click.echo(f"created {data.role.value} {data.email}")


def _user_by_email(session: Session, email: str) -> User:
    """The user with this email (any case), or the one-line error every command gives."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    return user


def _viewer_and_projects(
    session: Session, email: str, codes: tuple[str, ...]
) -> tuple[User, list[Project]]:
    """The user with this email and the projects with these codes, or a one-line error."""
    user = _user_by_email(session, email)
    projects = []
    for code in codes:
        project = session.exec(select(Project).where(Project.code == code.strip().upper())).first()
        if project is None:
            raise click.ClickException(f"no project with code {code}")
        projects.append(project)
    return user, projects


def _change_each_project(
    email: str, codes: tuple[str, ...], change: Callable[[Session, User, Project], str]
) -> None:
    """Apply `change` to the viewer on each named project in one transaction, then print the
    line it returned for each: only once committed, so nothing is reported that did not stick."""
    from survey.cli import settings_or_fail

    settings = settings_or_fail()
    with db.session_scope(settings.database_url) as session:
        viewer, projects = _viewer_and_projects(session, email, codes)
        lines = [change(session, viewer, project) for project in projects]
    for line in lines:
        click.echo(line)


PROJECT_CODES = click.option(
    "--project", "codes", required=True, multiple=True, help="Project code; repeat for more."
)


@user_group.command("grant")
@click.argument("email")
@PROJECT_CODES
def user_grant(email: str, codes: tuple[str, ...]) -> None:
    """Let a viewer read a project (pages, API, exports, digests)."""
    from survey import grants

    def grant(session: Session, viewer: User, project: Project) -> str:
        try:
            _grant, new = grants.grant(session, project=project, viewer=viewer, actor=None)
        except grants.GrantError as exc:
            raise click.ClickException(str(exc)) from exc
        state = "granted" if new else "already granted"
        return f"{state}: {viewer.email} may read {project.code}"

    _change_each_project(email, codes, grant)


@user_group.command("revoke")
@click.argument("email")
@PROJECT_CODES
def user_revoke(email: str, codes: tuple[str, ...]) -> None:
    """Take a project away from a viewer."""
    from survey import grants

    def revoke(session: Session, viewer: User, project: Project) -> str:
        gone = grants.revoke(session, project=project, viewer=viewer, actor=None)
        state = "revoked" if gone else "had no grant"
        return f"{state}: {viewer.email} on {project.code}"

    _change_each_project(email, codes, revoke)


@click.group("token")
def token_group() -> None:
    """API bearer tokens."""


@token_group.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--label", default="", help="What the token is for.")
@click.option(
    "--scope",
    type=click.Choice([s.value for s in TokenScope]),
    default=TokenScope.read.value,
    show_default=True,
    help="read, or write (which can also read).",
)
@click.option(
    "--expires-in-days",
    type=click.IntRange(1, 3650),
    default=365,
    show_default=True,
    help="Days until the token stops working.",
)
def token_create(email: str, label: str, scope: str, expires_in_days: int) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from survey import api_tokens
    from survey.cli import settings_or_fail
    from survey.pm_actions import InputError

    settings = settings_or_fail()
    with db.session_scope(settings.database_url) as session:
        user = _user_by_email(session, email)
        try:
            _token, raw = api_tokens.create(
                session,
                user=user,
                label=label,
                scope=scope,
                expires_in_days=expires_in_days,
                via="cli",
            )
        except InputError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
        click.echo(raw)
