"""Answer pulses over real HTTP: GET the form (cookie + CSRF token), POST the answers."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def submit(base: str, token: str, answers: dict[str, str]) -> int:
    """Status of the final page after submitting (200 = thank-you page)."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base}/s/{token}", timeout=30) as page:
        match = CSRF.search(page.read().decode())
    assert match, "form has no CSRF token"
    body = urllib.parse.urlencode({**answers, "csrf_token": match.group(1)}).encode()
    try:
        with opener.open(f"{base}/s/{token}", data=body, timeout=60) as done:
            text = done.read().decode()
            return 200 if "Thank you" in text else 599
    except urllib.error.HTTPError as exc:
        return exc.code
