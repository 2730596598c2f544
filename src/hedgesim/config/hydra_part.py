"""Hydra's own part of a command line (launcher, callbacks, group globs), composed with the
task's config and checked before any job starts: a launcher or callback that would fail only
once the sweep is under way (a traceback per job, or after the summary was removed) is refused
in one line, and a glob over a config group is expanded to the options it names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from hydra import compose
from hydra._internal.config_repository import ConfigRepository
from hydra._internal.config_search_path_impl import ConfigSearchPathImpl
from hydra.core.global_hydra import GlobalHydra
from hydra.core.object_type import ObjectType
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, ValueType
from hydra.core.plugins import Plugins
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config.batching import BatchSettings
from hedgesim.config.compose import describe_config_error, hydra_on_conf
from hedgesim.config.errors import ConfigError

JOBLIB = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
"""The joblib launcher's class, as ``hydra.launcher._target_`` names it."""
_PLAIN_NAME = re.compile(r"^[\w\-]+$")


def compose_with_hydra(overrides: Sequence[str]) -> DictConfig:
    """conf/ composed with ``overrides``, Hydra's part included.

    Raises:
        ConfigError: an override that does not compose, in one line.
    """
    try:
        return _composed(overrides)
    except (HydraException, OmegaConfBaseException, ValueError) as err:
        message = describe_config_error(err)
    raise ConfigError(_with_hydra_keys(message, overrides))


def _composed(overrides: Sequence[str]) -> DictConfig:
    with hydra_on_conf():
        return compose(config_name="config", overrides=list(overrides), return_hydra_config=True)


def _with_hydra_keys(message: str, overrides: Sequence[str]) -> str:
    """An unknown key of Hydra's part, with the keys Hydra's node allows there (the keys the
    message lists are the task's, from its schema): the node is composed without the key."""
    key, unknown, _ = message.partition(": unknown key; allowed: ")
    if not unknown or not key.startswith("hydra."):
        return message
    rest = [o for o in overrides if not _names(o, key)]
    try:
        node = OmegaConf.select(_composed(rest), key.rsplit(".", 1)[0])
    except (HydraException, OmegaConfBaseException, ValueError):
        return message
    if not isinstance(node, DictConfig) or not len(node):
        return message
    return f"{key}: unknown key; allowed: {', '.join(sorted(str(k) for k in node))}"


def _names(line: str, key: str) -> bool:
    """Whether an override sets ``key`` or a key under it."""
    name = line.lstrip("+~").split("=", 1)[0].strip()
    return name == key or name.startswith(f"{key}.")


def check_hydra_part(cfg: DictConfig) -> None:
    """The launcher's and the aggregation's settings of a config composed with Hydra's part.

    Raises:
        ConfigError: the first setting that would fail once the sweep runs.
    """
    launcher = OmegaConf.select(cfg, "hydra.launcher", default=None)
    BatchSettings.of(launcher)
    if launcher is not None and launcher.get("_target_") == JOBLIB:
        n_jobs = launcher.get("n_jobs")
        if not _a_count(n_jobs):
            raise ConfigError(f"hydra.launcher.n_jobs={n_jobs}; allowed: -1 (one per core) or a count >= 1")
    _check_aggregation(cfg)


def _a_count(n: object) -> bool:
    """A count of workers: an integer >= 1, or -1 for one per core."""
    return isinstance(n, int) and not isinstance(n, bool) and (n >= 1 or n == -1)


def _check_aggregation(cfg: DictConfig) -> None:
    """Refuse, before any job, settings the aggregation at the sweep's end would fail on (after
    it had removed the previous summary)."""
    n_jobs = OmegaConf.select(cfg, "hydra.callbacks.aggregate.n_jobs", default=-1)
    if not _a_count(n_jobs):
        raise ConfigError(
            f"hydra.callbacks.aggregate.n_jobs={n_jobs}; allowed: a count >= 1, or -1 (one per core)"
        )
    figures = OmegaConf.select(cfg, "hydra.callbacks.aggregate.figures", default=True)
    if not isinstance(figures, bool):
        raise ConfigError(f"hydra.callbacks.aggregate.figures={figures!r}; allowed: true or false")


