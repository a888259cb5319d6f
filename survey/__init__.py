"""Rapport's web app, data model, outbox and command line."""

from survey.app import create_app

__all__ = ["create_app"]
