"""Behaviour of the comment scorer on stakeholder language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import evaluation as ev
from analysis.sentiment import (
    ANALYZER_VERSION,
    NEUTRAL_BAND,
    SentenceScore,
    Sentiment,
    label_for,
    score,
)

DATA = Path(__file__).resolve().parents[1] / "data"
PUBLIC = Path(__file__).resolve().parents[3] / "shared" / "data" / "sentiment"


def test_version_names_the_analyser():
    assert ANALYZER_VERSION.startswith("rapport-")


def test_old_three_argument_construction_still_works():
    s = Sentiment(0.3, 0.4, "positive")
    assert s.themes == () and s.sentences == () and s.flags == () and s.key_phrases == ()


@pytest.mark.parametrize(
    ("polarity", "label"),
    [
        (0.5, "positive"),
        (-0.5, "negative"),
        (0.0, "neutral"),
        (NEUTRAL_BAND, "neutral"),
        (-NEUTRAL_BAND, "neutral"),
        (NEUTRAL_BAND + 0.01, "positive"),
    ],
)
def test_label_for_bands(polarity, label):
    assert label_for(polarity) == label


@pytest.mark.parametrize(
    "text",
    [
        "The go-live slipped again and we were blindsided by the overrun.",
        "We are now 30% over budget.",
        "I spend half my week chasing them for answers.",
        "Our concerns were ignored in every workshop.",
        "The status report was late and misleading.",
        "They spun the delay as a planned change.",
    ],
)
def test_domain_complaints_are_negative(text):
    assert score(text).label == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "We are on track for the March release.",
        "Phase one finished ahead of schedule and under budget.",
        "The team is very responsive to our questions.",
        "For once we felt heard.",
        "Transparent, proactive and easy to work with.",
    ],
)
def test_domain_praise_is_positive(text):
    assert score(text).label == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "When is the next steering committee?",
        "Please send the weekly report to the finance mailbox.",
        "Could you add my deputy to the distribution list?",
        "The status report is issued every Friday.",
        "UAT starts on 14 March.",
        "Testing of the payroll interface is in progress.",
    ],
)
def test_questions_requests_and_facts_are_neutral(text):
    assert score(text).label == "neutral"


def test_negation_flips_praise_and_complaint():
    assert score("The updates are good.").polarity > 0
    assert score("The updates are not good.").polarity < 0
    assert score("Not bad at all.").label == "positive"
    assert score("The project is on track.").label == "positive"
    assert score("The project is not on track.").label == "negative"


def test_negation_reaches_across_a_few_words():
    assert score("They never tell us the truth.").label == "negative"
    assert score("They tell us the truth.").label == "positive"


def test_clause_after_but_outweighs_the_one_before():
    assert score("Good people, but the dates keep moving.").label == "negative"
    assert score("The dates slipped, but the team has been brilliant.").label == "positive"


def test_concession_clause_counts_less():
    assert score("Although the team are friendly, the delivery has been poor.").label == "negative"


def test_intensifier_strengthens():
    assert score("The team was very helpful.").polarity > score("The team was helpful.").polarity
    plain, slight = score("The release was late."), score("The release was slightly late.")
    assert plain.polarity < slight.polarity < 0


def test_fixing_a_problem_is_good_news():
    assert score("The latest release fixed the rounding bug.").label == "positive"


def test_absence_of_updates_is_a_complaint():
    assert score("No updates for three weeks.").label == "negative"


def test_too_marks_a_complaint():
    assert score("The reports are too technical.").label == "negative"


def test_each_sentence_is_scored_and_kept():
    result = score("The migration finished on Friday. Great work by the whole team!")
    assert len(result.sentences) == 2
    first, second = result.sentences
    assert isinstance(first, SentenceScore)
    assert first.polarity == 0.0 and second.polarity > 0.5
    # A neutral fact does not dilute the praise next to it.
    assert result.polarity == pytest.approx(second.polarity)


def test_sentence_starting_with_however_carries_the_verdict():
    result = score("The people are lovely. However, the dates keep slipping.")
    assert result.label == "negative"


def test_theme_polarity_follows_the_sentences_that_mention_it():
    result = score("The weekly report is excellent. The budget overran badly.")
    polarity = dict(result.theme_polarity)
    assert set(polarity) == {"communication", "estimates"}
    assert polarity["communication"] > 0 > polarity["estimates"]
    assert result.themes == ("communication", "estimates")


def test_to_dict_is_json_ready():
    data = score("The month-end close slipped again. Not happy.").to_dict()
    decoded = json.loads(json.dumps(data))
    assert decoded["label"] == "negative"
    assert decoded["analyzer_version"] == ANALYZER_VERSION
    assert len(decoded["sentences"]) == 2
    assert "month-end close" in decoded["key_phrases"]
    assert decoded["themes"] == ["estimates"]


def test_empty_and_blank_comments_are_neutral():
    for text in ("", "   ", "\n\n"):
        result = score(text)
        assert result.label == "neutral" and result.polarity == 0.0 and result.sentences == ()


def test_domain_set_macro_f1_regression():
    report = ev.evaluate(ev.load_csv(DATA / "domain_comments.csv"), ev.rapport_label)
    assert report.n >= 240
    assert report.macro_f1 >= 0.92


def test_holdout_set_beats_plain_textblob():
    examples = ev.load_csv(DATA / "domain_holdout.csv")
    rapport = ev.evaluate(examples, ev.rapport_label)
    plain = ev.evaluate(examples, ev.plain_textblob_label)
    # 0.677 when it was first scored; its errors were then studied, so this is no longer
    # an independent estimate, only a regression guard.
    assert rapport.macro_f1 >= 0.90
    assert rapport.macro_f1 > plain.macro_f1 + 0.1


def test_second_holdout_set_regression():
    # Written before its rows were ever scored; 0.824 macro-F1 and themes 0.80 / 0.81 on
    # first scoring. Guard a little below that honest level.
    examples = ev.load_csv(DATA / "domain_holdout2.csv")
    assert len(examples) >= 150
    rapport = ev.evaluate(examples, ev.rapport_label)
    plain = ev.evaluate(examples, ev.plain_textblob_label)
    assert rapport.macro_f1 >= 0.78
    assert rapport.macro_f1 > plain.macro_f1 + 0.2
    precision, recall = ev.theme_report(examples, ev.rapport_themes)["all"]
    assert precision >= 0.75 and recall >= 0.75


@pytest.mark.skipif(not PUBLIC.is_dir(), reason="public labelled sets not present")
def test_amazon_snippets_target():
    examples = ev.load_public_set(PUBLIC / ev.PUBLIC_SETS["amazon"])
    assert ev.evaluate(examples, ev.rapport_label).macro_f1 >= 0.60


@pytest.mark.parametrize(
    "text",
    [
        "We found out from the supplier that the date had moved.",
        "I had to escalate before anyone looked at it.",
        "Nobody asked operations before the process changed.",
        "Still waiting for an answer on the access request.",
        "The board pack reads like a marketing brochure.",
        "They are doing this to us, not with us.",
        "Yet again the interface failed overnight.",
        "For the third time the report arrived after the meeting.",
        "We were not consulted about the new approval steps.",
        "Nobody seems to understand how our warehouse runs.",
        "Support after launch has been patchy at best.",
        "The dates never hold.",
    ],
)
def test_implied_criticism_is_negative(text):
    assert score(text).label == "negative"


def test_negation_is_raised_to_the_predicate():
    assert score("I don't feel our concerns are taken seriously.").label == "negative"
    assert score("I don't think there were any issues with the cutover.").label == "positive"
    assert score("Not entirely convinced the plan works for finance.").label == "negative"
    assert score("Not sure yet, it is early days.").label == "neutral"


def test_sarcastic_praise_reads_as_a_complaint():
    assert score("Great, another slip.").label == "negative"
    assert score("Oh good, more meetings that nobody minutes.").label == "negative"
    assert score("Great, thanks for the quick fix.").label == "positive"


def test_elliptical_negation_turns_the_earlier_praise():
    assert score("We were told it was on track until the week it wasn't.").label == "negative"


def test_business_praise_without_adjectives():
    assert score("They delivered what they said they would.").label == "positive"
    assert score("The upgrade went in without a hitch.").label == "positive"
    assert score("Well run project, credit to the PM.").label == "positive"


def test_politeness_and_hypotheticals_stay_neutral():
    assert score("We'd appreciate a demo of the new screens.").label == "neutral"
    assert score("What is the escalation route if a payment run fails?").label == "neutral"
    assert score("I've forwarded the defect list to our team leads.").label == "neutral"
    assert score("No strong views either way this month.").label == "neutral"
