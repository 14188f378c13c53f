"""What a coordinator may see: the whole city or one town. Every query that reads people takes the scope."""

from __future__ import annotations

from dataclasses import dataclass


class ScopeError(ValueError):
    """A scope text is neither ``city`` nor ``town:<name>``."""


@dataclass(frozen=True)
class Scope:
    """What a coordinator may see: the whole city (``town`` None) or one town."""

    town: str | None = None

    @classmethod
    def parse(cls, text: str) -> "Scope":
        """Parse ``city`` or ``town:<name>`` (also ``town：<name>``). Raises :class:`ScopeError`."""
        text = (text or "").strip()
        if text == "city":
            return cls(None)
        head, sep, name = text.replace("：", ":").partition(":")
        if head == "town" and sep and name.strip():
            return cls(name.strip())
        raise ScopeError(f"scope must be 'city' or 'town:<name>', not {text!r}")

    @property
    def label(self) -> str:
        """The scope in Chinese: 全市 or the town's name."""
        return "全市" if self.town is None else self.town

    def __str__(self) -> str:
        return "city" if self.town is None else f"town:{self.town}"
