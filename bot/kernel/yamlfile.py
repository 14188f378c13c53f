"""Read a YAML data file strictly and validate it into a pydantic model, with errors naming file, line and field.

PyYAML alone is too forgiving for curated data: it keeps the last of two duplicate keys, and YAML 1.1 turns
``no`` into ``False``, ``10:30`` into ``630`` and ``1.10`` into ``1.1``. Here duplicate keys are errors, and when a
text field receives such a value the error quotes what was written and says to put it in quotes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class DataError:
    """One problem in a data file: ``file``, 1-based ``line`` (0 when unknown), dotted ``field`` and ``message``."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(file)'}: {self.message}"


class DataFileError(Exception):
    """Raised when one or more data files are invalid; ``errors`` holds every :class:`DataError` found."""

    def __init__(self, errors: list[DataError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class _Node:
    """Where a value was written: its line and, for scalars, the text as written and whether it was plain."""

    line: int
    raw: str | None = None
    plain: bool = False


# libyaml's parser when PyYAML was built with it (several times faster); same YAML, same positions.
_ComposeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


ANCHOR_MESSAGE = ("YAML anchors (&name) and aliases (*name) are not allowed in data files: write each value "
                  "out in full")


def _refuse_anchors(text: str, file: str) -> None:
    """Raise :class:`DataFileError` at the first anchor or alias, reading parser events only — before anything
    is composed, so a "billion laughs" file of nested aliases costs nothing. Raises ``yaml.YAMLError`` on a
    syntax error met before it."""
    if "&" not in text and "*" not in text:   # neither can be written without these characters
        return
    loader = _ComposeLoader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise DataFileError([DataError(file, event.start_mark.line + 1, "", ANCHOR_MESSAGE)])
    finally:
        loader.dispose()


def _compose(text: str, file: str) -> tuple[Any, dict[Loc, _Node], list[DataError]]:
    """Parse ``text``; return (data, positions by path, duplicate-key errors). Raises ``yaml.YAMLError``, or
    :class:`DataFileError` for an anchor or alias (refused before composing)."""
    _refuse_anchors(text, file)
    loader = _ComposeLoader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    positions: dict[Loc, _Node] = {}
    errors: list[DataError] = []

    def build(node: yaml.Node, loc: Loc) -> Any:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            positions[loc] = _Node(line)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = build(key_node, loc + ("<key>",))
                if key in out:
                    errors.append(DataError(file, key_node.start_mark.line + 1, _dotted(loc + (str(key),)),
                                            f"duplicate key '{key}' (an earlier one would be silently replaced)"))
                    continue
                out[key] = build(value_node, loc + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            positions[loc] = _Node(line)
            return [build(child, loc + (i,)) for i, child in enumerate(node.value)]
        positions[loc] = _Node(line, node.value, plain=not node.style)  # None or "" (libyaml): plain
        try:
            value = _constructor.construct_object(node)
        except (ValueError, OverflowError) as exc:   # 2026-13-45 looks like a date to YAML, and is none
            errors.append(DataError(file, line, _dotted(loc), f"not a valid value: {node.value!r} ({exc})"))
            value = None
        finally:
            _constructor.constructed_objects.clear()
        return value

    data = build(root, ()) if root is not None else None
    return data, positions, errors


# Scalars are built by PyYAML's own safe constructor (same tags, same YAML 1.1 rules); one instance serves all.
_constructor = yaml.SafeLoader("")


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc if p != "<key>")


def load_model(path: Path, model: type[M], display: str | None = None) -> M:
    """Load the YAML file at ``path`` into ``model``; see :func:`load_model_with_lines`."""
    return load_model_with_lines(path, model, display)[0]


def load_model_with_lines(path: Path, model: type[M], display: str | None = None) -> tuple[M, dict[Loc, int]]:
    """Load the YAML file at ``path`` into ``model`` and say on which line each value was written.

    Args:
        path: the file to read (UTF-8).
        model: a pydantic model class (strict, ``extra="forbid"``).
        display: how to name the file in errors (default: ``str(path)``).
    Returns:
        (the validated model instance, {path of keys and list indexes: 1-based line}).
    Raises:
        DataFileError: with one :class:`DataError` per problem (syntax, duplicate key, wrong type, unknown key,
            failed rule), each naming file, line and field; an anchor or alias alone, at its line.
    """
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError([DataError(name, 0, "", f"cannot read: {exc}")]) from exc
    try:
        data, positions, errors = _compose(text, name)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError([DataError(name, line, "", f"YAML syntax: {problem}")]) from exc
    if errors:
        raise DataFileError(errors)
    try:
        instance = model.model_validate(data)
    except ValidationError as exc:
        raise DataFileError([_explain(name, err, positions) for err in exc.errors()]) from exc
    return instance, {loc: node.line for loc, node in positions.items()}


def _explain(file: str, err: Any, positions: dict[Loc, _Node]) -> DataError:
    """Turn one pydantic error into a :class:`DataError` with the line of the nearest known position."""
    loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    node = None
    for cut in range(len(loc), -1, -1):
        node = positions.get(loc[:cut])
        if node is not None:
            break
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'"
    elif err["type"] == "string_type" and node is not None and node.plain and node.raw is not None:
        message = (f"YAML read `{node.raw}` as {type(err.get('input')).__name__}, not text; "
                   f"put it in quotes: \"{node.raw}\"")
    return DataError(file, node.line if node else 0, _dotted(loc), message)
