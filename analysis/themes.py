"""Which relationship themes a comment talks about, from editable phrase lists.

Themes live in themes.json beside this module; a deployment can add phrases or whole
themes without code by pointing RAPPORT_THEMES_FILE at another JSON file of the same shape
({"theme": {"phrases": [...], "exclude": [...]}}), which is merged in.
Phrases match on whole words after stemming, so "delays" matches "delay" but "update"
never matches "date".
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis.text import stem, tokenize

THEMES_FILE = Path(__file__).with_name("themes.json")
THEMES_ENV = "RAPPORT_THEMES_FILE"

# The fixed vocabulary the dashboards know about; extra themes from the env file are
# allowed and simply appear after these.
CORE_THEMES = (
    "transparency",
    "estimates",
    "communication",
    "partnership",
    "expertise",
    "trust",
    "quality",
    "support",
    "education",
)


@dataclass(frozen=True)
class ThemeIndex:
    """Stemmed phrases per theme, indexed by first stem for a single left-to-right pass."""

    by_first: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]]
    excluded: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]]
    longest: int
    themes: tuple[str, ...]


def _stems(phrase: str) -> tuple[str, ...]:
    """Stem every word of a phrase the same way comment tokens are stemmed."""
    return tuple(stem(t) for t in tokenize(phrase))


def _read(path: Path) -> dict[str, dict[str, list[str]]]:
    """Read one theme file, keeping only well-formed entries."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected an object of themes")
    out: dict[str, dict[str, list[str]]] = {}
    for name, body in raw.items():
        if isinstance(body, list):
            body = {"phrases": body}
        if not isinstance(body, dict):
            raise ValueError(f"{path}: theme {name!r} must be an object or a list")
        out[str(name).strip().lower()] = {
            "phrases": [str(p) for p in body.get("phrases", [])],
            "exclude": [str(p) for p in body.get("exclude", [])],
        }
    return out


def load_definitions(extra_file: str | None = None) -> dict[str, dict[str, list[str]]]:
    """Theme phrase lists: the bundled file merged with an optional extra file."""
    merged = _read(THEMES_FILE)
    if extra_file:
        for name, body in _read(Path(extra_file)).items():
            slot = merged.setdefault(name, {"phrases": [], "exclude": []})
            slot["phrases"].extend(body["phrases"])
            slot["exclude"].extend(body["exclude"])
    return merged


def build_index(definitions: Mapping[str, Mapping[str, Sequence[str]]]) -> ThemeIndex:
    """Compile phrase lists into a lookup keyed by each phrase's first stem."""
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    excluded: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    longest = 1
    for theme, body in definitions.items():
        for phrase in body.get("phrases", ()):
            stems = _stems(phrase)
            if stems:
                by_first.setdefault(stems[0], []).append((stems, theme))
                longest = max(longest, len(stems))
        for phrase in body.get("exclude", ()):
            stems = _stems(phrase)
            if stems:
                excluded.setdefault(stems[0], []).append((stems, theme))
                longest = max(longest, len(stems))
    ordered = [t for t in CORE_THEMES if t in definitions]
    ordered += sorted(t for t in definitions if t not in CORE_THEMES)
    return ThemeIndex(
        by_first={k: tuple(sorted(v, key=lambda e: -len(e[0]))) for k, v in by_first.items()},
        excluded={k: tuple(v) for k, v in excluded.items()},
        longest=longest,
        themes=tuple(ordered),
    )


@lru_cache(maxsize=4)
def _index_for(extra_file: str | None) -> ThemeIndex:
    """Cached index per extra-file setting so the env var can change between calls."""
    return build_index(load_definitions(extra_file))


def current_index() -> ThemeIndex:
    """The theme index for the current RAPPORT_THEMES_FILE setting."""
    return _index_for(os.environ.get(THEMES_ENV) or None)


def detect(tokens: Iterable[str], index: ThemeIndex | None = None) -> tuple[str, ...]:
    """Sorted theme keys whose phrases occur in the (already tokenised) text."""
    idx = index or current_index()
    stems = [stem(t) for t in tokens]
    # Positions a theme must ignore ("up to date" is not about dates).
    blocked: dict[str, set[int]] = {}
    found: set[str] = set()
    for i, word in enumerate(stems):
        for phrase, theme in idx.excluded.get(word, ()):
            if tuple(stems[i : i + len(phrase)]) == phrase:
                blocked.setdefault(theme, set()).update(range(i, i + len(phrase)))
    for i, word in enumerate(stems):
        candidates = idx.by_first.get(word, ())
        if not candidates and "-" in word:
            # "post-incident", "re-plan": the head of a compound carries the topic.
            candidates = tuple(
                e for e in idx.by_first.get(stem(word.rsplit("-", 1)[1]), ()) if len(e[0]) == 1
            )
        for phrase, theme in candidates:
            if theme in found:
                continue
            size = len(phrase)
            if size > 1 and tuple(stems[i : i + size]) != phrase:
                continue
            if theme not in blocked or blocked[theme].isdisjoint(range(i, i + size)):
                found.add(theme)
    return tuple(sorted(found))
