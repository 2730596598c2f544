"""A composed config turned into a validated run: the RunSpec the domain core takes.

``build_run`` checks ranges, dates and shock kinds, raising ConfigError with one line that
names the key, the value and what is allowed. The size of a run is checked first, before any
work: replicates, horizon and replicate ids within fixed limits, and the memory the run will
take (estimated from the measured peak per replicate and month) under half of this machine's.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf._utils import OmegaConfDumper
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config import shared_parts
from hedgesim.config.compose import compose_config, describe_config_error
from hedgesim.config.errors import ConfigError
from hedgesim.config.parameter_sets import read_sets, sets_facts, sets_file, spread_over_sets
from hedgesim.config.schema import HedgesimConfig
from hedgesim.config.timeline_files import TimelineUsed, joined, load_shocks, plain_record
from hedgesim.core.calendar import DateError, Month, RunCalendar
from hedgesim.core.challenges import Challenges
from hedgesim.core.parameters import ModelParameters, ParameterError
from hedgesim.core.shocks import DECISIONS_WITHOUT_RULE, KINDS, ShockError, StochasticShocks, Timeline
from hedgesim.core.shocks.timeline import date_problem, show

MAX_REPLICATES = 1_000_000
"""The largest ensemble of one run; a bigger one is split with ``first_replicate``."""
MAX_MONTHS = 1_200
"""The longest run: 100 years of months."""
MAX_REPLICATE_ID = 2**63 - 1
"""Replicate ids are 64-bit integers (the random streams' keys, the tables' replicate column)."""
PRECISIONS = {"float64": 240, "float32": 130}
"""The recorded series' allowed precisions (``output.precision``) and each one's peak memory of
a command-line run per replicate and month without its figure: measured at 227 and 120 bytes
(the slope of peak RSS from 5,000 to 20,000 replicates over 516 months, event log on), rounded up."""
FIGURE_BYTES_PER_REPLICATE_MONTH = 110
"""What drawing the run's figure adds to the peak (measured: 91 and 108 bytes), rounded up."""
BYTES_PER_REPLICATE_MONTH = PRECISIONS["float64"] + FIGURE_BYTES_PER_REPLICATE_MONTH
"""Peak memory of a default command-line run per replicate and month."""
UNKNOWN_MACHINE_BYTES = 8_000_000_000
"""The memory assumed where the machine's cannot be read."""


@dataclass(frozen=True)
class RunSpec:
    """Everything the domain core needs for one run, validated."""

    calendar: RunCalendar
    timeline: Timeline
    params: ModelParameters
    challenges: Challenges
    stochastic: StochasticShocks
    oil_prices: dict[int, float]
    seed: int
    replicate_ids: tuple[int, ...]
    branch: Month | None = None
    rules_from: Month | None = None
    shocks_used: TimelineUsed | None = dataclasses.field(default=None, compare=False)
    """Where the dated shocks came from (the history, a user's files), for the run's records."""
    sets_used: dict | None = dataclasses.field(default=None, compare=False)
    """The parameter sets the replicates ran (file, sha256, count), for the run's records."""
    precision: str = "float64"
    """The recorded series' dtype (``output.precision``)."""

    def timeline_facts(self) -> dict:
        """The timeline a run used, as its manifest records it (mode, files, stochastic start)."""
        start = self.stochastic.start
        in_run = {"shocks_in_run": len(self.timeline.shocks)}
        if self.shocks_used is None:
            return {**in_run, "stochastic_start": start}
        return {**self.shocks_used.facts(Month.parse(start) if start else self.calendar.start), **in_run}


def build_run(cfg: DictConfig | HedgesimConfig) -> RunSpec:
    """Validate a composed config and turn it into a RunSpec.

    Raises:
        ConfigError: on any value out of range, malformed or outside the run.
    """
    try:
        conf: HedgesimConfig = OmegaConf.to_object(cfg) if isinstance(cfg, DictConfig) else cfg
    except OmegaConfBaseException as err:
        raise ConfigError(describe_config_error(err)) from None
    try:
        return _build(conf)
    except (ParameterError, ShockError, DateError) as err:
        raise ConfigError(str(err)) from None


def build_job_run(cfg: DictConfig) -> RunSpec:
    """:func:`build_run` of a Hydra job's config, Hydra's own node and all (not copied: a sweep
    reads many jobs' runs, and copying a config costs more than building its run)."""
    try:
        conf = HedgesimConfig(
            **{f.name: shared_parts.to_object(cfg, f.name) for f in dataclasses.fields(HedgesimConfig)}
        )
    except OmegaConfBaseException as err:
        raise ConfigError(describe_config_error(err)) from None
    return build_run(conf)


