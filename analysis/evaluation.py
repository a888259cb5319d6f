"""Measuring the scorer: labelled sets, 3-class metrics, theme precision/recall, speed.

Labelled sets are either the project's CSV files (`text,label[,themes]`, themes separated
by ';' or '|') or the public tab-separated ground-truth files (`id, mean_rating, text`,
ratings -4..4), mapped to three classes with the rule in their README: positive above
0.5, negative below -0.5, neutral otherwise.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from textblob import TextBlob

from analysis.sentiment import score

LABELS = ("positive", "neutral", "negative")

# The public sets' README compares analysers with polarity thresholds of +-0.05.
PLAIN_TEXTBLOB_BAND = 0.05
RATING_BAND = 0.5

PUBLIC_SETS = {
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "tweets": "tweets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
    "movies": "movieReviewSnippets_GroundTruth.txt",
}


@dataclass(frozen=True)
class Example:
    """One labelled comment."""

    text: str
    label: str
    themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """Classification metrics of one analyser on one set."""

    n: int
    accuracy: float
    macro_f1: float
    confusion: tuple[tuple[int, ...], ...]  # rows gold, columns predicted, order LABELS


def confusion_matrix(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = LABELS
) -> list[list[int]]:
    """Counts with gold labels as rows and predictions as columns."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        matrix[index[g]][index[p]] += 1
    return matrix


def accuracy(matrix: Sequence[Sequence[int]]) -> float:
    """Share of items on the diagonal."""
    total = sum(sum(row) for row in matrix)
    return sum(matrix[i][i] for i in range(len(matrix))) / total if total else 0.0


def f1_per_class(matrix: Sequence[Sequence[int]]) -> list[float]:
    """F1 of each class (0.0 where a class is never gold nor predicted)."""
    scores = []
    for i in range(len(matrix)):
        tp = matrix[i][i]
        predicted = sum(row[i] for row in matrix)
        actual = sum(matrix[i])
        scores.append(2 * tp / (predicted + actual) if predicted + actual else 0.0)
    return scores


def macro_f1(matrix: Sequence[Sequence[int]]) -> float:
    """Unweighted mean of the per-class F1 scores."""
    scores = f1_per_class(matrix)
    return sum(scores) / len(scores) if scores else 0.0


def evaluate(examples: Sequence[Example], classify: Callable[[str], str]) -> Report:
    """Run a classifier over labelled examples and summarise it."""
    gold = [e.label for e in examples]
    predicted = [classify(e.text) for e in examples]
    matrix = confusion_matrix(gold, predicted)
    return Report(
        n=len(examples),
        accuracy=accuracy(matrix),
        macro_f1=macro_f1(matrix),
        confusion=tuple(tuple(row) for row in matrix),
    )


def theme_precision_recall(
    gold: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]]
) -> tuple[float, float]:
    """Micro-averaged precision and recall over (comment, theme) pairs."""
    tp = fp = fn = 0
    for g, p in zip(gold, predicted, strict=True):
        gs, ps = set(g), set(p)
        tp += len(gs & ps)
        fp += len(ps - gs)
        fn += len(gs - ps)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall


def theme_report(
    examples: Sequence[Example], detect: Callable[[str], Iterable[str]]
) -> dict[str, tuple[float, float]]:
    """Precision and recall overall ('all') and per theme."""
    predicted = [set(detect(e.text)) for e in examples]
    gold = [set(e.themes) for e in examples]
    out = {"all": theme_precision_recall(gold, predicted)}
    for theme in sorted(set().union(*gold, *predicted)):
        out[theme] = theme_precision_recall(
            [g & {theme} for g in gold], [p & {theme} for p in predicted]
        )
    return out


def label_from_rating(rating: float) -> str:
    """The public sets' rule: mean human rating -4..4 to three classes."""
    if rating > RATING_BAND:
        return "positive"
    if rating < -RATING_BAND:
        return "negative"
    return "neutral"


def load_csv(path: str | Path) -> list[Example]:
    """Read a `text,label[,themes]` CSV with a header row."""
    examples = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            label = (row.get("label") or "").strip().lower()
            if label not in LABELS:
                raise ValueError(f"{path}: unknown label {label!r}")
            themes = tuple(
                sorted(t.strip() for t in re.split(r"[;|]", row.get("themes") or "") if t.strip())
            )
            examples.append(Example(row["text"], label, themes))
    return examples


def load_public_set(path: str | Path) -> list[Example]:
    """Read a tab-separated ground-truth file (`id, mean_rating, text`)."""
    examples = []
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for line in fh:
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) < 3:
                continue
            try:
                rating = float(parts[1])
            except ValueError:
                continue
            examples.append(Example("\t".join(parts[2:]), label_from_rating(rating)))
    return examples


def load_any(path: str | Path) -> list[Example]:
    """Load a labelled set by its extension (.csv or the public .txt format)."""
    return load_csv(path) if str(path).lower().endswith(".csv") else load_public_set(path)


def plain_textblob_label(text: str) -> str:
    """Baseline: TextBlob's own polarity with the public sets' +-0.05 thresholds."""
    polarity = TextBlob(text).sentiment.polarity
    if polarity > PLAIN_TEXTBLOB_BAND:
        return "positive"
    if polarity < -PLAIN_TEXTBLOB_BAND:
        return "negative"
    return "neutral"


def rapport_label(text: str) -> str:
    """Rapport's label for a text."""
    return score(text).label


def rapport_themes(text: str) -> tuple[str, ...]:
    """Rapport's themes for a text."""
    return score(text).themes


def comments_per_second(texts: Sequence[str], classify: Callable[[str], object]) -> float:
    """Throughput of a scoring function over the texts (one pass, wall clock)."""
    start = time.perf_counter()
    for text in texts:
        classify(text)
    elapsed = time.perf_counter() - start
    return len(texts) / elapsed if elapsed > 0 else float("inf")


def speed_ratio(texts: Sequence[str], rounds: int = 3) -> float:
    """Rapport's comments per second divided by plain TextBlob's (best of `rounds`)."""

    def plain(text: str) -> object:
        return TextBlob(text).sentiment

    rapport = max(comments_per_second(texts, score) for _ in range(rounds))
    baseline = max(comments_per_second(texts, plain) for _ in range(rounds))
    return rapport / baseline
