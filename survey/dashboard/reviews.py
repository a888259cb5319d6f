"""Quarterly review packs: the printable page, its PDF and the CSV of its numbers."""

from __future__ import annotations

from flask import Response, abort, render_template, url_for
from flask_login import current_user, login_required

from survey import queries, review_render, reviews
from survey.dashboard import bp
from survey.models import Project, utcnow
from survey.quarters import Quarter
from survey.web.session import get_session

QUARTERS_LISTED = 8


def _project(code: str) -> Project:
    project = queries.project_for(get_session(), user=current_user, code=code)
    if project is None:
        abort(404)
    return project


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError:
        abort(404)


def _pack(code: str, quarter: str) -> reviews.ReviewPack:
    return reviews.build(get_session(), project=_project(code), quarter=_quarter(quarter))


@bp.get("/projects/<code>/reviews")
@login_required
def review_index(code: str):
    """The project's recent quarters, each linking to its review pack."""
    project = _project(code)
    current = Quarter.containing(utcnow())
    quarters = [current]
    while len(quarters) < QUARTERS_LISTED:
        quarters.append(quarters[-1].previous())
    return render_template("review/index.html", project=project, quarters=quarters)


@bp.get("/projects/<code>/reviews/<quarter>")
@login_required
def review(code: str, quarter: str):
    """The review pack as a printable page (no scripts), with links to PDF and CSV."""
    pack = _pack(code, quarter)
    links = {
        "Back to the project": url_for("dashboard.project", code=pack.project.code),
        "PDF": url_for("dashboard.review_pdf", code=pack.project.code, quarter=str(pack.quarter)),
        "CSV of the numbers": url_for(
            "dashboard.review_csv", code=pack.project.code, quarter=str(pack.quarter)
        ),
    }
    return review_render.html(pack, links=links)


def _download(body: bytes | str, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/projects/<code>/reviews/<quarter>/pack.pdf")
@login_required
def review_pdf(code: str, quarter: str):
    """The review pack as a PDF."""
    pack = _pack(code, quarter)
    name = f"{pack.project.code}-review-{pack.quarter}.pdf"
    return _download(review_render.pdf(pack), "application/pdf", name)


@bp.get("/projects/<code>/reviews/<quarter>/pack.csv")
@login_required
def review_csv(code: str, quarter: str):
    """Every number behind the pack's tables and charts, as CSV."""
    pack = _pack(code, quarter)
    name = f"{pack.project.code}-review-{pack.quarter}.csv"
    return _download(review_render.to_csv(pack), "text/csv; charset=utf-8", name)