def _build(conf: HedgesimConfig) -> RunSpec:
    calendar = _calendar(conf.scenario.start, conf.scenario.end)
    if conf.output.precision not in PRECISIONS:
        raise ConfigError(f"output.precision={conf.output.precision!r}; allowed: {', '.join(PRECISIONS)}")
    if conf.replicates >= 1:
        check_size(
            conf.replicates, calendar.n_steps, precision=conf.output.precision, figure=conf.output.figure
        )
    _check_counts(conf)
    conf.params.validate()
    conf.challenges.validate()
    conf.shocks.stochastic.validate()
    used = load_shocks(conf.shocks)
    start = used.stochastic_start(conf.shocks.stochastic.start, calendar.start)
    stochastic = dataclasses.replace(conf.shocks.stochastic, start=str(start))
    used.check_within(calendar)
    timeline = used.timeline.before_end_of(calendar)
    unknown = [k for k in conf.shocks.disabled_kinds if k not in KINDS]
    if unknown:
        raise ConfigError(
            f"shocks.disabled_kinds={unknown!r} names unknown kinds; allowed: {', '.join(KINDS)}"
        )
    # a shock past the run's end may be named: one setting serves runs of any length (a sweep)
    unknown_ids = [i for i in conf.shocks.disabled_ids if i not in {s.id for s in used.timeline.shocks}]
    if unknown_ids:
        raise ConfigError(
            f"shocks.disabled_ids={unknown_ids!r} names no shock in the run; allowed: "
            f"{', '.join(sorted(s.id for s in timeline.shocks))}"
            + (", or a shock after the run's end" if timeline != used.timeline else "")
        )
    timeline = timeline.without(conf.shocks.disabled_kinds, conf.shocks.disabled_ids)
    branch = None if conf.scenario.branch in (None, "") else _month(conf.scenario.branch, "scenario.branch")
    if branch is not None:
        check_branch_in_run(branch, calendar, conf.challenges)
        timeline = timeline.before_branch(branch, DECISIONS_WITHOUT_RULE)
    timeline, rules_from = _decisions(conf, timeline, calendar, branch)
    for year, price in conf.scenario.oil_price.items():
        if not (price > 0 and math.isfinite(price)):
            raise ConfigError(f"scenario.oil_price.{year}={price}; allowed: a price > 0 (USD/bbl)")
    ids = tuple(range(conf.first_replicate, conf.first_replicate + conf.replicates))
    params, sets_used = conf.params, None
    if conf.parameter_sets not in (None, ""):
        path = sets_file(conf.parameter_sets)
        sets = read_sets(path)
        params = spread_over_sets(conf.params, sets, ids, f"parameter_sets={conf.parameter_sets}")
        sets_used = sets_facts(path, sets)
    return RunSpec(
        calendar,
        timeline,
        params,
        conf.challenges,
        stochastic,
        dict(conf.scenario.oil_price),
        conf.seed,
        ids,
        branch,
        rules_from,
        used,
        sets_used,
        conf.output.precision,
    )


def check_branch_in_run(branch: Month | None, calendar: RunCalendar, challenges: Challenges) -> None:
    """A branch before the run would act as one at its start without a word; one after its end would
    leave challenges set away from the reference without effect (every setting giving the same run).

    Raises:
        ConfigError: one line naming the branch, the start or the end, and the challenges set.
    """
    if branch is not None and branch < calendar.start:
        raise ConfigError(
            f"scenario.branch={branch} is before scenario.start={calendar.start}; allowed: a branch from "
            f"scenario.start on ({calendar.start}: the challenges rewrite the run), or scenario.branch=null"
        )
    if branch is None or branch <= calendar.end:
        return
    reference = Challenges()
    changed = [
        f"challenges.{f.name}={_level(getattr(challenges, f.name))}"
        for f in dataclasses.fields(Challenges)
        if np.any(np.asarray(getattr(challenges, f.name)) != getattr(reference, f.name))
    ]
    if changed:
        raise ConfigError(
            f"scenario.branch={branch} is after scenario.end={calendar.end}, so {', '.join(changed)} "
            "would never apply; allowed: a branch no later than scenario.end, or scenario.branch=null "
            "(the challenges apply from the first month)"
        )


