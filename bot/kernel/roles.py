"""Interviewed roles, as the plan lists them.

Source: the plan, 五、评估方法 (三)座谈访谈 (who is interviewed) and 三、迎接省后评估具体要求 ›
帮扶联系人责任落实方面 (帮扶联系人). Identifiers follow the glossary in ``knowledge/glossary.yaml``.
"""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    """A role whose holders the assessors interview.

    The value is the stable ASCII id used in YAML files and the database; ``label`` is the plan's wording.
    """

    city_leader = "city_leader"
    department_head = "department_head"
    township_leader = "township_leader"
    brigade_leader = "brigade_leader"
    village_secretary = "village_secretary"
    first_secretary = "first_secretary"
    work_team_member = "work_team_member"
    household_contact = "household_contact"
    cooperative_head = "cooperative_head"
    village_doctor = "village_doctor"

    @property
    def label(self) -> str:
        """Return the role's name in the plan's words (Chinese)."""
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.city_leader: "市县主要领导、分管领导",
    Role.department_head: "行业部门负责人",
    Role.township_leader: "乡镇主要领导、分管领导",
    Role.brigade_leader: "乡村振兴大队长、中队长",
    Role.village_secretary: "村党组织书记",
    Role.first_secretary: "驻村第一书记",
    Role.work_team_member: "驻村干部（乡村振兴工作队员）",
    Role.household_contact: "帮扶联系人",
    Role.cooperative_head: "合作社负责人、致富带头人",
    Role.village_doctor: "村医",
}
