"""Language resources the linguistic features need, found without downloading anything.

* WordNet 3.0: NLTK's standard data (``nltk.download("wordnet")``) when installed; otherwise Debian's
  ``wordnet-base`` and ``wordnet-sense-index`` packages (``/usr/share/wordnet``), which hold the same
  WordNet 3.0 database files. NLTK reads only from its data folders and needs a ``lexnames`` file that
  Debian does not ship, so the files are copied once into a pqpp cache folder laid out as NLTK expects,
  with ``lexnames`` written from WordNet 3.0's published list of lexicographer files.
* NLTK's part-of-speech tagger (``averaged_perceptron_tagger_eng``): NLTK's standard data only. It has
  no packaged offline source, so features that need it are reported unavailable when it is missing.

Each loader returns the resource, or raises :class:`ResourceUnavailableError` saying why and how to install it.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path
from typing import Any

from pqpp.cache import cache_dir

__all__ = ["DEBIAN_WORDNET", "ResourceUnavailableError", "pos_tagger", "wordnet"]

DEBIAN_WORDNET = Path("/usr/share/wordnet")
_WORDNET_FILES = (
    "adj.exc", "adv.exc", "noun.exc", "verb.exc", "cntlist.rev", "index.sense",
    "data.adj", "data.adv", "data.noun", "data.verb", "index.adj", "index.adv", "index.noun", "index.verb",
)  # fmt: skip
# WordNet 3.0's lexicographer files (lexnames(5WN)): number, name, syntactic category (1 noun, 2 verb,
# 3 adjective, 4 adverb).
_LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive "
    "noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process noun.quantity "
    "noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change verb.cognition "
    "verb.communication verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}


class ResourceUnavailableError(RuntimeError):
    """A language resource is not installed; the message says how to install it."""


def _debian_wordnet_as_nltk_data(source: Path) -> Path:
    """Copy Debian's WordNet files into ``<cache>/nltk_data/corpora/wordnet`` (once) and return the data root."""
    root = cache_dir("nltk_data")
    target = root / "corpora" / "wordnet"
    if not (target / "lexnames").is_file():
        staging = target.with_name(f"wordnet.tmp-{os.getpid()}")
        staging.mkdir(parents=True, exist_ok=True)
        for name in _WORDNET_FILES:
            shutil.copyfile(source / name, staging / name)
        lines = [f"{i:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}" for i, name in enumerate(_LEXNAMES)]
        (staging / "lexnames").write_text("\n".join(lines) + "\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    return root


@cache
def wordnet() -> Any:
    """NLTK's WordNet reader (WordNet 3.0).

    Raises:
        ResourceUnavailableError: neither NLTK's WordNet data nor Debian's WordNet files are installed.
    """
    import nltk
    from nltk.corpus import wordnet as wn

    try:
        wn.get_version()  # loads the corpus (LazyCorpusLoader retries the lookup on every access)
        return wn
    except LookupError:
        pass
    missing = [name for name in _WORDNET_FILES if not (DEBIAN_WORDNET / name).is_file()]
    if missing:
        raise ResourceUnavailableError(
            "WordNet is not installed: run `python -m nltk.downloader wordnet`, or on Debian/Ubuntu "
            f"`apt-get install wordnet-base wordnet-sense-index` (missing {', '.join(missing[:3])} in {DEBIAN_WORDNET})"
        )
    root = str(_debian_wordnet_as_nltk_data(DEBIAN_WORDNET))
    if root not in nltk.data.path:
        nltk.data.path.append(root)
    wn.get_version()
    return wn


@cache
def pos_tagger() -> Any:
    """NLTK's English part-of-speech tagger (``nltk.pos_tag``).

    Raises:
        ResourceUnavailableError: its data (``averaged_perceptron_tagger_eng``) is not installed.
    """
    import nltk

    try:
        nltk.pos_tag(["test"])
    except LookupError:
        raise ResourceUnavailableError(
            "NLTK's part-of-speech tagger is not installed: run "
            "`python -m nltk.downloader averaged_perceptron_tagger_eng` (no offline package provides it)"
        ) from None
    return nltk.pos_tag
