"""Cleaning, sentence splitting, tokenising and stemming of free-text comments.

Everything here runs in time linear in the input: comments come from a public form, so
emoji floods, pasted HTML, control characters and 2,000-character "words" all arrive.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

# Pulse comments are a few sentences; anything longer is pasted material. Capping it
# bounds the cost of one comment whatever the form lets through.
MAX_CHARS = 8_000

# Tokens longer than this are never words (URLs, base64, keyboard mashing).
MAX_TOKEN_CHARS = 40

_SCRIPT_OPEN = re.compile(r"<(script|style)\b[^<>]{0,500}>", re.IGNORECASE)
_SCRIPT_CLOSE = {
    "script": re.compile(r"</script\s*>", re.IGNORECASE),
    "style": re.compile(r"</style\s*>", re.IGNORECASE),
}
# A bounded character class keeps this linear: no nested quantifiers.
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
_ELONGATED = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"[ \t\f\v]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")

# Emoji carry real sentiment in short comments; map the common ones to the emoticons the
# scorer knows and drop the rest, so a flood of them costs one pass and scores nothing.
_EMOJI_POSITIVE = set("😀😃😄😁😊🙂😍🥰👍👏🎉💯✅🙌😎🤩❤💚💙")
_EMOJI_NEGATIVE = set("😞😠😡👎🙁☹😢😭😤😩😫🤬💩😒😔❌🤦")

# Formatting characters that reorder or hide text (bidi overrides, zero-width joiners)
# and C0/C1 controls: none of them carries meaning for scoring.
_INVISIBLE = {
    cp: None
    for cp in [*range(0, 9), 11, 12, *range(14, 32), *range(127, 160)]
    + [*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF]
}
_NEWLINES = {0x0D: "\n", 0x2028: "\n", 0x2029: "\n", 0x85: "\n"}

# fmt: off
_ABBREVIATIONS = frozenset(
    {
        "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "no", "approx", "inc", "ltd",
        "co", "dept", "est", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
        "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri"
    }
)
# fmt: on
_BOUNDARY = re.compile(r"[.!?]+[\"'’”)\]]*\s+|\n+|;\s+(?=[A-Z])")

_TOKEN = re.compile(
    r"""
    [^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+)*   # words, contractions, hyphenated compounds
    | \d+(?:[.,:/]\d+)*%?                      # numbers, times, dates, percentages
    | [:;=8][-o^']?[()\]\[dDpP/\\|*]           # western emoticons
    | <3
    | [!?,;:]                                  # punctuation that carries structure
    """,
    re.VERBOSE,
)


def _strip_scripts(text: str) -> str:
    """Remove <script>/<style> blocks with a forward-only scan (linear in length)."""
    out: list[str] = []
    pos = 0
    while True:
        opened = _SCRIPT_OPEN.search(text, pos)
        if opened is None:
            out.append(text[pos:])
            break
        out.append(text[pos : opened.start()])
        closed = _SCRIPT_CLOSE[opened.group(1).lower()].search(text, opened.end())
        if closed is None:
            break
        pos = closed.end()
    return " ".join(out)


def _map_symbols(text: str) -> str:
    """Turn known emoji into emoticons and other pictographs into spaces."""
    if text.isascii():
        return text
    chars: list[str] = []
    for ch in text:
        if ch in _EMOJI_POSITIVE:
            chars.append(" :) ")
        elif ch in _EMOJI_NEGATIVE:
            chars.append(" :( ")
        elif ord(ch) > 0x2000 and unicodedata.category(ch) in ("So", "Sk", "Cs", "Co", "Cn"):
            chars.append(" ")
        else:
            chars.append(ch)
    return "".join(chars)


def normalise(text: str) -> str:
    """Clean hostile or messy input into plain text that the scorer can read."""
    if not text:
        return ""
    text = text[:MAX_CHARS]
    text = text.translate(_NEWLINES).translate(_INVISIBLE)
    text = _strip_scripts(text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text)
    text = _map_symbols(text)
    text = _URL.sub(" ", text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = _ELONGATED.sub(r"\1\1", text)
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n", text).strip()


def split_sentences(text: str) -> list[str]:
    """Split normalised text into sentences on end punctuation and line breaks."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start()
        piece = text[start:end]
        if match.group(0).startswith(".") and _ends_with_abbreviation(piece):
            continue
        sentence = text[start : match.end()].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _ends_with_abbreviation(piece: str) -> bool:
    """True when the text before a full stop ends in an abbreviation or an initial."""
    last = piece.rsplit(None, 1)[-1] if piece.strip() else ""
    last = last.lower().lstrip("(\"'")
    return (len(last) == 1 and last.isalpha()) or last in _ABBREVIATIONS


def tokenize(text: str) -> list[str]:
    """Lower-cased word, number, emoticon and structural punctuation tokens."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if len(token) > MAX_TOKEN_CHARS:
            continue
        # Emoticons keep their case (":D" vs ":d" differ only in spelling).
        tokens.append(token if token[0] in ":;=8<" and len(token) > 1 else token.lower())
    return tokens


# Words the suffix rules would merge with a different word ("experienced" is a skill,
# "experience" an event; a "meeting" is not "meet"; "dated" is not "date") or cut into
# nonsense ("during", "nothing"). They stem to themselves or to the form given here.
# fmt: off
_STEM_EXCEPTIONS = {
    "experienced": "experienced", "inexperienced": "inexperienced", "meeting": "meeting",
    "meetings": "meeting", "dated": "dated", "outdated": "outdated", "during": "during",
    "nothing": "nothing", "something": "something", "anything": "anything",
    "everything": "everything", "morning": "morning", "mornings": "morning",
    "evening": "evening", "evenings": "evening", "news": "news", "series": "series",
    "always": "always", "sometimes": "sometimes", "perhaps": "perhaps", "thing": "thing",
    "things": "thing", "bring": "bring", "string": "string", "spring": "spring",
    "building": "building", "buildings": "building", "ceiling": "ceiling",
    "wedding": "wedding", "feeling": "feeling", "feelings": "feeling", "reporting": "reporting",
    "timing": "timing", "costing": "costing", "costings": "costing", "ongoing": "ongoing",
    "sessions": "session", "business": "business", "analysis": "analysis", "hundred": "hundred",
    "red": "red", "bed": "bed", "need": "need", "needed": "need", "speed": "speed",
    "indeed": "indeed", "proceed": "proceed", "exceed": "exceed", "exceeded": "exceed",
    "succeed": "succeed", "succeeded": "succeed", "ups": "up", "bus": "bus", "gas": "gas",
    "yes": "yes", "less": "less", "unless": "unless", "does": "do", "goes": "go", "was": "was",
    "has": "has", "this": "this", "thus": "thus", "its": "its",
}
# fmt: on
_VOWELS = frozenset("aeiouy")


def _has_vowel(w: str) -> bool:
    """True when a candidate stem still contains a vowel ('spr' from 'spring' does not)."""
    return any(c in _VOWELS for c in w)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Small rule-based suffix stripper: 'delays', 'delayed', 'delaying' -> 'delay'.

    Plural and verb endings only (-s, -es, -ies, -ed, -ing); no derivational suffixes, so
    'report' and 'reporter' stay apart. A stem must keep a vowel, and the exception list
    keeps apart words the rules would wrongly merge.
    """
    w = word.lower()
    if w in _STEM_EXCEPTIONS:
        return _STEM_EXCEPTIONS[w]
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 5 and w.endswith("ing") and _has_vowel(w[:-3]):
        w = _undouble(w[:-3])
    elif len(w) > 4 and w.endswith("eed"):
        w = w[:-1]
    elif len(w) > 4 and w.endswith("ed") and _has_vowel(w[:-2]):
        w = _undouble(w[:-2])
    elif len(w) > 4 and w.endswith(("sses", "xes", "zes", "ches", "shes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "'s")):
        w = w[:-1]
    elif w.endswith("'s") and len(w) > 3:
        w = w[:-2]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def _undouble(w: str) -> str:
    """Drop a doubled final consonant left by stripping a suffix ('slipp' -> 'slip')."""
    if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        return w[:-1]
    return w


# Function words frequent in English comments; other-language lists exclude words that
# are also English ("a", "in", "die", "van") so English text never counts as foreign.
# fmt: off
_ENGLISH_STOPWORDS = frozenset(
    {
        "the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "is",
        "are", "was", "were", "be", "been", "it", "this", "that", "they", "we", "i", "you", "he",
        "she", "our", "their", "my", "your", "not", "no", "have", "has", "had", "do", "does", "did",
        "will", "would", "can", "could", "should", "from", "by", "as", "about", "so", "very",
        "just", "there", "what", "who", "when", "how", "all"
    }
)
# fmt: on
# French, German, Spanish, Italian, Dutch and Portuguese function words.
# fmt: off
_FOREIGN_STOPWORDS = frozenset(
    {
        "le", "la", "les", "des", "du", "et", "est", "une", "un", "pas", "pour", "que", "qui",
        "dans", "sur", "avec", "ce", "cette", "sont", "nous", "vous", "ils", "elle", "très", "mais",
        "être", "été", "der", "das", "und", "ist", "nicht", "ein", "eine", "zu", "mit", "auf",
        "für", "von", "sich", "dem", "den", "wir", "sie", "es", "auch", "sehr", "aber", "ich",
        "wird", "sind", "el", "los", "las", "del", "y", "en", "por", "con", "para", "una", "muy",
        "pero", "está", "lo", "il", "della", "che", "non", "sono", "molto", "ma", "anche", "gli",
        "di", "è", "het", "een", "niet", "zijn", "ook", "maar", "wij", "zij", "heeft", "wordt",
        "não", "uma", "com", "mas", "muito", "são", "também"
    }
)
# fmt: on
_MIN_WORDS_FOR_STOPWORD_TEST = 4


def looks_non_english(text: str, tokens: list[str]) -> bool:
    """Cheap guess that a comment is not English (mostly non-Latin script or foreign stopwords)."""
    letters = latin = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            if ord(ch) < 0x250:
                latin += 1
    if letters >= 3 and latin < letters * 0.5:
        return True
    words = [t for t in tokens if t[0].isalpha()]
    if len(words) < _MIN_WORDS_FOR_STOPWORD_TEST:
        return False
    english = sum(1 for w in words if w in _ENGLISH_STOPWORDS)
    foreign = sum(1 for w in words if w in _FOREIGN_STOPWORDS)
    if foreign >= 2 and foreign > english:
        return True
    # A longer comment with no English function word at all but some foreign ones.
    return len(words) >= 6 and english == 0 and foreign >= 1
