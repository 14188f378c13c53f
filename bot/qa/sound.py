"""Sound classes: how a word sounds to a speech recogniser or a Hainan-accented speaker, for matching by ear.

Voice input and pinyin keyboards swap near-homophones (检测/监测, 托贫/脱贫), and Hainan-accented Mandarin merges
n/l, f/h, zh/z, ch/c, sh/s, in/ing and en/eng; tones are unreliable. Two characters in the same class here may be
what the person meant. Built on :func:`bot.kernel.text.syllable` (toneless pinyin, zh/z ch/c sh/s and -ng/-n
already merged), adding the initials n/l and f/h.
"""

from __future__ import annotations

from functools import lru_cache

from bot.kernel.text import syllable, tokens


@lru_cache(maxsize=20000)
def sound_class(token: str) -> str:
    """Return the sound class of one token: toneless pinyin with n/l, f/h, zh/z, ch/c, sh/s, -ng/-n merged.

    Args:
        token: one Chinese character, or a number / ASCII word (returned as is).
    Returns:
        e.g. ``"nu"`` for 路 and 怒, ``"fu"`` for 湖 and 福, ``"zen"`` for 真 and 增.
    """
    if len(token) != 1:
        return token
    s = syllable(token)
    if s.startswith("l"):
        return "n" + s[1:]
    if s.startswith("h"):
        return "f" + s[1:]
    return s


def sound_string(text: str) -> str:
    """Return the sound classes of a normalised text's tokens, run together (for fuzzy comparison of names)."""
    return "".join(sound_class(t) for t in tokens(text))
