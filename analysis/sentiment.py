"""Sentiment of a stakeholder comment, sentence by sentence, with themes and key phrases.

Each sentence is scored from TextBlob's adjective lexicon plus the project vocabulary in
analysis.lexicon, with negation ("never tells us the truth"), intensity ("very late"),
contrast ("good people, but the dates keep moving": the clause after "but" counts more)
and requests or questions damped towards neutral. The comment's polarity is the mean of
its sentiment-bearing sentences, so a neutral fact next to a complaint does not dilute it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis import lexicon as lx
from analysis.lexicon import lookup
from analysis.phrases import key_phrases
from analysis.text import looks_non_english, normalise, split_sentences, tokenize
from analysis.themes import detect

ANALYZER_VERSION = "rapport-2"

# Polarity within this band reads as neutral (the same +-0.05 the public benchmark sets use
# for TextBlob): a factual sentence that brushes one mild word is not a judgement.
NEUTRAL_BAND = 0.05

# How many content words a negator reaches across ("never tells us the truth").
NEGATION_SCOPE = 3
# "not good" is clearly bad, "not bad" only mildly good (an old, well-attested asymmetry).
NEGATE_POSITIVE = -0.7
NEGATE_NEGATIVE = -0.4
# Weight left on what came before "but"/"however" once the contrast arrives.
BEFORE_CONTRAST = 0.4
# Weight of a concession clause ("although the team is friendly, ...").
CONCESSION = 0.4
QUESTION_DAMPING = 0.3
REQUEST_DAMPING = 0.2
RHETORICAL_DAMPING = 0.8
EXCLAMATION_BOOST = 1.2

_CLAUSE_BREAKS = frozenset({",", ";", ":"})
_SENTENCE_CONTRAST = frozenset({"but", "however", "still", "yet", "nevertheless", "nonetheless"})


@dataclass(frozen=True)
class SentenceScore:
    """One sentence of a comment with its own reading."""

    text: str
    polarity: float
    subjectivity: float
    themes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "text": self.text,
            "polarity": round(self.polarity, 4),
            "subjectivity": round(self.subjectivity, 4),
            "themes": list(self.themes),
        }


@dataclass(frozen=True)
class Sentiment:
    """The scored reading of one comment."""

    polarity: float
    subjectivity: float
    label: str
    themes: tuple[str, ...] = ()
    sentences: tuple[SentenceScore, ...] = ()
    theme_polarity: tuple[tuple[str, float], ...] = ()
    key_phrases: tuple[str, ...] = ()
    flags: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, including the analyser version that produced it."""
        return {
            "polarity": round(self.polarity, 4),
            "subjectivity": round(self.subjectivity, 4),
            "label": self.label,
            "themes": list(self.themes),
            "sentences": [s.to_dict() for s in self.sentences],
            "theme_polarity": {k: round(v, 4) for k, v in self.theme_polarity},
            "key_phrases": list(self.key_phrases),
            "flags": list(self.flags),
            "analyzer_version": ANALYZER_VERSION,
        }


def label_for(polarity: float) -> str:
    """Map a polarity in -1..1 to positive, negative or neutral."""
    if polarity > NEUTRAL_BAND:
        return "positive"
    if polarity < -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def _is_negator(token: str) -> bool:
    """True for 'not', 'never', "didn't", 'without' and the like."""
    return token in lx.NEGATORS or token in lx.NEGATIVE_NEGATORS or token.endswith("n't")


def _starts_with(tokens: list[str], openers: tuple[tuple[str, ...], ...]) -> bool:
    """True when the token list begins with any of the opener sequences."""
    return any(tuple(tokens[: len(o)]) == o for o in openers)


@dataclass
class _Hit:
    polarity: float
    subjectivity: float
    weight: float


def score_tokens(tokens: list[str]) -> tuple[float, float, bool]:
    """(polarity, subjectivity, has_sentiment) of one tokenised sentence."""
    hits: list[_Hit] = []
    negator: str | None = None
    scope = 0
    remedy = 0
    boost = 1.0
    clause_weight = 1.0
    i, n = 0, len(tokens)

    def add(polarity: float, subjectivity: float) -> None:
        nonlocal negator, scope, boost, remedy
        polarity = max(-1.0, min(1.0, polarity * boost))
        if scope > 0:
            polarity *= NEGATE_POSITIVE if polarity > 0 else NEGATE_NEGATIVE
        elif remedy > 0 and polarity < 0:
            polarity *= lx.REMEDY_FACTOR
        elif polarity > 0 and _after_wish(tokens, i):
            polarity *= lx.WISH_FACTOR
        hits.append(_Hit(polarity, subjectivity, clause_weight))
        negator, scope, boost, remedy = None, 0, 1.0, 0

    def expire() -> None:
        # A "lack of ..." whose object carried no sentiment is still a complaint.
        nonlocal negator, scope
        if negator is not None and negator in lx.NEGATIVE_NEGATORS:
            hits.append(_Hit(lx.NEGATIVE_NEGATORS[negator], 0.5, clause_weight))
        negator, scope = None, 0

    while i < n:
        tok = tokens[i]
        span = _phrase_at(tokens, i)
        if span:
            length, phrase_polarity = span
            if phrase_polarity is not None:
                add(phrase_polarity, lx.DEFAULT_SUBJECTIVITY)
            i += length
            continue
        i += 1
        if tok in _CLAUSE_BREAKS:
            if scope:
                expire()
            clause_weight, boost = 1.0, 1.0
        elif tok == "!":
            if hits:
                hits[-1].polarity = max(-1.0, min(1.0, hits[-1].polarity * EXCLAMATION_BOOST))
        elif scope and tok in lx.NEGATION_BREAKERS:
            negator, scope = None, 0
        elif tok in lx.CONTRAST_AFTER:
            for hit in hits:
                hit.weight *= BEFORE_CONTRAST
            negator, scope, clause_weight = None, 0, 1.0
        elif tok in lx.CONCESSIONS:
            clause_weight = CONCESSION
        elif _is_negator(tok):
            negator, scope = tok, NEGATION_SCOPE
        elif tok == "too" and i < n and tokens[i][0].isalpha() and _not_praise(tokens[i]):
            value = lookup(tokens[i])
            add(value[0] * 1.3 if value else lx.TOO_POLARITY, 0.6)
            i += 1
        elif tok in lx.INTENSIFIERS:
            boost = lx.INTENSIFIERS[tok]
        else:
            value = lookup(tok)
            if value is not None:
                add(*value)
                if tok in lx.REMEDIES:
                    remedy = NEGATION_SCOPE
            elif tok in lx.REMEDIES:
                remedy = NEGATION_SCOPE
            elif scope and tok in lx.ABSENCE_NOUNS:
                hits.append(_Hit(lx.ABSENCE_POLARITY, 0.5, clause_weight))
                negator, scope = None, 0
            elif scope and tok not in lx.SCOPE_TRANSPARENT:
                scope -= 1
                if not scope:
                    expire()
            elif remedy and tok not in lx.SCOPE_TRANSPARENT:
                remedy -= 1
    if scope:
        expire()
    total = sum(h.weight for h in hits)
    if not hits or total == 0:
        return 0.0, 0.0, False
    polarity = sum(h.polarity * h.weight for h in hits) / total
    subjectivity = sum(h.subjectivity * h.weight for h in hits) / total
    return polarity * _mood_factor(tokens, polarity), min(1.0, subjectivity), True


