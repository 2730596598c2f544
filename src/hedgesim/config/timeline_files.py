"""The dated timeline of a run: the history (inline, or a user's file that replaces it), the
shocks a user's file adds to it, and the month the stochastic shocks start.

Two ways to bring one's own shocks, each said by its key: ``shocks.file`` REPLACES the history
(``shocks.timeline``), ``shocks.extra`` ADDS its shocks to the history (to the file's, when both
are given). The stochastic shocks start at ``shocks.stochastic.start``, by default the month after
the history's last shock: rows of ``shocks.extra`` never move it, and neither does the run's end
nor a shock switched off. :class:`TimelineUsed` records what a run used, for its config.yaml and
its manifest.

A user's file is read strictly: UTF-8 text (a byte-order mark, as spreadsheets save it, is
fine), CSV with one shock per line and one value per column, YAML with no duplicate keys; the
actors of a shock are country codes separated by ``;``, ``,`` or spaces. Every failure is a
ConfigError of one line naming the key, the file, the line (and column where known) and what is
allowed; the size and the number of shocks are checked before anything is parsed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf

from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import ShockConfig, ShocksConfig
from hedgesim.core.calendar import Month
from hedgesim.core.shocks import Shock, Timeline
from hedgesim.core.shocks.timeline import MAX_SHOCKS, ShockError, parse_month, show

MAX_FILE_BYTES = 2_000_000
"""The largest shock file read (2 MB): 10,000 shocks of 200 characters each. Parsing is the
slow part (YAML: about a second per MB), so the size is checked before anything is parsed."""
COLUMNS = ("date", "end", "kind", "actors", "size", "id", "label", "source")
EVENTS_TABLE_COLUMNS = ("end_date", "magnitude_hint", "description")
"""The events table's names for end, size and label: a file in its layout is read as it is."""
KNOWN = (*COLUMNS, *EVENTS_TABLE_COLUMNS)
LAYOUT = "a header line date,kind,actors,size (optional: end, id, label, source) then one shock per line"
YAML_LAYOUT = "a list of shocks like '- {date: 2012-06, kind: war, actors: [RUS, UKR], size: 0.5}'"
ACTOR_SEPARATORS = re.compile(r"[;,\s]+")
"""What may separate the actors of one shock in a file: ``RUS;UKR``, ``RUS,UKR`` or ``RUS UKR``."""
ACTOR_CODE = re.compile(r"^[A-Z]{2,3}$")
ACTORS_ALLOWED = "country codes like RUS or EU, separated by ';', ',' or spaces (RUS;UKR)"


@dataclass(frozen=True)
class UsedFile:
    """A user's shock file a run read: the key that named it, its path as given, its sha256."""

    key: str
    path: str
    sha256: str
    shocks: int

    def facts(self) -> dict[str, Any]:
        return {"path": self.path, "name": Path(self.path).name, "sha256": self.sha256, "shocks": self.shocks}


@dataclass(frozen=True)
class TimelineUsed:
    """The dated shocks a run used and where they came from.

    Attributes:
        timeline: the history and the added shocks, validated and sorted (before the run's end
            cuts them and before shocks are switched off).
        mode: ``inline`` (shocks.timeline), ``file`` (shocks.file replaced the history),
            ``inline+extra`` or ``file+extra`` (shocks.extra added to either).
        history_last: the month of the history's last shock (None: no history).
        files: the user's files read, with their checksums.
        sources: each shock's source, by id, as its row gave it.
    """

    timeline: Timeline
    mode: str
    history_last: Month | None
    files: tuple[UsedFile, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)

    def stochastic_start(self, configured: str | None, run_start: Month) -> Month:
        """``shocks.stochastic.start`` when set, else the month after the history's last shock
        (the run's first month when there is no history)."""
        if configured is not None:
            return parse_month(configured, "shocks.stochastic.start")
        return run_start if self.history_last is None else self.history_last + 1

    def rows(self) -> list[dict[str, Any]]:
        """The shocks as ``shocks.timeline`` rows (what the run's config.yaml records)."""
        return [
            {
                "id": s.id,
                "date": str(s.date),
                "end": str(s.end) if s.end != s.date else None,
                "kind": s.kind.value,
                "size": s.size,
                "actors": list(s.actors),
                "label": s.label,
                "source": self.sources.get(s.id, ""),
            }
            for s in self.timeline.shocks
        ]

    def facts(self, stochastic_start: Month) -> dict[str, Any]:
        """What a manifest records: the mode, the counts, the files and the stochastic start."""
        facts: dict[str, Any] = {
            "mode": self.mode,
            "shocks": len(self.timeline.shocks),
            "stochastic_start": str(stochastic_start),
        }
        for used in self.files:
            facts[used.key.removeprefix("shocks.")] = used.facts()
        return facts