def _level(value) -> str:
    """A challenge's level as a message shows it: the number, or that it varies by replicate."""
    return f"{value:g}" if np.ndim(value) == 0 else "(one level per replicate)"


DECISION_MODES = ("rules", "observed")


def _decisions(
    conf: HedgesimConfig, timeline: Timeline, calendar: RunCalendar, branch: Month | None
) -> tuple[Timeline, Month | None]:
    """The timeline with the observed decisions imposed (``decisions.mode=observed``: before the
    branch, or over the whole run without one) and the month Belarus's rules take over."""
    mode = conf.decisions.mode
    if mode not in DECISION_MODES:
        raise ConfigError(f"decisions.mode={mode!r}; allowed: {', '.join(DECISION_MODES)}")
    if mode == "rules":
        return timeline, None
    until = branch if branch is not None else calendar.end + 1
    observed = Timeline.from_records(
        [plain_record(row) for row in conf.decisions.observed], "decisions.observed"
    )
    kept = Timeline(tuple(s for s in observed.shocks if calendar.start <= s.date < until))
    return joined(timeline, kept, "decisions.observed"), until


def _check_counts(conf: HedgesimConfig) -> None:
    check_replicates(conf.replicates, conf.first_replicate)
    if conf.seed < 0:
        raise ConfigError(f"seed={conf.seed}; allowed: an integer >= 0")


def check_replicates(replicates: int, first_replicate: int = 0, key: str = "replicates") -> None:
    """The ensemble's count and ids within their limits (before any tuple of ids is built).

    Raises:
        ConfigError: naming ``key`` (or ``first_replicate``), the value and what is allowed.
    """
    if replicates < 1:
        raise ConfigError(f"{key}={replicates}; allowed: an integer >= 1")
    if replicates > MAX_REPLICATES:
        raise ConfigError(
            f"{key}={replicates}; allowed: at most {MAX_REPLICATES:,} replicates in one run (split a "
            "bigger ensemble into runs with first_replicate)"
        )
    if not 0 <= first_replicate <= MAX_REPLICATE_ID - replicates + 1:
        raise ConfigError(
            f"first_replicate={first_replicate}; allowed: an integer >= 0 with first_replicate + "
            f"{key} <= 2^63 (replicate ids are 64-bit)"
        )


def run_of_size(overrides: Sequence[str], replicates: int, seed: int, key: str = "--replicates") -> RunSpec:
    """The run of ``overrides`` at a size a command's option gives (its overrides may not set it):
    a count out of bounds is refused naming ``key``, not the config key the user never typed."""
    cfg = compose_config([*overrides, "replicates=1", f"seed={seed}"])
    one = build_run(cfg)
    check_size(replicates, one.calendar.n_steps, key, one.precision, bool(cfg.output.figure))
    check_replicates(replicates, one.replicate_ids[0], key=key)
    return build_run(compose_config([*overrides, f"replicates={replicates}", f"seed={seed}"]))


def check_size(
    replicates: int, months: int, key: str = "replicates", precision: str = "float64", figure: bool = True
) -> None:
    """A run's memory estimate under the limit (half this machine's memory).

    Raises:
        ConfigError: with the estimate, the limit and the machine's memory, in one line.
    """
    needed = replicates * months * (PRECISIONS[precision] + figure * FIGURE_BYTES_PER_REPLICATE_MONTH)
    machine = machine_memory()
    if needed > machine / 2:
        run = f"{key}={replicates} x {months} month{'s' if months > 1 else ''}"
        raise ConfigError(
            f"{run} needs about {_gigabytes(needed)}; allowed: runs under {_gigabytes(machine / 2)} "
            f"(half of this machine's {_gigabytes(machine)})"
        )


def machine_memory() -> int:
    """This machine's physical memory in bytes (UNKNOWN_MACHINE_BYTES where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return UNKNOWN_MACHINE_BYTES


def _gigabytes(n: float) -> str:
    return f"{n / 1e9:,.0f} GB" if n >= 10e9 else f"{n / 1e9:.1f} GB"


def _calendar(start_text: str, end_text: str) -> RunCalendar:
    """The run's months, within MAX_MONTHS; errors name scenario.start and scenario.end."""
    start, end = _month(start_text, "scenario.start"), _month(end_text, "scenario.end")
    if end < start:
        raise ConfigError(
            f"scenario.start={start}, scenario.end={end}: the run ends ({end}) before it starts "
            f"({start}); allowed: scenario.end no earlier than scenario.start"
        )
    months = end - start + 1
    if months > MAX_MONTHS:
        raise ConfigError(
            f"scenario.start={start}, scenario.end={end}: a run of {months:,} months; allowed: at most "
            f"{MAX_MONTHS:,} months ({MAX_MONTHS // 12} years)"
        )
    return RunCalendar(start, end)


