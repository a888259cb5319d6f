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

ANALYZER_VERSION = "rapport-3"

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
QUESTION_DAMPING = 0.15
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
    """True for 'not', 'never', "didn't", 'without', 'nobody' and the like."""
    return (
        token in lx.NEGATORS
        or token in lx.NEGATIVE_NEGATORS
        or token in lx.NEGATIVE_SUBJECTS
        or token.endswith("n't")
    )


def _starts_with(tokens: list[str], openers: tuple[tuple[str, ...], ...]) -> bool:
    """True when the token list begins with any of the opener sequences."""
    if not tokens or tokens[0] not in lx.OPENER_FIRST_WORDS:
        return False
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
    passed = 0  # content words the current negator has reached across
    remedy = 0
    boost = 1.0
    clause_weight = 1.0
    clause_start = 0  # first hit of the current clause
    raised = -1  # first hit a raised negation ("don't feel ...") applies to
    raised_open = False
    hypothetical = False  # inside an "if ..." clause
    i, n = 0, len(tokens)
    words = [t for t in tokens if t not in _CLAUSE_BREAKS]
    request = _starts_with(words, lx.REQUEST_OPENERS)
    sarcasm = _sarcasm_frame(tokens)

    def add(polarity: float, subjectivity: float) -> None:
        nonlocal negator, scope, boost, remedy, passed
        polarity = max(-1.0, min(1.0, polarity * boost))
        if scope > 0:
            polarity *= NEGATE_POSITIVE if polarity > 0 else NEGATE_NEGATIVE
        elif remedy > 0 and polarity < 0:
            polarity *= lx.REMEDY_FACTOR
        elif polarity > 0 and _after_wish(tokens, i):
            polarity *= lx.WISH_FACTOR
        if hypothetical:
            polarity *= lx.HYPOTHETICAL_DAMPING
        hits.append(_Hit(polarity, subjectivity, clause_weight))
        negator, scope, boost, remedy, passed = None, 0, 1.0, 0, 0

    def expire() -> None:
        # A "lack of ..." or "nobody ..." whose object carried no sentiment is still a
        # complaint; "... and it wasn't" negates the judgement that came before it.
        nonlocal negator, scope, passed
        if negator is not None:
            if negator in lx.NEGATIVE_NEGATORS:
                hits.append(_Hit(lx.NEGATIVE_NEGATORS[negator], 0.5, clause_weight))
            elif negator in lx.NEGATIVE_SUBJECTS:
                hits.append(_Hit(lx.NEGATIVE_SUBJECTS[negator], 0.5, clause_weight))
            elif passed == 0 and negator in lx.ELLIPTICAL and hits:
                before = hits[-1]
                factor = NEGATE_POSITIVE if before.polarity > 0 else NEGATE_NEGATIVE
                for hit in hits:
                    hit.weight *= BEFORE_CONTRAST
                hits.append(_Hit(before.polarity * factor, before.subjectivity, 1.0))
        negator, scope, passed = None, 0, 0

    def close_clause() -> None:
        nonlocal raised, clause_start, hypothetical
        if scope:
            expire()
        if raised >= 0:
            if len(hits) > raised:
                last = hits[-1]
                last.polarity *= NEGATE_POSITIVE if last.polarity > 0 else NEGATE_NEGATIVE
            elif not raised_open:
                hits.append(_Hit(lx.RAISED_DOUBT, 0.5, clause_weight))
            raised = -1
        clause_start = len(hits)
        hypothetical = False

    while i < n:
        tok = tokens[i]
        span = _phrase_at(tokens, i) if tok in lx.SPAN_STARTS else None
        if span:
            length, phrase_polarity = span
            if phrase_polarity is not None:
                add(phrase_polarity, lx.DEFAULT_SUBJECTIVITY)
                if tuple(tokens[i : i + length]) in lx.DEFLATORS:
                    # "optimistic at best": the praise before it is a complaint.
                    for hit in hits[clause_start:-1]:
                        if hit.polarity > 0:
                            hit.polarity *= NEGATE_POSITIVE
            i += length
            continue
        i += 1
        if tok in _CLAUSE_BREAKS:
            close_clause()
            clause_weight, boost = 1.0, 1.0
        elif tok == "!":
            if hits:
                hits[-1].polarity = max(-1.0, min(1.0, hits[-1].polarity * EXCLAMATION_BOOST))
        elif scope and tok in lx.NEGATION_BREAKERS:
            negator, scope = None, 0
        elif tok in lx.CONTRAST_AFTER:
            close_clause()
            for hit in hits:
                hit.weight *= BEFORE_CONTRAST
            negator, scope, clause_weight = None, 0, 1.0
        elif tok in lx.CONCESSIONS:
            clause_weight = CONCESSION
        elif tok in lx.HYPOTHETICALS:
            hypothetical = True
        elif tok == "even" and i < n and tokens[i] in ("when", "though", "if"):
            clause_weight = CONCESSION
        elif tok == "no" and i < n and tokens[i] == "one":
            negator, scope, passed = "nobody", NEGATION_SCOPE, 0
            i += 1
        elif _is_negator(tok):
            if (
                i < n
                and tokens[i] in lx.RAISERS
                or (i + 1 < n and tokens[i] in lx.INTENSIFIERS and tokens[i + 1] in lx.RAISERS)
            ):
                # "I don't feel ...", "not entirely convinced ...": the negation is about
                # the judgement at the end of the clause.
                j = i + 1 if tokens[i] in lx.RAISERS else i + 2
                if j < n and tokens[j] in lx.EMBEDDED_QUESTION_WORDS:
                    # "never sure who to contact": not knowing is the complaint.
                    hits.append(_Hit(lx.RAISED_DOUBT, 0.5, clause_weight))
                else:
                    raised = len(hits)
                    raised_open = j >= n or tokens[j] in lx.OPEN_QUESTION_WORDS
                i = j
            else:
                negator, scope, passed = tok, NEGATION_SCOPE, 0
        elif tok == "too" and i < n and tokens[i][0].isalpha() and _not_praise(tokens[i]):
            value = lookup(tokens[i])
            add(value[0] * 1.3 if value and value[0] < 0 else lx.TOO_POLARITY, 0.6)
            i += 1
        elif tok == "well" and i < n and _is_participle(tokens[i]):
            add(lx.WELL_DONE_POLARITY, lx.DEFAULT_SUBJECTIVITY)
            i += 1
        elif tok in lx.INTENSIFIERS:
            boost = lx.INTENSIFIERS[tok]
        else:
            if scope and tok in lx.ABSENCE_NOUNS:
                # "nobody has returned my calls", "never answers": absence is the complaint.
                hits.append(_Hit(lx.ABSENCE_POLARITY, 0.5, clause_weight))
                negator, scope = None, 0
                continue
            value = None if request and tok in lx.POLITE_WORDS else lookup(tok)
            if value is not None and value[0] < 0 and _names_an_artefact(tokens, i):
                # "the defect list", "number of open defects": a thing, not a problem.
                value = None
            if value is not None:
                add(*value)
                if tok in lx.REMEDIES:
                    remedy = NEGATION_SCOPE
            elif tok in lx.REMEDIES:
                remedy = NEGATION_SCOPE
            elif scope and tok not in lx.SCOPE_TRANSPARENT:
                scope -= 1
                passed += 1
                if not scope:
                    expire()
            elif remedy and tok not in lx.SCOPE_TRANSPARENT:
                remedy -= 1
    close_clause()
    if sarcasm and hits and not any(h.polarity > 0 for h in hits[1:]):
        rest_negative = any(h.polarity < 0 for h in hits[1:])
        if rest_negative or sarcasm == "cue":
            # "Great, another slip." The praise is ironic.
            if hits[0].polarity > 0:
                hits[0].polarity = lx.SARCASM_POLARITY
            else:
                hits.insert(0, _Hit(lx.SARCASM_POLARITY, 0.8, 1.0))
    elif sarcasm == "cue" and not hits:
        hits.append(_Hit(lx.SARCASM_POLARITY, 0.8, 1.0))
    if not hits and tokens and tokens[-1] == "?" and _challenges(words):
        # "What is actually happening?" asks for an account, not information.
        hits.append(_Hit(lx.CHALLENGE_POLARITY, 0.5, 1.0))
    total = sum(h.weight for h in hits)
    if not hits or total == 0:
        return 0.0, 0.0, False
    polarity = sum(h.polarity * h.weight for h in hits) / total
    subjectivity = sum(h.subjectivity * h.weight for h in hits) / total
    mood = _mood_factor(tokens, words, polarity, request)
    return polarity * mood, min(1.0, subjectivity), True


