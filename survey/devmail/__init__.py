"""The development mailbox: the .eml files the file transport wrote.

Never registered in production, and only for signed-in users: every message holds a survey link.
"""

from flask import Blueprint

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")

from survey.devmail import views  # noqa: E402,F401
