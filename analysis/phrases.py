"""Key noun phrases of a comment ("month-end close", "status report", "go-live date").

Part-of-speech tags come from TextBlob's PatternTagger (no corpora needed); a small chunk
grammar then keeps runs of modifiers ending in a noun. Evaluative adjectives are trimmed
off the front, because "great status report" and "late status report" are about the same
thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textblob.en.taggers import PatternTagger

from analysis import lexicon as lx
from analysis.lexicon import lookup

MAX_PHRASES = 8
MAX_PHRASE_WORDS = 4

_TAGGER = PatternTagger()

_NOUN = frozenset({"NN", "NNS", "NNP", "NNPS"})
_MODIFIER = _NOUN | {"JJ", "VBG", "VBN", "CD"}

# Project nouns the tagger reads as verbs after a compound ("month-end close",
# "code freeze", "change request").
# fmt: off
_DOMAIN_NOUNS = frozenset(
    {
        "close", "sign-off", "cutover", "go-live", "rollout", "handover", "build", "release", "run",
        "review", "plan", "test", "freeze", "change", "update", "report", "call", "board", "pack",
        "request", "spend", "load", "fix", "cycle"
    }
)
# fmt: on

# Words that never start a topic phrase: determiners, pronouns, vague quantities.
# fmt: off
_LEADING_NOISE = frozenset(
    {
        "a", "an", "the", "this", "that", "these", "those", "our", "their", "my", "your", "his",
        "her", "its", "some", "any", "every", "each", "all", "several", "lot", "lots", "bit",
        "kind", "sort", "type", "way", "thing", "things"
    }
)
# fmt: on


def _tag(sentence: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Tag a tokenised sentence without re-tokenising it."""
    tags = _TAGGER.tag(" ".join(sentence), tokenize=False)
    return tuple((str(w), str(t)) for w, t in tags)


def _retag(tagged: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Read a domain noun as a noun when it follows a noun or adjective."""
    out = list(tagged)
    for i in range(1, len(out)):
        word, tag = out[i]
        if word in _DOMAIN_NOUNS and not tag.startswith("NN"):
            prev_tag = out[i - 1][1]
            if prev_tag in _MODIFIER:
                out[i] = (word, "NN")
    return out


def _evaluative(word: str) -> bool:
    """True for sentiment or filler words that should not lead a topic phrase."""
    return (
        word in _LEADING_NOISE
        or word in lx.NEUTRAL_WORDS
        or word in lx.INTENSIFIERS
        or lookup(word) is not None
    )


def chunk(tagged: Sequence[tuple[str, str]]) -> list[str]:
    """Noun phrases (two or more words) in one tagged sentence."""
    phrases: list[str] = []
    run: list[tuple[str, str]] = []
    for word, tag in [*_retag(tagged), ("", "END")]:
        if tag in _MODIFIER and word.replace("-", "").isalnum():
            run.append((word, tag))
            continue
        while run and run[-1][1] not in _NOUN:
            run.pop()
        while run and _evaluative(run[0][0]):
            run.pop(0)
        if 2 <= len(run) <= MAX_PHRASE_WORDS and not all(t == "CD" for _, t in run[:-1]):
            phrases.append(" ".join(w for w, _ in run))
        run = []
    return phrases


def key_phrases(sentences: Iterable[Sequence[str]]) -> tuple[str, ...]:
    """Distinct key noun phrases over a comment's tokenised sentences, in order of use."""
    seen: dict[str, None] = {}
    for tokens in sentences:
        words = tuple(t for t in tokens if t[0].isalnum() or t in ",;:")
        if len(words) < 2:
            continue
        for phrase in chunk(_tag(words)):
            seen.setdefault(phrase, None)
            if len(seen) >= MAX_PHRASES:
                return tuple(seen)
    return tuple(seen)