def _not_praise(token: str) -> bool:
    """True when a word after 'too' is not itself praise ('too technical', 'too many')."""
    value = lookup(token)
    return token not in lx.SCOPE_TRANSPARENT and (value is None or value[0] <= 0)


def _after_wish(tokens: list[str], i: int) -> bool:
    """True when a word just before position i sits in 'would be' / 'could have been'."""
    window = tokens[max(0, i - 5) : i]
    for j, tok in enumerate(window):
        if tok in lx.WISH_MODALS and ("be" in window[j + 1 :] or "been" in window[j + 1 :]):
            return True
    return False


def _phrase_at(tokens: list[str], i: int) -> tuple[int, float | None] | None:
    """Longest known phrase starting at i: (length, polarity or None for a hedge)."""
    if tokens[i] not in lx.PHRASE_STARTS:
        return None
    for length in range(min(lx.MAX_PHRASE_TOKENS, len(tokens) - i), 1, -1):
        key = tuple(tokens[i : i + length])
        if key in lx.PHRASES:
            return length, lx.PHRASES[key]
        if key in lx.NEUTRAL_PHRASE_TOKENS:
            return length, None
    return None


def _mood_factor(tokens: list[str], polarity: float) -> float:
    """Damping for questions and requests, which ask for something rather than judge."""
    words = [t for t in tokens if t not in _CLAUSE_BREAKS]
    if _starts_with(words, lx.REQUEST_OPENERS):
        return REQUEST_DAMPING
    if tokens and tokens[-1] == "?":
        rhetorical = bool(words) and (
            words[0] in lx.RHETORICAL_OPENERS or tuple(words[:2]) == ("how", "come")
        )
        return RHETORICAL_DAMPING if rhetorical and polarity < 0 else QUESTION_DAMPING
    return 1.0


def score(text: str) -> Sentiment:
    """Score one comment: overall label, per-sentence scores, themes and key phrases."""
    clean = normalise(text or "")
    if not clean:
        return Sentiment(0.0, 0.0, "neutral")
    pieces = split_sentences(clean)
    token_lists = [tokenize(p) for p in pieces]
    if looks_non_english(clean, [t for ts in token_lists for t in ts]):
        # Guessing a label from English word lists would be noise; say so instead.
        neutral = tuple(SentenceScore(p, 0.0, 0.0) for p in pieces)
        return Sentiment(0.0, 0.0, "neutral", sentences=neutral, flags=("non_english",))

    sentences: list[SentenceScore] = []
    weights: list[float] = []
    for piece, tokens in zip(pieces, token_lists, strict=True):
        polarity, subjectivity, has_sentiment = score_tokens(tokens)
        if tokens and tokens[0] in _SENTENCE_CONTRAST and has_sentiment:
            # "The team is lovely. But nothing ships." The turn carries the verdict.
            weights = [w * BEFORE_CONTRAST for w in weights]
        sentences.append(SentenceScore(piece, polarity, subjectivity, detect(tokens)))
        weights.append(1.0 if has_sentiment else 0.0)

    total = sum(weights)
    polarity = sum(s.polarity * w for s, w in zip(sentences, weights, strict=True))
    subjectivity = sum(s.subjectivity * w for s, w in zip(sentences, weights, strict=True))
    polarity = polarity / total if total else 0.0
    subjectivity = subjectivity / total if total else 0.0
    themes = tuple(sorted({t for s in sentences for t in s.themes}))
    return Sentiment(
        polarity=polarity,
        subjectivity=subjectivity,
        label=label_for(polarity),
        themes=themes,
        sentences=tuple(sentences),
        theme_polarity=_theme_polarity(sentences, themes),
        key_phrases=key_phrases(token_lists),
    )


def _theme_polarity(
    sentences: list[SentenceScore], themes: tuple[str, ...]
) -> tuple[tuple[str, float], ...]:
    """Mean polarity of the sentences that mention each theme."""
    out = []
    for theme in themes:
        values = [s.polarity for s in sentences if theme in s.themes]
        out.append((theme, sum(values) / len(values)))
    return tuple(out)
