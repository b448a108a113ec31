"""Read programme YAML files into :class:`~shared.programmes.model.Programme`.

Numbers with a fraction are read as :class:`~decimal.Decimal`, never as floats, so ``0.1`` in a
file is exactly ``Decimal("0.1")``. A malformed file raises :class:`ProgrammeFileError`, whose
message names the file, the field as a dotted path (``targets.3.value``) and the reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shared.programmes.model import Programme

PROGRAMME_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Problem:
    """One thing wrong: the field as a dotted path (None for the whole file) and why.

    ``item_id`` is the ``id`` of the innermost list item on the path, to find it in the file.
    """

    field: str | None
    reason: str
    item_id: str | None = None
    kind: str | None = None  # the validation rule broken (pydantic's error type), if known

    def __str__(self) -> str:
        if self.field is None:
            return self.reason
        where = self.field if self.item_id is None else f"{self.field} (id {self.item_id!r})"
        return f"{where}: {self.reason}"


class ProgrammeFileError(ValueError):
    """A programme file that cannot be read or does not describe a valid programme."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = tuple(problems)
        lines = [f"{path}: {problem}" for problem in problems]
        super().__init__("\n".join(lines))

    @property
    def field(self) -> str | None:
        return self.problems[0].field

    @property
    def reason(self) -> str:
        return self.problems[0].reason


class _ProgrammeYamlLoader(yaml.SafeLoader):
    """Safe YAML with exact decimals and no silently repeated keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | float:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        # .inf, .nan and sexagesimal forms: leave them to the model to reject.
        return loader.construct_yaml_float(node)
    return value if value.is_finite() else float(value)


_ProgrammeYamlLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def parse_programme(text: str, *, path: Path) -> Programme:
    """Validate a programme from YAML text; ``path`` is only used in error messages."""
    try:
        # A SafeLoader subclass: plain data only, never arbitrary objects.
        data = yaml.load(text, Loader=_ProgrammeYamlLoader)
    except yaml.YAMLError as exc:
        raise ProgrammeFileError(path, [Problem(None, f"not valid YAML: {exc}")]) from exc
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        reason = f"a programme file holds one mapping at the top level, got {kind}"
        raise ProgrammeFileError(path, [Problem(None, reason)])
    try:
        return validate_programme(data)
    except InvalidProgramme as exc:
        raise ProgrammeFileError(path, list(exc.problems)) from exc


class InvalidProgramme(ValueError):
    """A definition (a file's mapping, or a revision sent to the registry) that is not a valid
    programme: one :class:`Problem` per field, as a file's error names them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in problems))


def validate_programme(data: dict[str, Any]) -> Programme:
    """The programme a mapping describes, validated by the model the files are read with."""
    try:
        return Programme.model_validate(data)
    except ValidationError as exc:
        raise InvalidProgramme([_problem(error, data) for error in exc.errors()]) from exc


def load_programme(path: Path | str) -> Programme:
    """Read and validate one programme file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgrammeFileError(path, [Problem(None, f"cannot be read: {exc}")]) from exc
    return parse_programme(text, path=path)


@dataclass(frozen=True)
class ProgrammeFile:
    """A programme as read from its file, with the SHA-256 of the file's bytes (the registry
    records it with the file's revision, to tell a changed file at the next deploy)."""

    programme: Programme
    path: Path
    sha256: str


def read_programme_files(directory: Path | str) -> list[ProgrammeFile]:
    """Every ``*.yaml``/``*.yml`` programme in ``directory``, in file-name order; ids must be
    unique."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ProgrammeFileError(directory, [Problem(None, "is not a directory")])
    read: list[ProgrammeFile] = []
    origins: dict[str, Path] = {}
    files = sorted(p for p in directory.iterdir() if p.suffix in PROGRAMME_SUFFIXES)
    for path in files:
        try:
            content = path.read_bytes()
            text = content.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProgrammeFileError(path, [Problem(None, f"cannot be read: {exc}")]) from exc
        programme = parse_programme(text, path=path)
        if programme.id in origins:
            reason = f"id {programme.id!r} is already used by {origins[programme.id]}"
            raise ProgrammeFileError(path, [Problem("id", reason)])
        origins[programme.id] = path
        read.append(ProgrammeFile(programme, path, hashlib.sha256(content).hexdigest()))
    return read


def load_programmes(directory: Path | str) -> dict[str, Programme]:
    """Every ``*.yaml``/``*.yml`` programme in ``directory``, keyed by id; ids must be unique."""
    return {file.programme.id: file.programme for file in read_programme_files(directory)}


def _problem(error: Any, data: dict[str, Any]) -> Problem:
    """A pydantic error as a :class:`Problem`: ``("targets", 3, "value")`` -> ``targets.3.value``.

    ``item_id`` is the ``id`` of the innermost list item on the way, if it has one.
    """
    location: tuple[int | str, ...] = error["loc"]
    item_id: str | None = None
    node: Any = data
    for step in location:
        node = _child(node, step)
        if isinstance(step, int) and isinstance(node, dict) and isinstance(node.get("id"), str):
            item_id = node["id"]
    field = ".".join(str(step) for step in location) or None
    return Problem(field, _reason(error), item_id, str(error["type"]))


def _child(node: Any, step: int | str) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


def _reason(error: Any) -> str:
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        return "unknown field (not part of the programme format)"
    return message