def _sarcasm_frame(tokens: list[str]) -> str:
    """'open' for "Great, ..." / "Oh good, ...", 'cue' for "Great, another ...", else ''."""
    k = 0
    if len(tokens) > 1 and tokens[0] in ("oh", "just", "well", "so"):
        k = 1
    if k >= len(tokens) or tokens[k] not in lx.SARCASM_OPENERS:
        return ""
    nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
    after = tokens[k + 2] if k + 2 < len(tokens) else ""
    if nxt in lx.SARCASM_CUES or (nxt in (",", "!", ":") and after in lx.SARCASM_CUES):
        return "cue"
    return "open" if nxt in (",", "!", ":") and after else ""


def _is_participle(token: str) -> bool:
    """A past participle after 'well' ('well run', 'well tested', 'well thought')."""
    return token in lx.WELL_PARTICIPLES or (token.endswith("ed") and len(token) > 4)


def _names_an_artefact(tokens: list[str], i: int) -> bool:
    """True when the problem word just read (tokens[i - 1]) names a list or a process."""
    if i < len(tokens) and tokens[i] in lx.ARTEFACT_HEADS:
        return True
    window = tokens[max(0, i - 4) : i - 1]
    return any(a in lx.COUNT_NOUNS and b == "of" for a, b in zip(window, window[1:], strict=False))


