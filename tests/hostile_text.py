"""Payloads for the XSS tests, and what they look like once a browser took them for markup."""

from __future__ import annotations

import re

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
JS_URL = "javascript:alert(1)"
CLOSE = "</script><script>alert(2)</script>"
LINK = '<a href="javascript:alert(3)">click</a>'
PAYLOAD = f"{SCRIPT} {IMG} {TEMPLATE} {JS_URL} {CLOSE} {LINK}"

LIVE_MARKUP = re.compile(r"<script>alert|<img src=x|</script><script>|<a href=\"javascript", re.I)
LIVE_URL = re.compile(r"(?:href|src|action)\s*=\s*[\"']?\s*javascript:", re.I)


def assert_inert(html: str) -> None:
    """No payload survived as live markup or a javascript: link."""
    assert not LIVE_MARKUP.search(html), LIVE_MARKUP.search(html)
    assert not LIVE_URL.search(html), LIVE_URL.search(html)
