"""Everyday words as data: how cadres say policy things, mapped to a concept the knowledge base has.

``knowledge/lexicon.yaml`` lists concepts — a word the plan itself uses (失学辍学, 饮水安全, 替代上岗) — each with
the phrases cadres use for it in speech (娃不上学, 没水吃, 顶班). Before a question is matched, every phrase found in
it is replaced by its concept, so the question meets the plan's words; the concepts a question hit are kept with
the match, and the unanswered log shows them to curators.

A phrase is found:

- by its characters (always preferred), or
- by sound (:mod:`bot.qa.sound`: n/l, f/h, zh/z, ch/c, sh/s, in/ing, en/eng merged, tones ignored) when it is
  three characters or longer and the characters found are not the plan's own words — voice input and accents
  (贷点宽 for 贷点款);
- ``A…B`` is A followed by B with at most :data:`GAP` characters between (替…上班: 替他上班, 替着老公上班).

Rules the validator enforces (errors name file, line and field): every concept appears in the knowledge base
(title, alias or answer of some entry); no phrase appears in the knowledge base (the plan's own words need no
mapping, and replacing them would hide them); a phrase belongs to one concept only. ``other_places`` names other
cities and counties: the plan is one city's, so a question about another place is not answered from it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field

from bot.kernel.models import NonEmpty, Strict
from bot.kernel.text import is_cjk, normalise
from bot.kernel.yamlfile import DataError, DataFileError, load_model_with_lines
from bot.qa.sound import sound_class

#: Most characters allowed between the two halves of an ``A…B`` phrase.
GAP = 4
#: Shortest phrase (in characters, gaps excluded) that is also found by sound.
SOUND_MIN = 3
_GAP_MARK = "…"


class LexiconConcept(Strict):
    """One concept: ``concept`` is a word of the plan (found in the knowledge base); ``phrases`` how cadres say it.

    Example: ``{concept: 替代上岗, phrases: [顶班, 替班, 替…上班]}``.
    """

    concept: NonEmpty
    phrases: list[NonEmpty] = Field(min_length=1)


class LexiconFile(Strict):
    """``knowledge/lexicon.yaml``: concepts with their everyday phrases, and other places the plan does not cover."""

    concepts: list[LexiconConcept] = Field(min_length=1)
    other_places: list[NonEmpty] = Field(default_factory=list)


@dataclass(frozen=True)
class Hit:
    """A phrase found in a question: characters ``start:end`` of the normalised text stand for ``concept``.

    ``by_sound`` is True when the characters differ from the phrase and only the sound matched.
    """

    start: int
    end: int
    concept: str
    phrase: str
    by_sound: bool = False


@dataclass
class Lexicon:
    """A compiled lexicon: phrase → concept, found by characters or by sound.

    Args:
        pairs: (phrase, concept) in file order; phrases may hold one ``…`` gap.
        other_places: names of other cities and counties.
    """

    pairs: list[tuple[str, str]] = field(default_factory=list)
    other_places: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        plain: dict[str, str] = {}
        gapped: list[tuple[re.Pattern, re.Pattern | None, str, str]] = []
        sounds: dict[str, tuple[str, str]] = {}
        for phrase, concept in self.pairs:
            concept = normalise(concept)
            if _GAP_MARK in phrase:
                a, b = (normalise(half) for half in phrase.split(_GAP_MARK, 1))
                by_chars = re.compile(re.escape(a) + r"[^\s，,。？?！!；;]{0,%d}?" % GAP + re.escape(b))
                # The same by sound, over the question's sound classes written as "cls/cls/…/".
                by_sound = (re.compile(r"(?:(?<=/)|^)" + re.escape(_sound_key(a) + "/") + r"(?:[^/]+/){0,%d}?" % GAP
                                       + re.escape(_sound_key(b) + "/"))
                            if all(is_cjk(c) for c in a + b) else None)
                gapped.append((by_chars, by_sound, concept, phrase))
                continue
            phrase = normalise(phrase)
            plain.setdefault(phrase, concept)
            if len(phrase) >= SOUND_MIN and all(is_cjk(c) for c in phrase):
                sounds.setdefault(_sound_key(phrase), (concept, phrase))
        self._plain = plain
        self._gapped = gapped
        self._sounds = sounds
        words = sorted(plain, key=len, reverse=True)
        self._rx_plain = re.compile("|".join(map(re.escape, words))) if words else None
        # Sound phrases by their first syllable's class: (length, key, concept, phrase).
        self._sound_first: dict[str, list[tuple[int, str, str, str]]] = {}
        for key, (concept, phrase) in sounds.items():
            self._sound_first.setdefault(key.split("/", 1)[0], []).append((len(phrase), key, concept, phrase))
        places = [normalise(p) for p in self.other_places]
        self._rx_places = re.compile("|".join(map(re.escape, sorted(places, key=len, reverse=True)))) if places else None

    def __len__(self) -> int:
        return len(self.pairs)

    def find(self, text: str, known=lambda chars: False) -> list[Hit]:
        """Return the phrases in ``text`` (normalised), left to right, never overlapping.

        Args:
            text: normalised question text.
            known: ``known(two characters) -> bool``: True for a pair of the plan's own words; a span made only of
                such pairs is the plan's wording and is never taken for a phrase by sound.
        Returns:
            the hits; characters first, longer phrases first, then gaps, then sound.
        """
        found: list[Hit] = []
        if self._rx_plain is not None:
            found += [Hit(m.start(), m.end(), self._plain[m.group()], m.group()) for m in self._rx_plain.finditer(text)]
        for rx, _, concept, phrase in self._gapped:
            found += [Hit(m.start(), m.end(), concept, phrase) for m in rx.finditer(text)]
        classes = [sound_class(c) if is_cjk(c) else "\0" for c in text]
        heard, starts, pos = "", [], 0
        for cls in classes:
            starts.append(pos)
            heard += cls + "/"
            pos += len(cls) + 1
        for _, rx, concept, phrase in self._gapped:
            for m in rx.finditer(heard) if rx is not None else ():
                found.append(Hit(starts.index(m.start()), bisect_left(starts, m.end()), concept, phrase, True))
        for start, cls in enumerate(classes):
            for size, key, concept, phrase in self._sound_first.get(cls, ()):
                span = text[start:start + size]
                if (len(span) == size and span != phrase and "/".join(classes[start:start + size]) == key
                        and not all(known(span[k:k + 2]) for k in range(size - 1))):
                    found.append(Hit(start, start + size, concept, phrase, True))
        # Characters before sound, longer before shorter, left before right; never two on one character.
        found.sort(key=lambda h: (h.by_sound, h.start - h.end, h.start))
        taken = [False] * len(text)
        hits: list[Hit] = []
        for h in found:
            if not any(taken[h.start:h.end]):
                taken[h.start:h.end] = [True] * (h.end - h.start)
                hits.append(h)
        hits.sort(key=lambda h: h.start)
        return hits

    def apply(self, text: str, known=lambda chars: False, keep=lambda hit: True) -> tuple[str, list[Hit]]:
        """Replace every phrase found in ``text`` by its concept; return (new text, hits). See :meth:`find`;
        ``keep(hit) -> bool`` leaves out the hits it refuses (the interview grader keeps only those that keep the
        phrase's sense)."""
        hits = [h for h in self.find(text, known) if keep(h)]
        if not hits:
            return text, hits
        out, pos = [], 0
        for h in hits:
            # A break on both sides: the concept is a word of its own, not glued to its neighbours.
            out += [text[pos:h.start], " ", h.concept, " "]
            pos = h.end
        out.append(text[pos:])
        return "".join(out), hits

    def concepts_in(self, question: str) -> list[str]:
        """Return the concepts a question as typed hits, each once, in order (for curators' unanswered log)."""
        seen: list[str] = []
        for h in self.find(normalise(question)):
            if h.concept not in seen:
                seen.append(h.concept)
        return seen

    def other_place(self, text: str) -> str | None:
        """Return the first other city or county named in ``text`` (normalised), or None."""
        if self._rx_places is None:
            return None
        m = self._rx_places.search(text)
        return m.group() if m else None


def _sound_key(phrase: str) -> str:
    return "/".join(sound_class(c) for c in phrase)


def load_lexicon(path: Path, display: str, kb_texts: list[str] | None) -> tuple[Lexicon, list[DataError]]:
    """Load ``lexicon.yaml`` and check it against the knowledge base.

    Args:
        path: the file; a missing file is an empty lexicon.
        display: how to name the file in errors.
        kb_texts: every title, alias and answer of the knowledge base; None skips the checks against it (the
            interview grader reads the lexicon on its own; ``python -m bot validate`` checks it).
    Returns:
        (the lexicon, the errors: file, line, field and message each). With errors the lexicon is still usable
        (the bad mappings left out), so every problem in every file can be listed at once.
    """
    if not path.is_file():
        return Lexicon(), []
    try:
        model, lines = load_model_with_lines(path, LexiconFile, display)
    except DataFileError as exc:
        return Lexicon(), list(exc.errors)
    checked = kb_texts is not None
    kb = "\n".join(normalise(t) for t in kb_texts or ())
    errors: list[DataError] = []
    pairs: list[tuple[str, str]] = []
    owner: dict[str, str] = {}
    for i, c in enumerate(model.concepts):
        line = lines.get(("concepts", i, "concept"), 0)
        if checked and normalise(c.concept) not in kb:
            errors.append(DataError(display, line, f"concepts.{i}.concept",
                                    f"'{c.concept}' is not a word of the knowledge base (no title, alias or answer "
                                    "holds it): map phrases to the plan's own words"))
            continue
        for j, phrase in enumerate(c.phrases):
            pline = lines.get(("concepts", i, "phrases", j), line)
            where = f"concepts.{i}.phrases.{j}"
            halves = [normalise(h) for h in phrase.split(_GAP_MARK)]
            norm = _GAP_MARK.join(halves)
            if len(halves) > 2 or not all(halves):
                errors.append(DataError(display, pline, where, f"'{phrase}': at most one … and text on both sides"))
                continue
            if len(norm.replace(_GAP_MARK, "")) < 2:
                errors.append(DataError(display, pline, where, f"'{phrase}': a phrase, not a single character"))
                continue
            if checked and len(halves) == 1 and norm in kb:
                errors.append(DataError(display, pline, where, f"'{phrase}' is already a word of the knowledge base: "
                                        "it needs no mapping"))
                continue
            if norm in owner and owner[norm] != c.concept:
                errors.append(DataError(display, pline, where, f"'{phrase}' is also a phrase of '{owner[norm]}'"))
                continue
            owner[norm] = c.concept
            pairs.append((phrase, c.concept))
    for k, place in enumerate(model.other_places):
        if normalise(place) in kb:
            errors.append(DataError(display, lines.get(("other_places", k), 0), f"other_places.{k}",
                                    f"'{place}' appears in the knowledge base: it is not another place"))
    places = [p for p in model.other_places if normalise(p) not in kb]
    return Lexicon(pairs, places), errors

