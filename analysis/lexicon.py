"""Vocabulary the scorer uses on top of TextBlob's adjective lexicon (data in lexicon.json).

TextBlob's lexicon is built from product-review adjectives: it has no entry for most of
what stakeholders say about projects ("slipped", "over budget", "chasing", "on track") and
gives polarity to words that are neutral in a status comment ("new", "first", "due",
"more"). The JSON file holds the word lists so they can be read and extended without code.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from textblob.en import sentiment as _pattern_lexicon

LEXICON_FILE = Path(__file__).with_name("lexicon.json")
_DATA = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))


def _words(key: str) -> frozenset[str]:
    """A word list from the data file."""
    return frozenset(_DATA[key])


def _scores(key: str) -> dict[str, float]:
    """A word -> number mapping from the data file."""
    return {str(k): float(v) for k, v in _DATA[key].items()}


_all_phrases = _scores("phrases")

# Project words override general ones; single-token "phrases" ("over-budget") are words.
WORDS = MappingProxyType(
    {
        **_scores("general_words"),
        **_scores("words"),
        **{k: v for k, v in _all_phrases.items() if " " not in k},
    }
)
# Multi-word expressions, matched before single words so "over budget" is one negative
# unit rather than "over" plus "budget".
PHRASES = MappingProxyType({tuple(k.split()): v for k, v in _all_phrases.items() if " " in k})

# Words whose TextBlob polarity is noise in a status comment: they describe order, size
# or time, not judgement ("the first phase", "more users", "due on Friday").
NEUTRAL_WORDS = _words("neutral_words")
# Hedges and set phrases that TextBlob would otherwise score ("kind of", "to be honest").
NEUTRAL_PHRASE_TOKENS = frozenset(tuple(p.split()) for p in _DATA["neutral_phrases"])
MAX_PHRASE_TOKENS = max(len(k) for k in (*PHRASES, *NEUTRAL_PHRASE_TOKENS))
# First words of all phrases: most tokens start none, and this check is the fast path.
PHRASE_STARTS = frozenset(k[0] for k in (*PHRASES, *NEUTRAL_PHRASE_TOKENS))

# Multipliers for the next sentiment word: boosters above 1, downtoners below.
INTENSIFIERS = MappingProxyType(_scores("intensifiers"))

# Words that flip the sentiment of what follows within a short scope.
NEGATORS = _words("negators")
# Negators that are themselves negative when nothing assessable follows
# ("a complete lack of updates").
NEGATIVE_NEGATORS = MappingProxyType(_scores("negative_negators"))
# Things whose absence is a complaint ("no updates", "never got an answer").
ABSENCE_NOUNS = _words("absence_nouns")
ABSENCE_POLARITY = -0.4
# Words after a negator that cancel the flip ("not only", "nothing but").
NEGATION_BREAKERS = _words("negation_breakers")
# Function words a negation reaches across without using up its scope ("not a good").
SCOPE_TRANSPARENT = _words("scope_transparent")

# Verbs that remove a problem: the negative noun after them is good news
# ("fixed the rounding bug", "caught the issues before go-live").
REMEDIES = _words("remedies")
REMEDY_FACTOR = -0.5

# "too" before a word that is not praise is a complaint ("too technical", "too many").
TOO_POLARITY = -0.3
# Praise that "too" really praises ("too good to miss", "you're too kind"); before any
# other positive word "too" is excess ("too early", "too optimistic").
TOO_PRAISE = frozenset({"good", "kind", "generous", "happy", "pleased", "glad"})

# Modal frames that turn praise into a wish for what is missing ("would be nice").
WISH_MODALS = _words("wish_modals")
WISH_FACTOR = -0.3

# Clause links after which the second clause carries the writer's real view.
CONTRAST_AFTER = _words("contrast_after")
# Clause openers whose own clause is the concession ("although X, Y").
CONCESSIONS = _words("concessions")

# Sentence openers that make a request or a wish rather than a judgement.
REQUEST_OPENERS = tuple(tuple(o.split()) for o in _DATA["request_openers"])
OPENER_FIRST_WORDS = frozenset(o[0] for o in REQUEST_OPENERS)
# Questions that complain rather than ask ("why do we always hear last?").
RHETORICAL_OPENERS = _words("rhetorical_openers")

EMOTICONS = MappingProxyType(_scores("emoticons"))

# Negation that is raised from an embedded clause: "I don't feel our concerns are taken
# seriously" negates "taken seriously", not "concerns". The negator then reaches the last
# judgement of its clause; with none, the doubt itself is a mild complaint.
RAISERS = _words("raisers")
RAISED_DOUBT = -0.3
# Words right after a raiser that make it plain uncertainty ("not sure yet", "not sure
# whether"), which is neither praise nor complaint.
OPEN_QUESTION_WORDS = _words("open_question_words")
# A raiser before one of these ("never sure who to contact") is not knowing, a complaint.
EMBEDDED_QUESTION_WORDS = _words("embedded_question_words")

# Subjects that negate the whole clause ("nobody answers", "no one asked us"). Like
# "lack of", they are complaints when nothing assessable follows.
NEGATIVE_SUBJECTS = MappingProxyType(_scores("negative_subjects"))

# Clause openers whose clause is hypothetical ("what happens if the run fails?").
HYPOTHETICALS = _words("hypotheticals")
HYPOTHETICAL_DAMPING = 0.3

# Words that are politeness, not praise, inside a request ("we'd appreciate a demo").
POLITE_WORDS = _words("polite_words")

# Praise words that open a sarcastic sentence when what follows is bad news
# ("great, another slip", "oh good, more meetings").
SARCASM_OPENERS = _words("sarcasm_openers")
SARCASM_CUES = _words("sarcasm_cues")

# Nouns after which a problem word names a document or process, not a problem
# ("defect list", "risk register", "incident process").
ARTEFACT_HEADS = _words("artefact_heads")
# Words that turn the positive word before them sour ("optimistic at best").
DEFLATORS = frozenset(tuple(p.split()) for p in _DATA["deflators"])

# "well" before a participle is praise ("well run", "well tested").
WELL_PARTICIPLES = _words("well_participles")
WELL_DONE_POLARITY = 0.5
# Nouns that, with "of", count problems rather than complain ("the number of defects").
COUNT_NOUNS = _words("count_nouns")
SARCASM_POLARITY = -0.5
# Words that make a question a challenge ("what is actually happening?").
CHALLENGE_WORDS = _words("challenge_words")
CHALLENGE_POLARITY = -0.3

# Elliptical negation at the end of a clause ("promised it for May and it wasn't"):
# the auxiliaries that can stand for the predicate before them.
ELLIPTICAL = _words("elliptical_auxiliaries")


# --- cue patterns -------------------------------------------------------------------
# Implied judgements with no evaluative word ("found out from the supplier", "had to
# escalate", "reads like a sales brochure"). A pattern is a space-separated list of
# slots: "a|b|c" (any of these words), "*" (any one word) or "..." (up to GAP_MAX
# words, never punctuation). Patterns are short and the gap is bounded, so matching
# stays linear in the length of the comment.
GAP_MAX = 3
_ANY = "*"
_GAP = "..."
Slot = frozenset[str] | str
_PUNCT = frozenset({",", ";", ":", "!", "?"})


def _compile(pattern: str) -> tuple[Slot, ...]:
    """Slots of one cue pattern."""
    out: list[Slot] = []
    for part in pattern.split():
        out.append(part if part in (_ANY, _GAP) else frozenset(part.split("|")))
    return tuple(out)


def _build_cues() -> dict[str, tuple[tuple[tuple[Slot, ...], float], ...]]:
    """Cue patterns indexed by each possible first word."""
    by_first: dict[str, list[tuple[tuple[Slot, ...], float]]] = {}
    for pattern, value in _scores("cues").items():
        slots = _compile(pattern)
        first = slots[0]
        if isinstance(first, str):
            raise ValueError(f"cue {pattern!r} must start with a word")
        for word in first:
            by_first.setdefault(word, []).append((slots, value))
    return {k: tuple(sorted(v, key=lambda e: -len(e[0]))) for k, v in by_first.items()}


CUES = MappingProxyType(_build_cues())
# Words that can open a phrase or a cue: for every other token the scorer skips both.
SPAN_STARTS = PHRASE_STARTS | frozenset(CUES)


def _is_barrier(token: str) -> bool:
    """A gap never crosses punctuation or a negator ("dates that never hold")."""
    return (
        token in _PUNCT or token in NEGATORS or token in NEGATIVE_SUBJECTS or token.endswith("n't")
    )


def _match(slots: tuple[Slot, ...], tokens: list[str], i: int, k: int = 0) -> int:
    """End index of a cue matched at tokens[i] from slot k, or -1."""
    if k == len(slots):
        return i
    slot = slots[k]
    if slot == _GAP:
        for skip in range(GAP_MAX + 1):
            if skip and (i + skip > len(tokens) or _is_barrier(tokens[i + skip - 1])):
                break
            end = _match(slots, tokens, i + skip, k + 1)
            if end >= 0:
                return end
        return -1
    if i >= len(tokens):
        return -1
    tok = tokens[i]
    ok = tok not in _PUNCT if slot == _ANY else tok in slot
    return _match(slots, tokens, i + 1, k + 1) if ok else -1


def cue_at(tokens: list[str], i: int) -> tuple[int, float] | None:
    """Longest cue starting at tokens[i]: (length, polarity)."""
    best: tuple[int, float] | None = None
    for slots, value in CUES.get(tokens[i], ()):
        end = _match(slots, tokens, i)
        if end > i and (best is None or end - i > best[0]):
            best = (end - i, value)
    return best


# Subjectivity assumed for vocabulary that TextBlob does not know.
DEFAULT_SUBJECTIVITY = 0.5


def _base_lexicon() -> dict[str, tuple[float, float]]:
    """TextBlob's lexicon as word -> (polarity, subjectivity), averaged over senses."""
    out: dict[str, tuple[float, float]] = {}
    for word, senses in _pattern_lexicon.items():
        mean = senses.get(None)
        if mean and mean[0] != 0.0:
            out[word] = (float(mean[0]), float(mean[1]))
    return out


