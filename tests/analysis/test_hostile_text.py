"""Hostile, odd and foreign input: never crash, stay linear, flag non-English."""

from __future__ import annotations

import time

import pytest

from analysis.sentiment import score
from analysis.text import MAX_CHARS, normalise, split_sentences, tokenize

HOSTILE = [
    "😡" * 5000,
    "🎉🎉🎉 great 🎉🎉🎉" * 300,
    "\x00\x01\x02late\x07\x1b[31m again\x7f",
    "‮The project is late‬ \u200b\u200b\u200b",
    "מאוחר מדי, שוב פעם",
    "a" * 2000,
    "x" * 2000 + " late",
    "<script>alert('x')</script><b>Great</b> work <img src=x onerror=alert(1)>",
    "<script>" * 500,
    "<" * 3000,
    "!!!???...,,,;;;" * 200,
    "((((((((((((" * 200,
    "&lt;b&gt;bad&lt;/b&gt; &amp;&amp;&amp;",
    "\ud800 lone surrogate",
    "\n" * 1000,
    "late " * 2000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_never_crashes(text):
    result = score(text)
    assert result.label in {"positive", "negative", "neutral"}
    assert -1.0 <= result.polarity <= 1.0
    assert 0.0 <= result.subjectivity <= 1.0
    result.to_dict()


def test_script_content_is_not_scored():
    result = score("<script>var awful = 'terrible horrible';</script>The rollout went well.")
    assert result.label == "positive"
    assert "awful" not in " ".join(s.text for s in result.sentences)


def test_markup_and_controls_are_removed():
    clean = normalise("<p>On\x00 track</p>\u202e &amp; \u200bfine")
    assert clean == "On track & fine"


def test_emoji_carry_sentiment_and_floods_do_not_blow_up():
    assert score("Go-live weekend 👍👍").label == "positive"
    assert score("Another delay 😡").label == "negative"
    assert len(tokenize("🦄" * 5000)) == 0


def test_giant_word_is_dropped_not_scored():
    assert tokenize("a" * 2000) == []
    assert score("a" * 2000 + " late").label == "negative"


def test_input_is_capped():
    assert len(normalise("late " * 10_000)) <= MAX_CHARS


def test_abbreviations_do_not_split_sentences():
    assert split_sentences("We use e.g. the PMO report. It is fine.") == [
        "We use e.g. the PMO report.",
        "It is fine.",
    ]


def _seconds(text: str) -> float:
    start = time.perf_counter()
    score(text)
    return time.perf_counter() - start


@pytest.mark.parametrize(
    "unit",
    ["😡", "<script>", "<", "a", "late, but good! ", "(", "x" * 1999 + " "],
)
def test_time_grows_linearly(unit):
    small = unit * max(1, 600 // len(unit))
    large = small * 4
    # Warm caches, then compare: four times the input may cost at most ~4x (with slack).
    _seconds(small)
    t_small = min(_seconds(small) for _ in range(3))
    t_large = min(_seconds(large) for _ in range(3))
    assert t_large < max(t_small * 12, 0.05)


@pytest.mark.parametrize(
    "text",
    [
        "Le projet est en retard et nous ne sommes pas contents du tout.",
        "Das Projekt ist nicht gut und die Kommunikation ist sehr schlecht.",
        "El proyecto está muy retrasado y la comunicación es mala.",
        "Il progetto è in ritardo e non siamo soddisfatti della comunicazione.",
        "Het project loopt niet goed en de communicatie is slecht.",
        "プロジェクトは遅れています",
        "المشروع متأخر جدا",
        "Проект сильно отстаёт от графика.",
    ],
)
def test_non_english_is_neutral_and_flagged(text):
    result = score(text)
    assert result.flags == ("non_english",)
    assert result.label == "neutral" and result.polarity == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "Great job!",
        "ok",
        "Late again.",
        "Dates slipped.",
        "Excellent delivery, proactive updates, great team.",
        "The café at the office ran out of croissants during the UAT kick-off.",
        "Kudos to the PMO - très bien as our Paris colleagues say!",
    ],
)
def test_english_is_not_flagged(text):
    assert "non_english" not in score(text).flags