def load_timeline(shocks: ShocksConfig) -> Timeline:
    """The dated shocks: the history (inline, or ``shocks.file``) plus ``shocks.extra``'s.

    Raises:
        ConfigError: one line naming the key, the file, where in it, and what is allowed.
    """
    return load_shocks(shocks).timeline


def load_shocks(shocks: ShocksConfig) -> TimelineUsed:
    """The history and the added shocks, with where each came from (see :class:`TimelineUsed`).

    A shock dated before the run starts is an error (checked by the caller, who knows the run);
    one dated after it ends lies beyond this run's horizon, so one timeline serves runs of any
    length.

    Raises:
        ConfigError: one line naming the key, the file, where in it, and what is allowed.
    """
    files: list[UsedFile] = []
    sources: dict[str, str] = {}
    if shocks.file is None:
        records = [_plain(s) for s in shocks.timeline]
        history = _validated(records, "shocks.timeline", None, sources)
    else:
        history, used = _file_timeline("shocks.file", shocks.file, sources)
        files.append(used)
    mode = "inline" if shocks.file is None else "file"
    timeline = history
    if shocks.extra is not None:
        added, used = _file_timeline("shocks.extra", shocks.extra, sources)
        files.append(used)
        timeline = _joined(history, added, f"shocks.extra {Path(shocks.extra).name}")
        mode += "+extra"
    return TimelineUsed(timeline, mode, history.last_month, tuple(files), sources)


def _file_timeline(key: str, given: str, sources: dict[str, str]) -> tuple[Timeline, UsedFile]:
    """The shocks of one user's file, validated, and the record of the file."""
    path = Path(given).expanduser()
    data = _read_bytes(path, given, key)
    text = _decoded(data, given, key)
    where = f"{key} {path.name}"
    if path.suffix.lower() == ".csv":
        places, records = _csv_records(text, where)
    else:
        places, records = _yaml_records(text, where)
    timeline = _validated(records, where, places, sources)
    return timeline, UsedFile(key, given, hashlib.sha256(data).hexdigest(), len(timeline.shocks))


def _validated(records: list[Any], where: str, places: list[str] | None, sources: dict[str, str]) -> Timeline:
    """Records as a Timeline (actors split on any separator), each shock's source noted."""
    wheres = [f"{where} {p}:" for p in places] if places else [f"{where}[{i}]" for i in range(len(records))]
    records = [_with_actor_list(r, w) for r, w in zip(records, wheres, strict=True)]
    try:
        timeline = Timeline.from_records(records, where, places)
        for record, at in zip(records, wheres, strict=True):
            if isinstance(record, dict) and record.get("source"):
                sources[Shock.from_record(record, at).id] = str(record["source"])
    except ShockError as err:
        raise ConfigError(str(err)) from None
    return timeline


def _joined(history: Timeline, added: Timeline, where: str) -> Timeline:
    """The history with the added shocks, in date order; an id in both is an error."""
    known = {s.id for s in history.shocks}
    both = [s.id for s in added.shocks if s.id in known]
    if both:
        raise ConfigError(
            f"{where}: id {both[0]!r} is in the history too; allowed: ids the history does not use "
            "(to change a shock of the history, give the whole timeline as shocks.file)"
        )
    shocks = history.shocks + added.shocks
    if len(shocks) > MAX_SHOCKS:
        raise ConfigError(
            f"{where}: {len(shocks):,} shocks with the history; allowed: at most {MAX_SHOCKS:,} in all"
        )
    return Timeline(tuple(sorted(shocks, key=lambda s: (s.date, s.id))))