_BASE = _base_lexicon()


def _variants(token: str) -> list[str]:
    """Candidate base forms for an inflected token ('delays' -> 'delay')."""
    out = [token]
    if token.endswith("ies") and len(token) > 4:
        out.append(token[:-3] + "y")
    if token.endswith("s") and len(token) > 3:
        out.append(token[:-1])
    if token.endswith("ed") and len(token) > 4:
        out += [token[:-2], token[:-1]]
    if token.endswith("ing") and len(token) > 5:
        out += [token[:-3], token[:-3] + "e"]
    if token.endswith("ly") and len(token) > 4:
        out.append(token[:-2])
    if "-" in token:
        out.append(token.rsplit("-", 1)[-1])
    return out


@lru_cache(maxsize=65536)
def lookup(token: str) -> tuple[float, float] | None:
    """(polarity, subjectivity) of a single token, or None when it carries no sentiment."""
    if token in EMOTICONS:
        return (EMOTICONS[token], 1.0)
    if token in NEUTRAL_WORDS or token in INTENSIFIERS or not token[0].isalpha():
        return None
    for form in _variants(token):
        if form in NEUTRAL_WORDS:
            return None
        if form in WORDS:
            return (WORDS[form], DEFAULT_SUBJECTIVITY)
    # TextBlob's entries are matched exactly: stripping "based" to "base" would find the
    # moral sense of "base" (-0.8).
    return _BASE.get(token)
