"""The comments every benchmark scores: the labelled domain set when present, else the demo's."""

from __future__ import annotations

import csv

from bench.procs import ROOT

DOMAIN_SET = ROOT / "tests" / "data" / "domain_comments.csv"


def load_comments() -> tuple[list[str], str]:
    """(comments, where they came from)."""
    if DOMAIN_SET.exists():
        with DOMAIN_SET.open(newline="", encoding="utf-8") as handle:
            texts = [row["text"].strip() for row in csv.DictReader(handle) if row.get("text")]
        texts = [t for t in texts if t]
        if texts:
            return texts, str(DOMAIN_SET.relative_to(ROOT))
    from survey.demo_comments import NEGATIVE, NEUTRAL, POSITIVE

    return [*POSITIVE, *NEUTRAL, *NEGATIVE], "survey/demo_comments.py"


# "The project is late" in Hebrew and Arabic.
RIGHT_TO_LEFT = "\u05d4\u05e4\u05e8\u05d5\u05d9\u05e7\u05d8 \u0645\u062a\u0623\u062e\u0631 "


def hostile_comments(length: int = 2000) -> dict[str, str]:
    """Inputs built to hurt a tokenizer or a lexicon lookup, each exactly `length` characters."""
    kinds = {
        "one long word": "a" * length,
        "emoji flood": "\U0001f620\U0001f525" * length,
        "markup and script": '<script>alert("x")</script><b onmouseover=x>late</b> ' * length,
        "control characters": "late\x00\x07\x1b[31m\u202e \t" * length,
        "right-to-left text": RIGHT_TO_LEFT * length,
        "negations and contrasts": "not never but however no late, not on track; " * length,
        "punctuation storm": "!?.,;:" * length,
        "one endless sentence": "the team is late and over budget and we feel ignored and "
        * length,
    }
    return {name: text[:length] for name, text in kinds.items()}