def _with_actor_list(record: Any, where: str) -> Any:
    """A record whose actors, written as one text, are split on ``;``, ``,`` or spaces.

    Raises:
        ConfigError: when a part is not a country code (2-3 capital letters).
    """
    if not isinstance(record, dict) or not isinstance(record.get("actors"), str):
        return record
    text = record["actors"]
    actors = [a for a in ACTOR_SEPARATORS.split(text.strip()) if a]
    if not actors or not all(ACTOR_CODE.match(a) for a in actors):
        key = f"{where} actors" if where.endswith(":") else f"{where}.actors"
        raise ConfigError(f"{key}={show(text)} is not allowed; allowed: {ACTORS_ALLOWED}")
    return {**record, "actors": actors}


def _plain(shock: Any) -> dict[str, Any]:
    if isinstance(shock, ShockConfig):
        return dict(vars(shock))
    if isinstance(shock, DictConfig):
        return OmegaConf.to_container(shock, resolve=True)
    return dict(shock)


def _read_bytes(path: Path, given: str, key: str) -> bytes:
    """The file's bytes (at most MAX_FILE_BYTES), or a ConfigError saying why it is not a shock file."""
    name = f"{key}={given!r}"
    allowed = "allowed: a YAML or CSV file in UTF-8"
    try:
        if path.is_dir():
            raise ConfigError(f"{name} is a folder; {allowed}")
        if not path.exists():
            raise ConfigError(f"{name} does not exist; {allowed}")
        if not path.is_file():
            raise ConfigError(f"{name} is not a regular file; {allowed}")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"{name} cannot be read ({err.strerror or err}); {allowed}") from None
    if len(data) > MAX_FILE_BYTES:
        limit = f"{MAX_FILE_BYTES // 1_000_000} MB"
        raise ConfigError(f"{name} is larger than {limit}; {allowed} of at most {limit}")
    return data


def _decoded(data: bytes, given: str, key: str) -> str:
    """The file's text, or a ConfigError saying why it is not UTF-8 text."""
    name = f"{key}={given!r}"
    allowed = "allowed: a YAML or CSV file in UTF-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{name} is UTF-16 text; {allowed} (save it as 'CSV UTF-8')")
    if b"\x00" in data:
        raise ConfigError(f"{name} is a binary file, not text; {allowed}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise ConfigError(
            f"{name} line {line}, column {column}: byte 0x{data[err.start]:02x} is not UTF-8; "
            f"{allowed} (save it as 'CSV UTF-8' or 'UTF-8 text')"
        ) from None
    return text


# --- CSV ------------------------------------------------------------------------------------