def _month(value: str, key: str) -> Month:
    try:
        return Month.parse(value)
    except DateError as err:
        raise ConfigError(f"{key}={show(value)}: {date_problem(err)}") from None


def recorded_yaml(cfg: DictConfig, spec: RunSpec) -> str:
    """The run's config.yaml: the resolved config with the timeline it actually used.

    ``shocks.stochastic.start`` is the month the stochastic shocks started. When a user's file
    replaced the history or added to it, ``shocks.timeline`` lists the shocks the run used and
    ``shocks.file``/``shocks.extra`` are emptied, so the file alone reruns the run; a comment on
    top names the files and their sha256 (the manifest records them too).
    """
    data = shared_parts.to_container(cfg, resolve=True)
    shocks = data["shocks"]
    shocks["stochastic"]["start"] = spec.stochastic.start
    used = spec.shocks_used
    if used is None or used.mode == "inline":
        return config_text(data)
    names = [f"{f.key}={Path(f.path).name}" for f in used.files]
    shocks["name"] = f"{shocks['name']} ({', '.join(names)})"
    shocks["timeline"] = used.rows()
    shocks["file"] = shocks["extra"] = None
    header = [
        f"# shocks.timeline: the {len(used.timeline.shocks)} dated shocks this run used ({used.mode}):",
        *(
            f"#   {f.key}={f.path} (sha256 {f.sha256}) "
            + ("replaced the history" if f.key == "shocks.file" else "added to the history")
            for f in used.files
        ),
    ]
    return "\n".join(header) + "\n" + config_text(data)


class _ConfigDumper(getattr(yaml, "CDumper", yaml.Dumper)):
    """libyaml's emitter with OmegaConf's rule for text: quoted where it would read as a number or bool."""


_ConfigDumper.add_representer(str, OmegaConfDumper.str_representer)


def config_text(data: dict | list) -> str:
    """A plain config as YAML, byte for byte what ``OmegaConf.to_yaml`` writes.

    A block mapping's YAML is its entries' YAML one after the other, so a mapping is written
    entry by entry, and a mapping under a top-level key entry by entry too; each entry's text is
    kept, by its value's ``repr``, for the next config that holds the same entry. A sweep's cells
    differ in a few entries, and each cell writes three configs: this takes a fraction of the
    time of writing every config whole.
    """
    if not isinstance(data, dict) or not data:
        return _yaml(data)
    return "".join(_entry(key, value) for key, value in data.items())


_ENTRIES: dict[tuple[str, str, str], str] = {}
"""The YAML of config entries seen already, by (top-level key, key, value) as ``repr``s."""
MAX_ENTRIES = 4096


def _entry(key: object, value: object) -> str:
    """A top-level entry's YAML; a mapping's own entries one by one, under the key's line."""
    if not isinstance(value, dict) or not value:
        return _cached(repr(key), "", value, lambda: _yaml({key: value}))
    pieces = [_cached(repr(key), repr(k), v, lambda k=k, v=v: _yaml({key: {k: v}})) for k, v in value.items()]
    head = pieces[0][: pieces[0].index("\n") + 1]
    if not head.endswith(":\n") or not all(p.startswith(head) for p in pieces):
        return _yaml({key: value})  # a key too long for its own line: whole, as it comes
    return head + "".join(p[len(head) :] for p in pieces)


def _cached(outer: str, inner: str, value: object, dump: Callable[[], str]) -> str:
    """``dump()``, or the text kept for an entry whose value has the same ``repr`` (which tells
    1 from 1.0, True and '1': plain config values read back equal when their reprs are)."""
    key = (outer, inner, repr(value))
    text = _ENTRIES.get(key)
    if text is None:
        if len(_ENTRIES) >= MAX_ENTRIES:
            _ENTRIES.clear()
        text = _ENTRIES[key] = dump()
    return text


def _yaml(data: object) -> str:
    return yaml.dump(
        data, Dumper=_ConfigDumper, default_flow_style=False, allow_unicode=True, sort_keys=False
    )
