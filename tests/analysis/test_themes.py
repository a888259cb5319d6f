"""Theme detection: whole words, simple inflections, editable phrase lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import evaluation as ev
from analysis import themes
from analysis.sentiment import score
from analysis.text import tokenize

DATA = Path(__file__).resolve().parents[1] / "data"


def detect(text: str) -> tuple[str, ...]:
    return themes.detect(tokenize(text))


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("We were blindsided by bad news at the last minute.", "transparency"),
        ("The go-live date moved again and the budget is gone.", "estimates"),
        ("Nobody answers our emails.", "communication"),
        ("They consulted us on every scope decision.", "partnership"),
        ("They really understand the business.", "expertise"),
        ("I no longer trust their promises.", "trust"),
        ("Three outages and dozens of defects.", "quality"),
        ("My ticket sat with the service desk for a week.", "support"),
        ("The training explained everything in plain English.", "education"),
    ],
)
def test_each_core_theme_is_found(text, theme):
    assert theme in detect(text)


def test_core_theme_vocabulary_is_fixed():
    assert set(themes.CORE_THEMES) <= set(themes.current_index().themes)
    assert len(themes.CORE_THEMES) == 9


def test_matches_whole_words_not_substrings():
    # "update" contains "date"; "costume" contains "cost"; "trusty" is not "trust".
    assert "estimates" not in detect("Thanks for the update on the costume fitting.")


def test_inflections_match_their_base_phrase():
    for text in ("The delays hurt us.", "The release was delayed.", "Another delay."):
        assert "estimates" in detect(text)
    assert "quality" in detect("It crashed twice.")
    assert "support" in detect("Tickets are resolved quickly.")


def test_excluded_phrases_do_not_count():
    assert "estimates" not in detect("The documentation is up to date.")
    assert "estimates" in detect("The end date is fixed.")


def test_no_theme_for_unrelated_text():
    assert detect("The canteen has a new coffee machine.") == ()


def test_themes_are_sorted_and_unique():
    found = detect("Late again, the budget overran and the report came late.")
    assert list(found) == sorted(set(found))


def test_extra_file_from_env_is_merged(tmp_path, monkeypatch):
    extra = tmp_path / "extra.json"
    extra.write_text(
        json.dumps(
            {
                "security": {"phrases": ["penetration test", "access review"]},
                "estimates": {"phrases": ["sprint velocity"]},
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv(themes.THEMES_ENV, str(extra))
    assert "security" in detect("The access reviews were late.")
    assert "estimates" in detect("Sprint velocity keeps dropping.")
    # Bundled phrases are still there.
    assert "quality" in detect("Too many defects.")
    assert score("The penetration test found nothing.").themes == ("quality", "security")
    monkeypatch.delenv(themes.THEMES_ENV)
    assert "security" not in detect("The access reviews were late.")


def test_bad_extra_file_is_rejected(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(ValueError):
        themes.load_definitions(str(bad))


def test_theme_precision_and_recall_on_domain_set():
    examples = ev.load_csv(DATA / "domain_comments.csv")
    precision, recall = ev.theme_report(examples, ev.rapport_themes)["all"]
    assert precision >= 0.80
    assert recall >= 0.80


def test_stemmer_keeps_apart_words_the_suffix_rules_would_merge():
    from analysis.text import stem

    assert stem("delays") == stem("delayed") == stem("delaying") == stem("delay")
    assert stem("experienced") != stem("experience")
    assert stem("meeting") != stem("meet")
    assert stem("dated") != stem("date")
    assert stem("spring") == "spring" and stem("during") == "during"


def test_experience_is_not_expertise_and_meeting_a_deadline_is_not_a_meeting():
    assert "expertise" not in detect("A really positive experience overall.")
    assert "expertise" in detect("An experienced team.")
    assert "communication" not in detect("They are meeting every deadline.")


def test_hyphenated_compounds_match_on_their_head():
    assert "quality" in detect("The post-incident note was candid.")
