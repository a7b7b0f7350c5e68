"""The paper's linguistic pre-retrieval features, computed per prompt (no training).

Words are NLTK's ``NLTKWordTokenizer`` tokens minus punctuation-only tokens (the paper's tokenisation).
Features (after Mothe & Tanguy, 2005):

============================  ===========================================================  ===============
name                          value per prompt                                             needs
============================  ===========================================================  ===============
``num_words``                 number of words                                              —
``avg_word_length``           mean characters per word                                     —
``num_synsets``               WordNet synsets of all words (``len(wn.synsets(word))``)     WordNet
``num_proper_nouns``          words tagged NNP / NNPS                                      POS tagger
``num_acronyms``              words of 2+ letters, all capitals (``NASA``, ``U.S.``)       —
``num_numerals``              digit words (``3``, ``1,000``, ``2nd``) and number words     —
``num_conjunctions``          words in :data:`CONJUNCTIONS`                                —
``num_prepositions``          words in :data:`PREPOSITIONS`                                —
============================  ===========================================================  ===============

A feature whose resource is missing is reported unavailable with the reason, never given a made-up value.

Example:
    >>> table = linguistic_features(["Two NASA astronauts and a dog walk in the park."],
    ...                             ["num_words", "num_acronyms", "num_numerals", "num_prepositions"])
    >>> {name: values.tolist() for name, values in table.values.items()}
    {'num_words': [10.0], 'num_acronyms': [1.0], 'num_numerals': [1.0], 'num_prepositions': [1.0]}
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from pqpp.features.resources import ResourceUnavailableError, pos_tagger, wordnet

__all__ = ["CONJUNCTIONS", "FEATURES", "PREPOSITIONS", "FeatureTable", "linguistic_features", "words"]

CONJUNCTIONS = frozenset(
    "and or but nor yet so although though because whereas unless whether either neither".split()
)
PREPOSITIONS = frozenset(
    "about above across after against along alongside amid among amongst around as at atop before behind below "
    "beneath beside besides between beyond by despite down during except for from in inside into like near "
    "of off on onto opposite out outside over past per round through throughout till to toward towards under "
    "underneath unlike until up upon via with within without".split()
)
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion dozen".split()
)
_PUNCTUATION = frozenset(string.punctuation)
_DIGITS = re.compile(r"^\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?$", re.IGNORECASE)


def words(prompt: str) -> list[str]:
    """NLTK word tokens of ``prompt`` without the punctuation-only ones."""
    from nltk.tokenize import NLTKWordTokenizer

    return [t for t in NLTKWordTokenizer().tokenize(prompt) if not all(c in _PUNCTUATION for c in t)]


def _is_acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return (
        len(letters) >= 2 and all(c.isupper() for c in letters) and all(c.isalpha() or c == "." for c in word)
    )


def _is_numeral(word: str) -> bool:
    return bool(_DIGITS.match(word)) or word.lower() in NUMBER_WORDS


@dataclass(frozen=True)
class Feature:
    """One feature: its per-prompt function over the prompt's words, and the resource it needs."""

    compute: Callable[[list[str], dict], float]
    needs: Callable[[], object] | None = None
    description: str = ""


FEATURES: dict[str, Feature] = {
    "num_words": Feature(lambda w, r: len(w), description="words"),
    "avg_word_length": Feature(
        lambda w, r: float(np.mean([len(x) for x in w])) if w else float("nan"),
        description="characters per word",
    ),
    "num_synsets": Feature(
        lambda w, r: sum(len(r["wordnet"].synsets(x)) for x in w), wordnet, "WordNet synsets of the words"
    ),
    "num_proper_nouns": Feature(
        lambda w, r: sum(tag in ("NNP", "NNPS") for _, tag in r["pos_tagger"](w)), pos_tagger, "proper nouns"
    ),
    "num_acronyms": Feature(lambda w, r: sum(map(_is_acronym, w)), description="acronyms"),
    "num_numerals": Feature(lambda w, r: sum(map(_is_numeral, w)), description="numerals"),
    "num_conjunctions": Feature(
        lambda w, r: sum(x.lower() in CONJUNCTIONS for x in w), description="conjunctions"
    ),
    "num_prepositions": Feature(
        lambda w, r: sum(x.lower() in PREPOSITIONS for x in w), description="prepositions"
    ),
}


@dataclass
class FeatureTable:
    """Feature values per prompt, and the features that could not be computed (name → reason)."""

    values: dict[str, np.ndarray] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def linguistic_features(prompts: Sequence[str], names: Sequence[str] | None = None) -> FeatureTable:
    """Compute ``names`` (default: all :data:`FEATURES`) for every prompt.

    Raises:
        ValueError: an unknown feature name, listing the valid ones.
    """
    names = list(names or FEATURES)
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature(s) {unknown}; valid: {list(FEATURES)}")
    table = FeatureTable()
    resources: dict[str, object] = {}
    for name in names:
        needs = FEATURES[name].needs
        if needs is not None:
            try:
                resources[needs.__name__] = needs()
            except ResourceUnavailableError as reason:
                table.unavailable[name] = str(reason)
    tokenized = [words(p) for p in prompts]
    for name in names:
        if name not in table.unavailable:
            compute = FEATURES[name].compute
            table.values[name] = np.array([compute(w, resources) for w in tokenized], dtype=np.float64)
    return table
