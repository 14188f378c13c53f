"""One village's imported facts (:class:`VillageSheet`) and who may read them: the privacy rules by village."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

from bot.kernel import clock
from bot.kernel.store import Person, Store

from .cells import place_key
from .fields import FieldType, VillageField



# --------------------------------------------------------------------------------------------------- the sheet
@dataclass(frozen=True)
class VillageSheet:
    """One village's imported facts: ``town`` and ``village`` as written in the latest import, ``id`` (see
    :func:`village_id`), ``values`` by field key (stored form, see :func:`parse_cell`) and ``imported`` (UTC ISO
    time of the latest import holding each field)."""

    town: str
    village: str
    id: str
    values: dict[str, str]
    imported: dict[str, str]

    def imported_on(self, keys: Iterable[str] | None = None) -> str:
        """Return the local date (UTC+8, ``YYYY-MM-DD``) of the latest import of ``keys`` (default: all)."""
        times = [self.imported[k] for k in (keys if keys is not None else self.imported) if k in self.imported]
        latest = max(times or self.imported.values())
        return clock.local_day(latest)

    def items(self, f: VillageField) -> list[str]:
        """Return a list field's items (a text field as one item; empty if not filled)."""
        raw = self.values.get(f.key)
        if raw is None:
            return []
        return json.loads(raw) if f.type is FieldType.list else [raw]

    def shown(self, f: VillageField) -> str:
        """Return a field's value as shown: ``320户``, ``58.6万元``, a text, items joined by 、 (``""`` if not filled)."""
        raw = self.values.get(f.key)
        if raw is None:
            return ""
        if f.numeric:
            return f"{raw}{f.unit}"
        return "、".join(self.items(f))


_SHEET_SQL = ("select town, village, village_id, field, value, imported_at from village_facts "
              "where {where} order by imported_at")


def _sheets_from(rows: Iterable[Any]) -> list[VillageSheet]:
    grouped: dict[str, dict[str, Any]] = {}
    for r in rows:
        sheet = grouped.setdefault(r["village_id"], {"values": {}, "imported": {}})
        sheet.update(town=r["town"], village=r["village"])
        sheet["values"][r["field"]] = r["value"]
        sheet["imported"][r["field"]] = r["imported_at"]
    return [VillageSheet(s["town"], s["village"], vid, s["values"], s["imported"]) for vid, s in grouped.items()]


def _roster_place(store: Store, person: Person) -> tuple[str, str] | None | bool:
    """The village the coordinator's roster puts this account in: (town, village) for an account bound by its
    invite; False when a roster exists but this account is not on it; None when no roster was imported."""
    if "roster" not in store.db.table_names():
        return None
    bound = store.db.execute("select town, village from roster where person_id = ?", [person.id]).fetchone()
    if bound:
        return bound[0], bound[1]
    return False if store.db.execute("select 1 from roster limit 1").fetchone() else None


def needs_invite(store: Store, person: Person) -> bool:
    """True when a roster was imported and this account is not bound to a row of it. Anyone can type a village
    at /start, so once the coordinators keep a roster, village figures go only to accounts they invited."""
    return _roster_place(store, person) is False


def own_village(store: Store, person: Person) -> tuple[str, str] | None:
    """The (town, village) whose sheet this person may read: the roster row an invited account is bound to
    (re-registering elsewhere changes nothing), else — while no roster exists — the registered one; None when
    neither applies."""
    place = _roster_place(store, person)
    if isinstance(place, tuple):
        return place
    if place is False or not person.registered or not person.town or not person.village:
        return None
    return person.town, person.village


def sheet_of(store: Store, person: Person) -> VillageSheet | None:
    """Return the sheet of the person's own village (see :func:`own_village`: the roster row for an invited account,
    the registration while no roster exists), or None (no such village, not invited although a roster exists, or no
    sheet).

    The query is filtered by the person's own town and village: nothing of another village is read.
    """
    place = own_village(store, person)
    if place is None:
        return None
    town, village = place_key(place[0], "town"), place_key(place[1], "village")
    rows = store.db.query(_SHEET_SQL.format(where="town_key = ? and village_key = ?"), [town, village])
    found = _sheets_from(rows)
    return found[0] if found else None


def sheets_in_scope(store: Store, town: str | None, village: str | None = None) -> list[VillageSheet]:
    """Return the sheets a coordinator may read: those of ``town`` (None: the whole city), only the villages named
    ``village`` when given, ordered by town and village.

    The scope's town is a parameter of the query: nothing of another town is read.
    """
    where, params = "1 = 1", []
    if town is not None:
        where += " and town_key = ?"
        params.append(place_key(town, "town"))
    if village is not None:
        where += " and village_key = ?"
        params.append(place_key(village, "village"))
    found = _sheets_from(store.db.query(_SHEET_SQL.format(where=where), params))
    return sorted(found, key=lambda s: (s.town, s.village))


def _sheet_by_id(store: Store, vid: str) -> VillageSheet | None:
    """The sheet with this village id (only to rebuild a question whose id is already in a person's session)."""
    found = _sheets_from(store.db.query(_SHEET_SQL.format(where="village_id = ?"), [vid]))
    return found[0] if found else None

