"""Vocabulary the scorer uses on top of TextBlob's adjective lexicon.

TextBlob's lexicon is built from product-review adjectives: it has no entry for most of
what stakeholders say about projects ("slipped", "over budget", "chasing", "on track") and
gives polarity to words that are neutral in a status comment ("new", "first", "due",
"more"). Values follow TextBlob's scale: polarity -1..1.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType

from textblob.en import sentiment as _pattern_lexicon

# Single words, stakeholder and general complaint/praise vocabulary. Inflected forms are
# found through simple suffix stripping in the scorer, so base forms suffice where the
# inflections mean the same thing.
_WORDS: dict[str, float] = {
    # schedule and cost
    "slipped": -0.5, "slip": -0.4, "dropped": -0.3, "imposed": -0.4, "dictated": -0.4, "slipping": -0.5, "slippage": -0.5, "late": -0.5,
    "lateness": -0.5, "delay": -0.4, "delayed": -0.5, "overran": -0.6, "overrun": -0.6,
    "overrunning": -0.6, "overdue": -0.5, "overspend": -0.5, "overspent": -0.5,
    "behind": -0.3, "postponed": -0.3, "rescheduled": -0.2, "overpriced": -0.5,
    "costly": -0.3, "punctual": 0.5, "early": 0.3,
    # honesty and surprises
    "blindsided": -0.8, "misled": -0.8, "misleading": -0.7, "spun": -0.5, "spin": -0.4,
    "evasive": -0.6, "vague": -0.4, "surprises": -0.4, "sugarcoated": -0.5,
    "sugar-coated": -0.5, "watermelon": -0.4, "lied": -0.8, "lie": -0.6, "lies": -0.7,
    "lying": -0.8, "dishonest": -0.8, "deceptive": -0.8, "hid": -0.5, "hiding": -0.5,
    "hidden": -0.3, "concealed": -0.6, "transparent": 0.6, "transparency": 0.4,
    "candid": 0.5, "upfront": 0.5, "forthright": 0.6, "truthful": 0.6, "truth": 0.4,
    "honesty": 0.5, "frank": 0.4, "straightforward": 0.4,
    # responsiveness and being heard
    "chasing": -0.5, "chase": -0.4, "chased": -0.4, "ignored": -0.6, "ignore": -0.5,
    "ignoring": -0.6, "unresponsive": -0.6, "silence": -0.4, "runaround": -0.6,
    "dismissive": -0.7, "dismissed": -0.5, "condescending": -0.7, "patronising": -0.7,
    "patronizing": -0.7, "arrogant": -0.7, "defensive": -0.4, "responsive": 0.6,
    "proactive": 0.6, "proactively": 0.5, "heard": 0.4, "listened": 0.4, "listens": 0.4,
    "listen": 0.2, "answered": 0.2, "answers": 0.2, "replied": 0.2, "replies": 0.2,
    "responded": 0.2, "responds": 0.2, "approachable": 0.6, "accessible": 0.4,
    "engaged": 0.4, "involved": 0.3, "consulted": 0.3, "collaborative": 0.6,
    "collaboration": 0.4, "partnership": 0.3, "supportive": 0.6, "helpful": 0.6,
    "unhelpful": -0.6, "prompt": 0.4, "promptly": 0.5, "timely": 0.5, "quickly": 0.4,
    "swift": 0.5, "swiftly": 0.5, "informative": 0.5, "concise": 0.4, "clear": 0.4,
    "unclear": -0.4, "confusing": -0.5, "confused": -0.4, "jargon": -0.4, "waffle": -0.3,
    "patient": 0.4, "patiently": 0.4, "accommodating": 0.5, "flexible": 0.4,
    "pragmatic": 0.4, "sensible": 0.4, "realistic": 0.3, "unrealistic": -0.5,
    # skill and reliability
    "knowledgeable": 0.6, "competent": 0.5, "capable": 0.5, "skilled": 0.5,
    "expertise": 0.3, "incompetent": -0.8, "clueless": -0.7, "reliable": 0.6,
    "reliably": 0.5, "unreliable": -0.6, "dependable": 0.6, "trustworthy": 0.6,
    "trust": 0.4, "trusted": 0.4, "confidence": 0.4, "confident": 0.5, "credible": 0.5,
    "thorough": 0.5, "thoroughly": 0.4, "meticulous": 0.6, "diligent": 0.6,
    "efficient": 0.5, "efficiently": 0.5, "inefficient": -0.5, "sloppy": -0.6,
    "careless": -0.6, "slapdash": -0.6, "inconsistent": -0.4, "patchy": -0.4,
    "sporadic": -0.3, "overpromised": -0.6, "underdelivered": -0.7,
    # delivery and quality
    "delivered": 0.3, "delivers": 0.3, "smooth": 0.6, "smoothly": 0.6, "seamless": 0.7,
    "seamlessly": 0.7, "stable": 0.4, "robust": 0.5, "solid": 0.5, "well-run": 0.6,
    "well-organised": 0.5, "well-organized": 0.5, "organised": 0.4, "organized": 0.4,
    "disorganised": -0.6, "disorganized": -0.6, "resolved": 0.4, "solved": 0.4,
    "fixed": 0.3, "improved": 0.4, "improvement": 0.3, "improving": 0.3, "progress": 0.3,
    "success": 0.6, "successfully": 0.5, "win": 0.4,
    "fail": -0.6, "failed": -0.6, "failure": -0.6, "failing": -0.6, "fails": -0.6,
    "broken": -0.6, "broke": -0.5, "breaks": -0.4, "crash": -0.5, "crashed": -0.5,
    "crashes": -0.5, "bug": -0.3, "bugs": -0.4, "buggy": -0.6, "defect": -0.3,
    "defects": -0.4, "defective": -0.7, "faulty": -0.6, "glitch": -0.4, "glitches": -0.4,
    "outage": -0.5, "outages": -0.5, "downtime": -0.4, "error": -0.3, "errors": -0.4,
    "issue": -0.25, "issues": -0.3, "problem": -0.35, "problems": -0.4,
    "problematic": -0.5, "flaky": -0.5, "unstable": -0.5, "fragile": -0.4,
    "regression": -0.3, "regressions": -0.4, "workaround": -0.3, "workarounds": -0.4,
    "rework": -0.4, "stuck": -0.4, "bottleneck": -0.4, "sluggish": -0.5,
    "cumbersome": -0.5, "clunky": -0.5, "unusable": -0.7, "unacceptable": -0.7,
    # how people feel about it
    "frustrating": -0.6, "frustration": -0.6, "annoyed": -0.5, "annoyance": -0.4,
    "disappointment": -0.6, "disapointed": -0.6, "dissapointed": -0.6,
    "concerned": -0.4, "concern": -0.3, "concerns": -0.3, "worried": -0.5,
    "worry": -0.4, "worrying": -0.5, "nervous": -0.4, "anxious": -0.4, "chaotic": -0.6,
    "chaos": -0.6, "mess": -0.6, "shambles": -0.8, "disaster": -0.8, "fiasco": -0.8,
    "nightmare": -0.8, "painful": -0.6, "struggle": -0.4, "struggling": -0.5,
    "blame": -0.5, "blaming": -0.6, "excuses": -0.6, "excuse": -0.4, "hassle": -0.5,
    "complaint": -0.4, "complaints": -0.4, "complain": -0.4, "escalated": -0.3,
    "wasted": -0.6, "waste": -0.5, "pointless": -0.5, "demoralised": -0.6,
    "demoralized": -0.6, "exhausted": -0.5, "disengaged": -0.5, "disruption": -0.4,
    "disruptive": -0.5, "disrupted": -0.4, "firefighting": -0.4, "scrambling": -0.4,
    "forgot": -0.4, "forgotten": -0.4, "missed": -0.4, "missing": -0.4,
    "unfortunately": -0.4, "sadly": -0.4, "regret": -0.6, "drawback": -0.3,
    "downside": -0.3, "lacklustre": -0.5, "lackluster": -0.5, "mediocre": -0.4,
    "appreciated": 0.6, "appreciate": 0.5, "thanks": 0.4, "thank": 0.4, "grateful": 0.6,
    "kudos": 0.7, "praise": 0.5, "recommend": 0.5, "recommended": 0.5, "delighted": 0.8,
    "thrilled": 0.8, "relieved": 0.4, "reassured": 0.5, "reassuring": 0.5,
    "reassurance": 0.4, "valuable": 0.6, "invaluable": 0.8, "insightful": 0.6,
    "impressive": 0.7, "enjoy": 0.5, "enjoyed": 0.5, "love": 0.6, "loved": 0.6,
    "loves": 0.6, "favourite": 0.5, "favorite": 0.5, "perfectly": 0.7, "alright": 0.3,
    "ok": 0.1, "okay": 0.1, "brilliant": 0.8, "superb": 0.8, "outstanding": 0.8,
    "stellar": 0.8,
    # general complaint vocabulary (reviews, emails)
    "junk": -0.7, "garbage": -0.7, "crap": -0.7, "rubbish": -0.6, "stinks": -0.6,
    "sucks": -0.7, "flimsy": -0.5, "refund": -0.3, "died": -0.5, "screwed": -0.6,
    "ripoff": -0.7, "rip-off": -0.7, "scam": -0.8, "cheaply": -0.4, "lousy": -0.7,
    "worthless": -0.8, "avoid": -0.4, "beware": -0.5, "useless": -0.6, "hate": -0.8,
    "hated": -0.8, "horrible": -0.9, "fault": -0.4, "faults": -0.4, "noisy": -0.3,
    "worth": 0.3, "understands": 0.3, "understood": 0.3, "understand": 0.1, "grasp": 0.2,
    "informed": 0.3, "highlight": 0.5, "vanish": -0.4, "vanished": -0.4, "undone": -0.4,
    "embarrassing": -0.6, "carefully": 0.3, "box-ticking": -0.5, "horrendous": -0.9, "dreadful": -0.8, "appalling": -0.9,
    "atrocious": -0.9, "abysmal": -0.9, "fantasic": 0.6, "plus": 0.2, "pluses": 0.3,
    "plusses": 0.3, "hype": -0.3,
    # misspellings common enough in free-text comments to be worth knowing
    "improvment": 0.4, "helpfull": 0.6, "sucess": 0.6, "succesful": 0.6, "sucessful": 0.6,
    "dissapointing": -0.6, "disapointing": -0.6, "frustated": -0.6, "realy": 0.0,
}

# General sentiment verbs and nouns (TextBlob's lexicon is mostly adjectives), the
# vocabulary of reviews, emails and the news that any comment box also receives.
_GENERAL: dict[str, float] = {
    "liked": 0.4, "likes": 0.3, "enjoys": 0.5, "adore": 0.7, "impresses": 0.5,
    "satisfied": 0.5, "satisfying": 0.5, "wow": 0.4, "yay": 0.6, "lol": 0.3, "haha": 0.4,
    "congrats": 0.7, "congratulations": 0.7, "blessed": 0.6, "won": 0.3, "winning": 0.4,
    "succeed": 0.5, "succeeded": 0.5, "excels": 0.6, "shines": 0.5, "rocks": 0.5,
    "smile": 0.5, "smiles": 0.5, "laugh": 0.4, "fun": 0.4, "cry": -0.5, "crying": -0.6,
    "hurt": -0.5, "hurts": -0.5, "bored": -0.5, "dislike": -0.5, "disliked": -0.5,
    "annoy": -0.5, "annoys": -0.5, "irritating": -0.6, "irritated": -0.5, "upset": -0.5,
    "fear": -0.4, "scared": -0.5, "damn": -0.3, "damaged": -0.5, "damage": -0.4,
    "scratched": -0.4, "cracked": -0.5, "leaks": -0.4, "leaking": -0.4, "freezes": -0.5,
    "froze": -0.5, "dead": -0.5, "dies": -0.5, "malfunction": -0.6, "malfunctioned": -0.6,
    "flaw": -0.4, "flaws": -0.4, "flawed": -0.5, "flawless": 0.8, "flawlessly": 0.8,
    "complained": -0.4, "refused": -0.5, "rejected": -0.4, "denied": -0.4, "lost": -0.3,
    "lose": -0.3, "losing": -0.3, "mistake": -0.4, "mistakes": -0.4, "weakness": -0.4,
    "weaknesses": -0.4, "strength": 0.3, "strengths": 0.3, "benefit": 0.3, "benefits": 0.3,
    "advantage": 0.3, "bonus": 0.4, "pleasure": 0.5, "joy": 0.6, "delight": 0.6,
    "gem": 0.6, "breeze": 0.5, "bargain": 0.5, "crisp": 0.4, "vibrant": 0.5, "sturdy": 0.5,
    "durable": 0.5, "intuitive": 0.6, "handy": 0.4, "versatile": 0.5, "user-friendly": 0.6,
    "tedious": -0.5, "clumsy": -0.5, "inconvenient": -0.5, "inconvenience": -0.4,
    "limitation": -0.3, "limitations": -0.3, "trouble": -0.4, "troubles": -0.4,
    "troublesome": -0.5, "headache": -0.5, "headaches": -0.5, "ugh": -0.5, "argh": -0.5,
    "meh": -0.3, "yuck": -0.6, "sigh": -0.3, "ouch": -0.4, "crappy": -0.7, "shoddy": -0.7,
    "overheats": -0.5, "overheating": -0.5, "garbled": -0.5, "blurry": -0.5,
    "grainy": -0.4, "fuzzy": -0.3, "repair": -0.3, "replacement": -0.2,
    "disappoint": -0.6, "disappoints": -0.6, "quits": -0.5, "pricey": -0.3,
    "affordable": 0.4, "inexpensive": 0.3, "worthwhile": 0.5, "underwhelming": -0.5,
    "underwhelmed": -0.5, "unimpressed": -0.5, "unsatisfied": -0.5, "dissatisfied": -0.6,
    "unsatisfactory": -0.6, "pleasing": 0.5, "upsetting": -0.6, "shame": -0.5,
    "shameful": -0.7, "pity": -0.4, "helpless": -0.5, "victim": -0.4, "victims": -0.4,
    "abuse": -0.7, "kill": -0.5, "killed": -0.5, "die": -0.5, "death": -0.6, "war": -0.5,
    "attack": -0.5, "attacks": -0.5, "crisis": -0.6, "violence": -0.7, "murder": -0.8,
    "crime": -0.5, "corrupt": -0.7, "corruption": -0.7, "fraud": -0.7, "threat": -0.4,
    "threatens": -0.4, "danger": -0.5, "loss": -0.4, "losses": -0.4, "poverty": -0.5,
    "suffer": -0.6, "suffering": -0.6, "suffered": -0.6, "tragedy": -0.8, "peace": 0.5,
    "freedom": 0.4, "hero": 0.6, "heroes": 0.6, "celebrate": 0.6, "celebration": 0.5,
    "achievement": 0.6, "achieved": 0.4, "improve": 0.3, "improves": 0.3, "thrive": 0.6,
    "thriving": 0.6, "honor": 0.4, "honour": 0.4, "respect": 0.4, "respected": 0.4,
    "admire": 0.6, "admirable": 0.6, "kindness": 0.6, "compassion": 0.5, "courage": 0.5,
    "wisdom": 0.5, "genius": 0.6, "beauty": 0.6, "beautifully": 0.7, "elegant": 0.6,
    "masterpiece": 0.9, "absurd": -0.6, "nonsense": -0.6, "idiot": -0.8, "idiots": -0.8,
    "stupidity": -0.7, "greedy": -0.6, "greed": -0.6, "selfish": -0.6, "liar": -0.8,
    "cheat": -0.7, "cheated": -0.7, "hypocrisy": -0.7, "hypocritical": -0.7,
    "scandal": -0.7, "outrage": -0.7, "disgrace": -0.8, "disgraceful": -0.8,
    "insult": -0.6, "insulting": -0.7, "blunder": -0.6, "incompetence": -0.8,
    "negligence": -0.7, "finicky": -0.4, "outperforms": 0.5, "marvel": 0.5,
    "fortunately": 0.4, "miss": -0.3, "sick": -0.4, "tired": -0.3, "awesome": 0.8,
}

# Multi-word expressions, matched on exact lower-case tokens before single words, so
# "over budget" is read as one negative unit rather than as "over" plus "budget".
_PHRASES: dict[str, float] = {
    "over budget": -0.6, "over-budget": -0.6, "over the budget": -0.6,
    "blew the budget": -0.7, "blown the budget": -0.7, "cost overrun": -0.6,
    "cost overruns": -0.6, "under budget": 0.6, "within budget": 0.5, "on budget": 0.5,
    "on track": 0.5, "back on track": 0.5, "off track": -0.5, "on time": 0.5,
    "on schedule": 0.5, "ahead of schedule": 0.6, "ahead of plan": 0.6,
    "behind schedule": -0.6, "behind plan": -0.5, "last minute": -0.4,
    "last-minute": -0.4, "short notice": -0.3, "keep moving": -0.5, "keeps moving": -0.5,
    "kept moving": -0.5, "keep slipping": -0.6, "keeps slipping": -0.6,
    "keep changing": -0.4, "keeps changing": -0.4, "kept changing": -0.4,
    "moved the goalposts": -0.5, "moving goalposts": -0.5, "scope creep": -0.4,
    "dropped the ball": -0.7, "kept in the dark": -0.6, "in the dark": -0.5,
    "out of the loop": -0.5, "in the loop": 0.3, "left guessing": -0.5,
    "left us guessing": -0.5, "radio silence": -0.6, "fobbed off": -0.6,
    "brushed off": -0.5, "found out": -0.2, "no surprises": 0.5, "no nasty surprises": 0.5,
    "pleasantly surprised": 0.6, "bad news": -0.3, "no issues": 0.4, "no problems": 0.4,
    "no problem": 0.3, "no complaints": 0.5, "no-nonsense": 0.4, "never again": -0.6,
    "can't fault": 0.6, "cant fault": 0.6, "couldn't fault": 0.6, "could not fault": 0.6,
    "couldn't be happier": 0.8, "could not be happier": 0.8, "could be better": -0.3,
    "could do better": -0.3, "room for improvement": -0.2, "needs to improve": -0.3,
    "need to improve": -0.3, "needs improvement": -0.3, "went well": 0.5,
    "went smoothly": 0.6, "going well": 0.5, "well done": 0.7, "great job": 0.8,
    "good job": 0.7, "thank you": 0.4, "above and beyond": 0.8, "stopped working": -0.7,
    "quit working": -0.7, "sent it back": -0.5, "send it back": -0.5,
    "sending it back": -0.5, "piece of junk": -0.8, "falls short": -0.5,
    "fell short": -0.5, "let down": -0.6, "let us down": -0.6, "lets us down": -0.6,
    "pushed back": -0.2, "rolled back": -0.4, "fell over": -0.5, "falls over": -0.5,
    "went down": -0.4, "keeps crashing": -0.6, "by the skin of": -0.2,
    "goes above and beyond": 0.8, "went above and beyond": 0.8, "hit the ground running": 0.6,
    "hats off": 0.7, "on the ball": 0.6, "on top of": 0.4, "over-promised": -0.6,
    "over promised": -0.6, "under-delivered": -0.7, "under delivered": -0.7,
    "not enough": -0.3, "overly optimistic": -0.4, "too optimistic": -0.4,
    "highly recommend": 0.7, "no excuse": -0.6, "exceeded expectations": 0.7,
    "exceeded our expectations": 0.7, "exceeded my expectations": 0.7,
    "exceeded the budget": -0.6, "save your money": -0.6, "don't buy": -0.6,
    "look elsewhere": -0.5, "don't waste": -0.6, "do not waste": -0.6,
    "don't hold your breath": -0.5, "doesn't work": -0.6, "does not work": -0.6,
    "didn't work": -0.6, "did not work": -0.6, "not working": -0.6, "isn't working": -0.6,
    "never worked": -0.6, "value for money": 0.5, "ripped off": -0.7, "locks up": -0.5,
    "locked up": -0.5, "killing it": 0.6, "twice as long": -0.4, "run over": -0.3,
    "runs over": -0.3, "know their stuff": 0.6, "knows his stuff": 0.6,
    "knows her stuff": 0.6, "knows their stuff": 0.6, "talking down": -0.5,
    "talk down": -0.5, "talked down": -0.5, "count on": 0.5, "rely on": 0.4,
    "stayed late": 0.3, "rock solid": 0.7, "rock-solid": 0.7, "plain english": 0.3,
    "took the time": 0.4, "takes the time": 0.4, "out of date": -0.3, "still waiting": -0.4,
    "still can't": -0.4, "still cannot": -0.4, "still no": -0.4, "nobody knows": -0.4,
    "no one knows": -0.4, "nobody seems to know": -0.4, "no relation to reality": -0.5,
    "confidence is low": -0.5, "low confidence": -0.5, "morale is low": -0.5,
    "low morale": -0.5, "fend for ourselves": -0.5, "taken seriously": 0.4,
    "broken promises": -0.7, "broken promise": -0.7, "open about": 0.4, "works well": 0.5,
    "worked well": 0.5, "working well": 0.5, "kept us informed": 0.5, "i like": 0.4,
    "we like": 0.4, "i liked": 0.4, "we liked": 0.4, "very well": 0.5, "really well": 0.5,
    "so well": 0.5, "not able": -0.4, "doesn't help": -0.4, "didn't help": -0.4,
    "drove me nuts": -0.6, "drives me nuts": -0.6, "took forever": -0.5,
    "takes forever": -0.5, "bang for the buck": 0.5, "spot on": 0.6, "won't work": -0.5, "wasn't working": -0.6, "need better": -0.3, "needs better": -0.3,
    "need clearer": -0.3, "needs to be better": -0.3, "need to be better": -0.3,
}

# Words whose TextBlob polarity is noise in a status comment: they describe order, size
# or time, not judgement ("the first phase", "more users", "due on Friday").
NEUTRAL_WORDS = frozenset(
    "new first other due more many most few main full real sure whole final last next "
    "long big little previous current open free certain particular general common usual "
    "normal regular extra additional various public short live key major minor "
    "necessary possible likely own total dear right enough least mean cheap able high "
    "low only much super important available critical close honestly lately frankly "
    "literally actually usually plain issued issuing".split()
)

# Hedges that TextBlob would otherwise score as sentiment ("kind of", "as well").
NEUTRAL_PHRASES = frozenset(
    {
        "kind of", "sort of", "as well", "at least", "pretty much", "as much", "in progress",
        "work in progress", "to be honest", "to be fair", "in fairness", "to be frank",
        "if i'm honest", "in all honesty", "no particular", "no further", "no other",
        "no more", "i understand", "we understand", "no longer",
    }
)

# Multipliers for the next sentiment word: boosters above 1, downtoners below.
INTENSIFIERS = MappingProxyType(
    {
        "very": 1.3, "really": 1.3, "so": 1.3, "extremely": 1.5, "incredibly": 1.5,
        "hugely": 1.4, "massively": 1.4, "seriously": 1.3, "totally": 1.4,
        "completely": 1.4, "utterly": 1.5, "absolutely": 1.5, "truly": 1.3,
        "highly": 1.3, "genuinely": 1.3, "particularly": 1.2, "especially": 1.2,
        "consistently": 1.2, "constantly": 1.3, "too": 1.2, "quite": 1.1, "pretty": 1.1,
        "clearly": 1.2, "super": 1.3, "fairly": 0.8, "rather": 0.9, "somewhat": 0.6,
        "slightly": 0.5, "bit": 0.6, "mostly": 0.8, "largely": 0.8, "generally": 0.9,
        "reasonably": 0.8, "relatively": 0.8, "kinda": 0.7, "marginally": 0.5,
        "mildly": 0.6, "such": 1.2, "most": 1.2, "more": 1.1, "less": 0.7, "deeply": 1.4,
        "thoroughly": 1.3, "exceptionally": 1.5, "remarkably": 1.4, "awfully": 1.4,
    }
)

# Words that flip the sentiment of what follows within a short scope.
NEGATORS = frozenset(
    "not no never cannot cant dont doesnt didnt isnt wasnt arent werent wont wouldnt "
    "couldnt shouldnt havent hasnt hadnt aint nobody nothing none nowhere neither nor "
    "without hardly barely rarely seldom zero".split()
)

# Negators that are themselves negative when nothing assessable follows
# ("a complete lack of updates", "without any warning").
NEGATIVE_NEGATORS = MappingProxyType(
    {"lack": -0.4, "lacks": -0.4, "lacking": -0.4, "absence": -0.3}
)

# Things whose absence is a complaint ("no updates", "never got an answer").
ABSENCE_NOUNS = frozenset(
    "update updates response reply replies answer answers feedback communication word "
    "news visibility clarity plan warning notice heads-up notification explanation "
    "acknowledgement acknowledgment callback follow-up detail details information "
    "idea agenda minutes owner ownership accountability direction governance calls "
    "emails messages training documentation instructions manual".split()
)
ABSENCE_POLARITY = -0.4

# Function words a negation reaches across without using up its scope ("not a good").
SCOPE_TRANSPARENT = frozenset(
    "a an the to be been being is are was were am of it its us we i me my our you your "
    "them they any at all that this for in on with so".split()
)

# Modal frames that turn praise into a wish for what is missing ("would be nice").
WISH_MODALS = frozenset({"would", "could", "should", "might"})
WISH_FACTOR = -0.3

# Verbs that remove a problem: the negative noun after them is good news
# ("fixed the rounding bug", "caught the issues before go-live").
REMEDIES = frozenset(
    "fixed fixes resolved resolves solved solves sorted eliminated removed caught catches "
    "prevented avoided addressed cleared".split()
)
REMEDY_FACTOR = -0.5

# "too" before a word that is not praise is a complaint ("too technical", "too many").
TOO_POLARITY = -0.3

# Words after a negator that cancel the flip ("not only", "nothing but").
NEGATION_BREAKERS = frozenset({"only", "just", "but", "least", "wait", "doubt"})

# Clause links after which the second clause carries the writer's real view.
CONTRAST_AFTER = frozenset({"but", "however", "nevertheless", "nonetheless", "yet"})
# Clause openers whose own clause is the concession ("although X, Y").
CONCESSIONS = frozenset({"although", "though", "despite", "whilst", "while", "albeit"})

# Sentence openers that make a request or a wish rather than a judgement.
REQUEST_OPENERS = (
    ("please",), ("kindly",), ("could", "you"), ("could", "we"), ("can", "you"),
    ("can", "we"), ("would", "you"), ("would", "it", "be"), ("is", "it", "possible"),
    ("i'd", "like"), ("we'd", "like"), ("i", "would", "like"), ("we", "would", "like"),
    ("it", "would", "be"), ("would", "be"), ("it'd", "be"), ("let's",), ("lets",),
    ("any", "chance"), ("going", "forward"), ("in", "future"), ("in", "the", "future"),
    ("next", "time"), ("suggest",), ("i", "suggest"), ("we", "suggest"),
    ("suggestion",), ("it", "might", "be", "worth"), ("it", "may", "be", "worth"),
    ("i", "hope"), ("we", "hope"), ("hopefully",),
    ("we'd", "appreciate"), ("i'd", "appreciate"), ("would", "appreciate"),
    ("it", "would", "help"), ("would", "help"), ("would", "love"), ("i'd", "love"),
    ("we'd", "love"), ("can", "i"), ("could", "i"), ("who", "should"), ("where", "can"),
)

# Questions that complain rather than ask ("why do we always hear last?").
RHETORICAL_OPENERS = frozenset({"why", "how come", "seriously"})

EMOTICONS = MappingProxyType(
    {
        ":)": 0.5, ":-)": 0.5, "=)": 0.5, ":D": 0.7, ":-D": 0.7, ";)": 0.3, ";-)": 0.3,
        ":P": 0.2, ":p": 0.2, "<3": 0.6, ":(": -0.5, ":-(": -0.5, "=(": -0.5, ":/": -0.3,
        ":-/": -0.3, ":\\": -0.3, ":|": -0.1, ":'(": -0.6,
    }
)

WORDS = MappingProxyType(
    {**_GENERAL, **_WORDS, **{k: v for k, v in _PHRASES.items() if " " not in k}}
)
PHRASES = MappingProxyType({tuple(k.split()): v for k, v in _PHRASES.items() if " " in k})
NEUTRAL_PHRASE_TOKENS = frozenset(tuple(p.split()) for p in NEUTRAL_PHRASES)
MAX_PHRASE_TOKENS = max(len(k) for k in (*PHRASES, *NEUTRAL_PHRASE_TOKENS))

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
