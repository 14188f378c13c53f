"""The files in ``samples/`` agree with each other and with the templates, and hold ordinary invented names (issue
11, item 5): a coordinator who imports the sample roster and the sample village sheet gets every village's people.
Markup in names (``<b>李&明``) is tested with the tests' own data (``tests/data/roster_people.csv``), not here."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from bot.coordination import roster
from bot.coordination.roster import read_roster
from bot.kernel.roles import Role
from bot.kernel.store import Store
from bot.villages import import_file, load_fields, template_header

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
ROSTER = SAMPLES / "roster_sample.csv"
VILLAGES = SAMPLES / "village_sample.csv"
#: Columns of the village sheet that name people of the village, and the roles those people hold in a roster.
PEOPLE_COLUMNS = {"工作队队长": {Role.first_secretary}, "工作队员": {Role.work_team_member},
                  "村医": {Role.village_doctor}}
ORDINARY_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


def test_samples_have_their_templates_header():
    assert header(ROSTER) == header(SAMPLES / "roster_template.csv")
    assert header(VILLAGES) == header(SAMPLES / "village_template.csv") == template_header(load_fields())


def test_samples_import_without_a_skipped_row_or_cell():
    store = Store(":memory:")
    assert roster.import_file(store, ROSTER).errors == []
    assert import_file(store, VILLAGES, load_fields()).errors == []


def test_every_village_of_the_sample_sheet_is_in_the_sample_roster_with_its_people():
    people, _ = read_roster(ROSTER)
    places = {(p.town, p.village) for p in people}
    for village in rows(VILLAGES):
        town, name = village["镇"], village["村"]
        assert (town, name) in places, f"{town}{name} is in the village sheet but not in the roster"
        here = {p.name: Role(p.role) for p in people if (p.town, p.village) == (town, name)}
        assert any(role is Role.village_secretary for role in here.values()), f"{name} has no 村党组织书记"
        for column, roles in PEOPLE_COLUMNS.items():
            for person in re.split(r"[、，,；;]", village[column]):
                assert person in here, f"{person} ({column} of {name}) is not on the roster in {name}"
                assert here[person] in roles, f"{person} is {here[person]} on the roster, {column} in the sheet"


def test_sample_names_are_ordinary_invented_names():
    people, errors = read_roster(ROSTER)
    assert errors == [] and len(people) >= 15
    assert len({p.name for p in people}) == len(people)
    assert [p.name for p in people if not ORDINARY_NAME.fullmatch(p.name)] == []
    for village in rows(VILLAGES):
        for column in PEOPLE_COLUMNS:
            assert all(ORDINARY_NAME.fullmatch(n) for n in re.split(r"[、，,；;]", village[column]))
    for path in SAMPLES.glob("*.csv"):
        assert not re.search(r"[<>&_]", path.read_text(encoding="utf-8-sig")), path.name
    # A phone number in a sample is no one's: 138 0000 00xx.
    assert all(re.fullmatch(r"138000000\d\d", p.phone) for p in people if p.phone)
