"""Analyzer: Rapport's score() against plain TextBlob on the same comments, rounds alternating."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textblob import TextBlob

from analysis import sentiment
from bench.comments import hostile_comments

# Each round scores at least this many comments, repeating a small set if needed.
MIN_COMMENTS_PER_ROUND = 500


@dataclass(frozen=True)
class AnalyzerResult:
    comments: int
    rapport_per_second: float
    textblob_per_second: float
    hostile_kind: str
    hostile_rapport_ms: float
    hostile_textblob_ms: float


def _textblob(text: str) -> object:
    return TextBlob(text).sentiment


def _rapport(text: str) -> object:
    return sentiment.score(text)


def _seconds(scorer: Callable[[str], object], texts: Sequence[str]) -> float:
    began = time.perf_counter()
    for text in texts:
        scorer(text)
    return time.perf_counter() - began


def _best_of(rounds: int, scorer: Callable[[str], object], text: str) -> float:
    return min(_seconds(scorer, [text]) for _ in range(rounds))


def run(comments: Sequence[str], *, rounds: int) -> AnalyzerResult:
    """Best round of each side (the least disturbed by other load), rounds interleaved."""
    texts = list(comments) * max(1, -(-MIN_COMMENTS_PER_ROUND // len(comments)))
    for scorer in (_rapport, _textblob):
        _seconds(scorer, texts[: len(comments)])  # load lexicons and fill caches first
    best = {_rapport: float("inf"), _textblob: float("inf")}
    for _ in range(rounds):
        for scorer in best:
            best[scorer] = min(best[scorer], _seconds(scorer, texts))
    worst_kind, worst = "", -1.0
    for kind, text in hostile_comments().items():
        seconds = _best_of(rounds, _rapport, text)
        if seconds > worst:
            worst_kind, worst = kind, seconds
    hostile = hostile_comments()[worst_kind]
    return AnalyzerResult(
        comments=len(texts),
        rapport_per_second=len(texts) / best[_rapport],
        textblob_per_second=len(texts) / best[_textblob],
        hostile_kind=worst_kind,
        hostile_rapport_ms=worst * 1000,
        hostile_textblob_ms=_best_of(rounds, _textblob, hostile) * 1000,
    )
