"""Key noun phrases from stakeholder comments."""

from __future__ import annotations

from analysis.phrases import MAX_PHRASES, chunk, key_phrases
from analysis.sentiment import score
from analysis.text import split_sentences, tokenize


def phrases_of(text: str) -> tuple[str, ...]:
    return key_phrases([tokenize(s) for s in split_sentences(text)])


def test_domain_compounds_are_found():
    found = phrases_of("The month-end close slipped again and the status report was late.")
    assert "month-end close" in found
    assert "status report" in found


def test_evaluative_adjectives_are_trimmed():
    found = phrases_of("We got a great status report and a terrible test plan.")
    assert "status report" in found
    assert "test plan" in found
    assert not any(p.startswith(("great", "terrible")) for p in found)


def test_single_nouns_and_pronouns_are_not_phrases():
    assert phrases_of("It was fine.") == ()
    assert phrases_of("Thanks!") == ()


def test_phrases_do_not_run_across_commas():
    found = phrases_of("Reports, meetings, emails: all late.")
    assert "reports meetings" not in found


def test_chunk_grammar_on_tagged_input():
    tagged = [
        ("the", "DT"),
        ("data", "NNS"),
        ("migration", "NN"),
        ("plan", "NN"),
        ("was", "VBD"),
        ("good", "JJ"),
    ]
    assert chunk(tagged) == ["data migration plan"]


def test_phrase_count_is_capped():
    text = ". ".join(f"The {w} report and the {w} plan" for w in "abcdefghijkl")
    assert 0 < len(phrases_of(text)) <= MAX_PHRASES


def test_score_carries_key_phrases():
    assert "go-live date" in score("The go-live date keeps moving.").key_phrases