def _challenges(words: list[str]) -> bool:
    """A question that asks for an account ('what is actually happening?')."""
    return any(w in lx.CHALLENGE_WORDS for w in words) and not (
        "even" in words and any(w in ("though", "if", "when") for w in words)
    )


def _not_praise(token: str) -> bool:
    """True when 'too' before this word is excess ('too technical', 'too early'), not
    the praise of 'too good to miss' or 'too kind'."""
    value = lookup(token)
    return token not in lx.SCOPE_TRANSPARENT and (
        value is None or value[0] <= 0 or token not in lx.TOO_PRAISE
    )


def _after_wish(tokens: list[str], i: int) -> bool:
    """True when a word just before position i sits in 'would be' / 'could have been'."""
    window = tokens[max(0, i - 5) : i]
    for j, tok in enumerate(window):
        if tok in lx.WISH_MODALS and ("be" in window[j + 1 :] or "been" in window[j + 1 :]):
            return True
    return False


def _phrase_at(tokens: list[str], i: int) -> tuple[int, float | None] | None:
    """Longest known phrase starting at i: (length, polarity or None for a hedge)."""
    if tokens[i] in lx.CUES:
        cue = lx.cue_at(tokens, i)
        if cue is not None:
            return cue
    if tokens[i] not in lx.PHRASE_STARTS:
        return None
    for length in range(min(lx.MAX_PHRASE_TOKENS, len(tokens) - i), 1, -1):
        key = tuple(tokens[i : i + length])
        if key in lx.PHRASES:
            return length, lx.PHRASES[key]
        if key in lx.NEUTRAL_PHRASE_TOKENS:
            return length, None
    return None


def _mood_factor(tokens: list[str], words: list[str], polarity: float, request: bool) -> float:
    """Damping for questions and requests, which ask for something rather than judge."""
    if request:
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
