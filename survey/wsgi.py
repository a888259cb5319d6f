"""WSGI entry point for gunicorn: `gunicorn survey.wsgi:app`."""

from survey import create_app

app = create_app()
