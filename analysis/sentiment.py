"""Sentiment of a stakeholder comment (first cut: plain TextBlob polarity)."""

from __future__ import annotations

from dataclasses import dataclass

from textblob import TextBlob

ANALYZER_VERSION = "textblob-plain-1"

# Polarity within this band reads as neutral: TextBlob gives small non-zero scores to
# factual sentences ("the report arrived on Monday").
NEUTRAL_BAND = 0.1


@dataclass(frozen=True)
class Sentiment:
    """The scored reading of one comment."""

    polarity: float
    subjectivity: float
    label: str
    themes: tuple[str, ...] = ()


def label_for(polarity: float) -> str:
    """Map a polarity in -1..1 to positive, negative or neutral."""
    if polarity > NEUTRAL_BAND:
        return "positive"
    if polarity < -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def score(text: str) -> Sentiment:
    """Score one comment."""
    blob = TextBlob(text or "")
    polarity, subjectivity = blob.sentiment
    return Sentiment(float(polarity), float(subjectivity), label_for(polarity))
