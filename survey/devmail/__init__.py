"""The development mailbox: read the .eml files the file transport wrote (never in production)."""

from flask import Blueprint

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")

from survey.devmail import views  # noqa: E402,F401
