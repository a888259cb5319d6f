"""Read and validate a pulse form against its template's questions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from survey.models import Question, QuestionKind
from survey.models.responses import COMMENT_MAX_CHARS

SCALE_RANGES = {QuestionKind.scale_1_5: (1, 5), QuestionKind.nps_0_10: (0, 10)}


@dataclass
class PulseForm:
    """What the stakeholder entered, the cleaned values and an error per bad field."""

    raw: dict[str, str] = field(default_factory=dict)
    values: dict[str, int | str | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def _clean_scale(question: Question, raw: str) -> tuple[int | None, str | None]:
    low, high = SCALE_RANGES[question.kind]
    if raw == "":
        return None, "Please choose a rating." if question.required else None
    try:
        value = int(raw)
    except ValueError:
        return None, f"Choose a whole number from {low} to {high}."
    if not low <= value <= high:
        return None, f"Choose a rating from {low} to {high}."
    return value, None


def _clean_text(question: Question, raw: str) -> tuple[str | None, str | None]:
    text = raw.replace("\r\n", "\n").strip()
    if len(text) > COMMENT_MAX_CHARS:
        return text, f"Please keep this under {COMMENT_MAX_CHARS:,} characters ({len(text):,} now)."
    if not text and question.required:
        return None, "Please write a few words."
    return text or None, None


def _clean_choice(question: Question, raw: str) -> tuple[str | None, str | None]:
    options = [c for c in question.choices.split("|") if c]
    if raw == "":
        return None, "Please choose an option." if question.required else None
    if raw not in options:
        return None, "Choose one of the options shown."
    return raw, None


def read_form(questions: Sequence[Question], data: Mapping[str, str]) -> PulseForm:
    """Validate every question's field; unknown fields are ignored."""
    form = PulseForm()
    for question in questions:
        raw = (
            (data.get(question.key) or "").strip()
            if question.kind != QuestionKind.text
            else (data.get(question.key) or "")
        )
        form.raw[question.key] = raw
        if question.kind in SCALE_RANGES:
            value, error = _clean_scale(question, raw)
        elif question.kind == QuestionKind.text:
            value, error = _clean_text(question, raw)  # type: ignore[assignment]
        else:
            value, error = _clean_choice(question, raw)  # type: ignore[assignment]
        form.values[question.key] = value
        if error:
            form.errors[question.key] = error
    return form


def prefill(questions: Sequence[Question], args: Mapping[str, str]) -> dict[str, str]:
    """Ratings clicked in an email (?satisfaction=4) that are in range; others dropped."""
    chosen: dict[str, str] = {}
    for question in questions:
        if question.kind in SCALE_RANGES and question.key in args:
            value, error = _clean_scale(question, args[question.key].strip())
            if value is not None and error is None:
                chosen[question.key] = str(value)
    return chosen
