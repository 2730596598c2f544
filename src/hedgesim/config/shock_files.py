"""Reading a user's shock file strictly: its bytes, its text, and its rows as CSV or YAML.

Every failure is a ConfigError of one line naming the key, the file, the line (and column where
known) and what is allowed; the size and the number of shocks are checked before anything is
parsed. What the rows mean is hedgesim.config.timeline_files's business.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

from hedgesim.config.errors import ConfigError
from hedgesim.config.strict_yaml import StrictLoader, yaml_problem
from hedgesim.core.shocks.timeline import MAX_SHOCKS, show

MAX_FILE_BYTES = 2_000_000
"""The largest shock file read (2 MB): 10,000 shocks of 200 characters each. Parsing is the
slow part (YAML: about a second per MB), so the size is checked before anything is parsed."""
COLUMNS = ("date", "end", "kind", "actors", "size", "id", "label", "source")
EVENTS_TABLE_COLUMNS = ("end_date", "magnitude_hint", "description")
"""The events table's names for end, size and label: a file in its layout is read as it is."""
KNOWN = (*COLUMNS, *EVENTS_TABLE_COLUMNS)
LAYOUT = "a header line date,kind,actors,size (optional: end, id, label, source) then one shock per line"
SHOCKS_KEYS = ("file", "extra", "disabled_kinds", "disabled_ids", "stochastic")
"""The keys of a shocks config besides its timeline: a shock file cannot set them."""
YAML_LAYOUT = "a list of shocks like '- {date: 2012-06, kind: war, actors: [RUS, UKR], size: 0.5}'"


def read_bytes(path: Path, given: str, key: str) -> bytes:
    """The file's bytes (at most MAX_FILE_BYTES), or a ConfigError saying why it is not a shock file."""
    name = f"{key}={given!r}"
    allowed = "allowed: a YAML or CSV file in UTF-8"
    if not given.strip():  # Path('') is the working folder
        none = "the inline history" if key == "shocks.file" else "none"
        raise ConfigError(
            f"{name} is empty; allowed: the path of a YAML or CSV file in UTF-8, or null for {none}"
        )
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


def decoded(data: bytes, given: str, key: str) -> str:
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


def csv_records(text: str, where: str) -> tuple[list[str], list[dict[str, str]]]:
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
        if not "".join(row).strip():
            continue  # blank lines, or a spreadsheet's rows of empty cells (,,,)
        if line > start:
            raise ConfigError(
                f"{where} line {start}: a quoted value runs on to line {line} (a closing quote "
                f"missing?); allowed: {LAYOUT}, each value on its line"
            )
        if header is None:
            header = _csv_header(row, where, start)
            continue
        if len(row) != len(header):
            _other_separator(row, where, start, len(header))
            raise ConfigError(
                f"{where} line {start}: {len(row)} value{'s' * (len(row) != 1)} for {len(header)} columns; "
                "allowed: one value "
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


SEPARATORS = {";": "semicolon", "\t": "tab"}
"""Separators a spreadsheet may write instead of commas (Excel writes semicolons where the comma
is the decimal mark), by name."""
COMMAS = "commas between the values (a spreadsheet's 'CSV UTF-8 (comma delimited)')"


def _other_separator(row: list[str], where: str, line: int, columns: int = 0) -> None:
    """Refuse a line written with another separator than commas (Excel's ``sep=;`` line too),
    saying so: a header read as one unknown column, a row as too few values, without a hint.

    Args:
        columns: the header's columns, for a row (0: the line is the header).
    """
    text = ",".join(row)
    for sep, name in SEPARATORS.items():
        parts = [part.strip() for part in text.split(sep)]
        header = not columns and (text.lower().startswith(f"sep={sep}") or sum(p in KNOWN for p in parts) > 1)
        if header or (len(row) < columns == len(parts) and "," not in parts[0]):
            raise ConfigError(
                f"{where} looks {name}-separated (line {line}: {show(text)}); allowed: {COMMAS}, as in "
                "date,kind,actors,size"
            )


def _csv_header(row: list[str], where: str, line: int) -> list[str]:
    """The columns, checked: known names, none twice, the required ones present."""
    _other_separator(row, where, line)
    header = [name.strip() for name in row]
    unknown = [(i, name) for i, name in enumerate(header, 1) if name not in KNOWN]
    if unknown:
        i, name = unknown[0]
        problem = (
            f"column {i} has no name (a comma too many?)" if not name else f"unknown column {show(name)}"
        )
        meant = f" (did you mean {name.lower()}?)" if name.lower() in KNOWN else ""
        raise ConfigError(
            f"{where} line {line}: {problem}{meant}; allowed: {', '.join(COLUMNS)} "
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


def yaml_records(text: str, where: str) -> tuple[list[str], list[Any]]:
    """The list of shocks, at the top or under ``timeline:``, with the line each starts on."""
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        raise ConfigError(f"{where} {yaml_problem(err)}; allowed: {YAML_LAYOUT}") from None
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
        _check_top_keys(node, where)
        node = next(value for key, value in node.value if key.value == "timeline")
        data = data["timeline"]
    if data is None and node is None:
        raise ConfigError(f"{where} is empty; allowed: {YAML_LAYOUT}")
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        table = isinstance(data, str) and any(sep in data for sep in (",", *SEPARATORS))
        hint = " (a CSV file needs the .csv extension)" if table else ""
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


def _check_top_keys(node: yaml.MappingNode, where: str) -> None:
    """Refuse a key of a shocks config beside ``timeline:`` (a copied config's ``disabled_ids`` or
    ``stochastic``): the file gives only the timeline, so it would be ignored without a word.
    Other keys (a name, anchors the shocks refer to) are the file's own."""
    for key_node, _ in node.value:
        if key_node.value in SHOCKS_KEYS:
            raise ConfigError(
                f"{where} line {key_node.start_mark.line + 1}: key {show(key_node.value)} is not read "
                f"from a shock file, which gives only the timeline; allowed: shocks.{key_node.value}=... "
                "on the command line, or the whole config as a shocks option on Hydra's search path"
            )
