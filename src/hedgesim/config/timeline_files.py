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

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import ShockConfig, ShocksConfig
from hedgesim.config.shock_files import csv_records, decoded, read_bytes, yaml_records
from hedgesim.core.calendar import Month, RunCalendar
from hedgesim.core.shocks import Shock, Timeline
from hedgesim.core.shocks.timeline import MAX_SHOCKS, ShockError, parse_month, show

ACTOR_SEPARATORS = re.compile(r"[;,\s]+")
"""What may separate the actors of one shock in a file: ``RUS;UKR``, ``RUS,UKR`` or ``RUS UKR``."""
ACTOR_CODE = re.compile(r"^[A-Z]{2,3}$")
ACTORS_ALLOWED = "country codes like RUS or EU, separated by ';', ',' or spaces (RUS;UKR)"
ACTOR_CODES = ("BLR", "EU", "GEO", "LTU", "LVA", "POL", "RUS", "UKR")
"""The codes a shock may name: the model's five actors and the other countries its history
names. A code outside them would be taken silently (a war naming "UA" would not put Ukraine at
war), so it is refused."""


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
        places: where each shock was read, by id (``shocks.file my.csv line 4``).
    """

    timeline: Timeline
    mode: str
    history_last: Month | None
    files: tuple[UsedFile, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)

    def check_within(self, calendar: RunCalendar) -> None:
        """Every shock that starts before the run ends starts inside it.

        Raises:
            ConfigError: naming the key, the file and line (or row) of the first shock that
                starts before the run.
        """
        for shock in self.timeline.before_end_of(calendar).shocks:
            if not calendar.contains(shock.date):
                raise ConfigError(
                    f"{self.places.get(shock.id, 'shocks')}: shock {shock.id!r}, date {shock.date} is "
                    f"outside the run; allowed: {calendar.start}..{calendar.end}"
                )

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
    places: dict[str, str] = {}
    if shocks.file is None:
        records = [plain_record(s) for s in shocks.timeline]
        history = _validated(records, "shocks.timeline", None, (sources, places))
    else:
        history, used = _file_timeline("shocks.file", shocks.file, (sources, places))
        files.append(used)
    mode = "inline" if shocks.file is None else "file"
    timeline = history
    if shocks.extra is not None:
        added, used = _file_timeline("shocks.extra", shocks.extra, (sources, places))
        if not added.shocks:  # the user would believe shocks were added
            raise ConfigError(
                f"shocks.extra={shocks.extra!r} holds no shocks, so it would add nothing; allowed: a file "
                "with at least one shock, or shocks.extra=null"
            )
        files.append(used)
        timeline = joined(history, added, f"shocks.extra {Path(shocks.extra).name}")
        mode += "+extra"
    return TimelineUsed(timeline, mode, history.last_month, tuple(files), sources, places)


Notes = tuple[dict[str, str], dict[str, str]]
"""Each shock's source and place, by id, filled in as the rows are read."""


def _file_timeline(key: str, given: str, notes: Notes) -> tuple[Timeline, UsedFile]:
    """The shocks of one user's file, validated, and the record of the file."""
    path = Path(given).expanduser()
    data = read_bytes(path, given, key)
    text = decoded(data, given, key)
    where = f"{key} {path.name}"
    if path.suffix.lower() == ".csv":
        places, records = csv_records(text, where)
    else:
        places, records = yaml_records(text, where)
    timeline = _validated(records, where, places, notes)
    return timeline, UsedFile(key, given, hashlib.sha256(data).hexdigest(), len(timeline.shocks))


def _validated(records: list[Any], where: str, places: list[str] | None, notes: Notes) -> Timeline:
    """Records as a Timeline (actors split on any separator), each shock's source and place
    noted."""
    sources, found_at = notes
    wheres = [f"{where} {p}:" for p in places] if places else [f"{where}[{i}]" for i in range(len(records))]
    records = [_checked_record(r, w) for r, w in zip(records, wheres, strict=True)]
    try:
        timeline = Timeline.from_records(records, where, places)
        for record, at in zip(records, wheres, strict=True):
            shock_id = Shock.from_record(record, at).id
            found_at[shock_id] = at.rstrip(":")
            if record.get("source"):
                sources[shock_id] = str(record["source"])
    except ShockError as err:
        raise ConfigError(str(err)) from None
    return timeline


def _checked_record(record: Any, where: str) -> Any:
    """A record with its actors as a list of known codes, and a size that is no true or false
    (a YAML ``size: true`` would be read as 1.0).

    Raises:
        ConfigError: a size given as true or false, or an actor code outside ACTOR_CODES.
    """
    if not isinstance(record, dict):
        return record
    for name in ("size", "magnitude_hint"):
        if isinstance(record.get(name), bool):
            key = f"{where} size" if where.endswith(":") else f"{where}.size"
            raise ConfigError(
                f"{key}={str(record[name]).lower()} is not a number; allowed: a number in [0, 1] or one "
                "of low, medium, high"
            )
    given = record.get("actors")
    record = _with_actor_list(record, where)
    actors = record.get("actors")
    if isinstance(actors, list) and all(isinstance(a, str) and ACTOR_CODE.match(a) for a in actors):
        unknown = [a for a in actors if a not in ACTOR_CODES]
        if unknown:
            key = f"{where} actors" if where.endswith(":") else f"{where}.actors"
            raise ConfigError(
                f"{key}={show(given)} names unknown code {unknown[0]!r}; allowed: {', '.join(ACTOR_CODES)}"
            )
    return record


def joined(history: Timeline, added: Timeline, where: str) -> Timeline:
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


def plain_record(shock: Any) -> dict[str, Any]:
    """A shock row of the config (structured, DictConfig or a mapping) as a plain mapping."""
    if isinstance(shock, ShockConfig):
        return dict(vars(shock))
    if isinstance(shock, DictConfig):
        return OmegaConf.to_container(shock, resolve=True)
    return dict(shock)