def _csv_records(text: str, where: str) -> tuple[list[str], list[dict[str, str]]]:
    """Rows as records, with the line each starts on; strict quoting, one value per column."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    places: list[str] = []
    records: list[dict[str, str]] = []
    line = 0
    while True:
        start = line + 1
        try:
            row = next(reader, None)
        except csv.Error as err:
            raise ConfigError(f"{where} line {start}: {_csv_problem(str(err))}; allowed: {LAYOUT}") from None
        if row is None:
            break
        line = reader.line_num
        if not row or not "".join(row).strip() and header is None:
            continue  # blank lines before the header or between shocks
        if line > start:
            raise ConfigError(
                f"{where} line {start}: a quoted value runs on to line {line} (a closing quote "
                f"missing?); allowed: {LAYOUT}, each value on its line"
            )
        if header is None:
            header = _csv_header(row, where, start)
            continue
        if len(row) != len(header):
            raise ConfigError(
                f"{where} line {start}: {len(row)} values for {len(header)} columns; allowed: one value "
                "per column (quote a value that holds a comma)"
            )
        if len(records) == MAX_SHOCKS:
            raise ConfigError(f"{where}: more than {MAX_SHOCKS:,} shocks; allowed: at most {MAX_SHOCKS:,}")
        places.append(f"line {start}")
        records.append(dict(zip(header, row, strict=True)))
    if header is None:
        raise ConfigError(f"{where} is empty; allowed: {LAYOUT}")
    return places, records


def _csv_problem(message: str) -> str:
    if "unexpected end of data" in message:
        return "a quoted value is never closed"
    if "expected after" in message:
        return "a quote closes a value that goes on (write a quote inside a value as two)"
    return message


def _csv_header(row: list[str], where: str, line: int) -> list[str]:
    """The columns, checked: known names, none twice, the required ones present."""
    header = [name.strip() for name in row]
    unknown = [name for name in header if name not in KNOWN]
    if unknown:
        raise ConfigError(
            f"{where} line {line}: unknown column {show(unknown[0])}; allowed: {', '.join(COLUMNS)} "
            f"(or the events table's {', '.join(EVENTS_TABLE_COLUMNS)})"
        )
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise ConfigError(
            f"{where} line {line}: column {twice[0]!r} appears twice; allowed: each column once"
        )
    for needed in ("date", "kind", "actors"):
        if needed not in header:
            raise ConfigError(f"{where} line {line}: no {needed} column; allowed: {LAYOUT}")
    if "size" not in header and "magnitude_hint" not in header:
        raise ConfigError(f"{where} line {line}: no size column; allowed: {LAYOUT}")
    return header


# --- YAML -----------------------------------------------------------------------------------


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML's safe loader (libyaml's where installed) that refuses a key written twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                duplicate = False  # an unhashable key: the base class reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {show(key)} appears twice in one mapping", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def _yaml_records(text: str, where: str) -> tuple[list[str], list[Any]]:
    """The list of shocks, at the top or under ``timeline:``, with the line each starts on."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        raise ConfigError(f"{where} {_yaml_problem(err)}; allowed: {YAML_LAYOUT}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{where}: {str(err).splitlines()[0]}; allowed: {YAML_LAYOUT}") from None
    except RecursionError:
        raise ConfigError(f"{where} is nested too deeply; allowed: {YAML_LAYOUT}") from None
    finally:
        loader.dispose()
    if isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        if "timeline" not in data:
            raise ConfigError(
                f"{where} has no 'timeline:' key; allowed: {YAML_LAYOUT}, or one under 'timeline:'"
            )
        node = next(value for key, value in node.value if key.value == "timeline")
        data = data["timeline"]
    if data is None and node is None:
        raise ConfigError(f"{where} is empty; allowed: {YAML_LAYOUT}")
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        hint = " (a CSV file needs the .csv extension)" if isinstance(data, str) and "," in data else ""
        raise ConfigError(f"{where} holds {show(data)}, not a list of shocks{hint}; allowed: {YAML_LAYOUT}")
    if len(data) > MAX_SHOCKS:
        raise ConfigError(f"{where}: more than {MAX_SHOCKS:,} shocks; allowed: at most {MAX_SHOCKS:,}")
    places = [f"line {item.start_mark.line + 1}" for item in node.value]
    for place, record in zip(places, data, strict=True):
        if isinstance(record, dict):
            unknown = [key for key in record if key not in KNOWN]
            if unknown:
                raise ConfigError(
                    f"{where} {place}: unknown key {show(unknown[0])}; allowed: {', '.join(COLUMNS)} "
                    f"(or the events table's {', '.join(EVENTS_TABLE_COLUMNS)})"
                )
    return places, data


def _yaml_problem(err: yaml.MarkedYAMLError) -> str:
    """``line L, column C: problem`` from PyYAML's multi-line message."""
    mark = err.problem_mark or err.context_mark
    context = err.context if isinstance(err, yaml.composer.ComposerError) else None
    problem = " ".join(" ".join(filter(None, [context, err.problem])).split()) or "malformed YAML"
    if mark is None:
        return f": {problem}"
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
