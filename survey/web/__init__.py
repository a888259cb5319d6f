"""Pieces every blueprint shares: the request session, login, security headers, errors."""