def expand_globs(
    parsed: list[Override], sources: Sequence | None = None
) -> tuple[list[Override], dict[str, str]]:
    """Each ``group=glob(...)`` sweep as the sweep of the group's options it matches.

    The sweep handed on lists them, so Hydra's sweeper and the sweep's aggregation, which read
    the command line without the config loader a glob needs, see plain values.

    Args:
        sources: the config sources a sweep ran with (its ``multirun.yaml``'s
            ``hydra.runtime.config_sources``), to plan its cells with the options it had; None:
            the options the command line sees (its ``hydra.searchpath`` included).

    Returns:
        The overrides with each glob replaced, and each glob's line with its replacement.

    Raises:
        ConfigError: a glob over a key that is no config group, or one matching no option.
    """
    globs = [o for o in parsed if o.value_type == ValueType.GLOB_CHOICE_SWEEP]
    if not globs:
        return parsed, {}
    options = _options_then(globs, sources) if sources is not None else _options_now(globs, parsed)
    lines = {o.input_line: _listed_options(o, options[o.key_or_group]) for o in globs}
    parser = OverridesParser.create()
    return [parser.parse_overrides([lines.get(o.input_line, o.input_line)])[0] for o in parsed], lines


def _options_now(globs: list[Override], parsed: list[Override]) -> dict[str, list[str]]:
    """The options of each glob's group that conf/ and the command line's search path hold."""
    plain = [o.input_line for o in parsed if not o.is_sweep_override()]
    try:
        with hydra_on_conf():
            loader = GlobalHydra.instance().config_loader()
            return {
                o.key_or_group: loader.get_group_options(
                    o.key_or_group, results_filter=ObjectType.CONFIG, config_name="config", overrides=plain
                )
                for o in globs
            }
    except (HydraException, OmegaConfBaseException, ValueError) as err:
        raise ConfigError(describe_config_error(err)) from None


def _options_then(globs: list[Override], sources: Sequence) -> dict[str, list[str]]:
    """The options of each glob's group in the config sources a sweep recorded, read without
    touching the running Hydra's global state."""
    repository = _repository(tuple((s.provider, s.schema, s.path) for s in sources))
    return {o.key_or_group: repository.get_group_options(o.key_or_group, ObjectType.CONFIG) for o in globs}


def group_option(sources: Sequence[Mapping], group: str, option: str) -> dict | None:
    """What option ``option`` of config group ``group`` sets, as the config sources a sweep
    recorded (``multirun.yaml``'s ``hydra.runtime.config_sources``) hold it, its own defaults
    merged in; None when they hold no such option. A cell that never ran shows its values so.
    """
    found = tuple((s.get("provider"), s.get("schema"), s.get("path")) for s in sources)
    repository = _repository(found)
    if option not in repository.get_group_options(group, ObjectType.CONFIG):
        return None
    merged = OmegaConf.create()
    for name in _with_defaults(repository, f"{group}/{option}"):
        loaded = repository.load_config(name)
        body = OmegaConf.masked_copy(loaded.config, [k for k in loaded.config if k != "defaults"])
        merged = OmegaConf.merge(merged, body)
    return OmegaConf.to_container(merged)


def _with_defaults(repository: ConfigRepository, name: str) -> list[str]:
    """``name`` after the configs of its group its defaults list names (``- baseline``), in order."""
    loaded = repository.load_config(name)
    group = name.rpartition("/")[0]
    earlier = [getattr(d, "path", None) for d in loaded.defaults_list or [] if not d.is_self()]
    own = [path.lstrip("/") if path.startswith("/") else f"{group}/{path}" for path in earlier if path]
    return [*(n for path in own for n in _with_defaults(repository, path)), name]


def _repository(sources: tuple[tuple, ...]) -> ConfigRepository:
    """Hydra's repository of these config sources, read without touching its global state."""
    Plugins.instance()  # registers the config source kinds (pkg, file, structured)
    search_path = ConfigSearchPathImpl()
    for provider, schema, path in sources:
        search_path.append(str(provider), f"{schema}://{path}")
    return ConfigRepository(config_search_path=search_path)


def _listed_options(override: Override, options: list[str]) -> str:
    """``group=choice(a,b)``: the ``options`` of the glob's group that it matches."""
    group = override.key_or_group
    if not options:
        raise ConfigError(
            f"{override.input_line}: {group} is no config group, and glob() sweeps the options of "
            "one; allowed: a group's options like challenges=glob(*), or listed values a,b,c"
        )
    matched = override.value().filter(options)
    if not matched:
        raise ConfigError(
            f"{override.input_line}: the glob matches none of the options of {group}; allowed: "
            f"{', '.join(options)}"
        )
    shown = [name if _PLAIN_NAME.match(name) else repr(name) for name in matched]
    return f"{override.get_key_element()}=choice({','.join(shown)})"
