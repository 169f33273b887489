"""Reader of JSON exports of web APIs: a list of flat objects, found under `records_path`.

The standard library has no streaming JSON parser (and `ijson` is not a dependency), so the
document is read whole: a size guard refuses, with a clear message, any file above `max_bytes`
before it is read, because the parsed objects take several times the file's size in memory.
Numbers keep their literal token (no float rounding); values are rendered with `TextFormats`.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path

from sources.cells import JsonNumber, TextFormats
from sources.readers import FileRefusedError, Table, check_header, named_header

DEFAULT_MAX_BYTES = 32 << 20


def open_json(
    path: Path,
    *,
    required_columns: Sequence[str],
    formats: TextFormats,
    headings: Mapping[str, str] | None = None,
    records_path: str | None = None,
    encoding: str = "utf-8",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Table:
    """Open the list of records at `records_path` (dotted keys; None: the document is the list).

    The header is every member name met in the records, in order of first appearance, so a
    member an API omits when null is a blank cell, and a contract column that no record holds is a
    missing column. Row numbers are the records' positions in the list, from 1. `headings` maps
    member names that differ from their column's raw name to it (`sources.readers.named_header`).
    """
    size = path.stat().st_size
    if size == 0:
        raise FileRefusedError("empty file: it holds no JSON document; export it again")
    if size > max_bytes:
        raise FileRefusedError(
            f"file of {size / 2**20:.1f} MiB is above the {max_bytes / 2**20:.1f} MiB limit for "
            "JSON, which is read whole: deliver it in smaller extracts (e.g. one per week), or "
            "raise the contract's file.max_bytes if the loading machine has the memory"
        )
    records = _records(_document(path, encoding), records_path)
    header = _member_names(records)
    if records:  # an empty list is the JSON for a header-only file: nothing to check
        check_header(header, required_columns, what="records")
    else:
        header = list(required_columns)
    named = named_header(header, headings or {}, what="records")
    rows = _rows(records, list(zip(header, named, strict=True)), formats)
    return Table(named, rows, surplus_separator=" | ")


def _document(path: Path, encoding: str) -> object:
    data = path.read_bytes()
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"  # a byte-order mark is tolerated, as in CSV files
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise FileRefusedError(
            f"byte 0x{data[error.start]:02x} at offset {error.start} cannot be decoded as "
            f"{encoding}; export the file as {encoding} (JSON is UTF-8 by standard)"
        ) from error
    try:
        return json.loads(
            text, parse_int=JsonNumber, parse_float=JsonNumber, parse_constant=JsonNumber
        )
    except json.JSONDecodeError as error:
        ending = " (the file ends too early: truncated?)" if error.pos >= len(text.rstrip()) else ""
        raise FileRefusedError(
            f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}{ending}; "
            "deliver the complete export again"
        ) from error


def _records(document: object, records_path: str | None) -> list[dict]:
    found, walked = document, []
    for key in records_path.split(".") if records_path else []:
        if not isinstance(found, dict) or key not in found:
            keys = ", ".join(found) if isinstance(found, dict) else type(found).__name__
            where = ".".join(walked) or "the top of the document"
            raise FileRefusedError(
                f"no member {key!r} under {where} (found: {keys}); the export's structure "
                "changed, or the contract's records_path is wrong"
            )
        found = found[key]
        walked.append(key)
    if not isinstance(found, list):
        raise FileRefusedError(
            f"{records_path or 'the document'} is {_kind(found)}, not a list of records; "
            "check the contract's records_path"
        )
    for position, item in enumerate(found, start=1):
        if not isinstance(item, dict):
            raise FileRefusedError(
                f"record {position} is {_kind(item)}, not an object: the export is not a "
                "list of records; export it again"
            )
    return found


def _kind(value: object) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", JsonNumber: "a number"}
    return kinds.get(type(value), "a boolean" if isinstance(value, bool) else "null")


def _member_names(records: list[dict]) -> list[str]:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    return list(names)


def _rows(
    records: list[dict], members: list[tuple[str, str]], formats: TextFormats
) -> Generator[tuple[int, list[str]], None, None]:
    """Cells of each record; `members` pairs each member name with its column's raw name, the one
    the formats know (which columns are timestamps)."""
    render = formats.render
    for position, record in enumerate(records, start=1):
        cells = [_cell(record.get(member), name, render) for member, name in members]
        yield position, cells


def _cell(value: object, name: str, render: Callable[[object, str], str]) -> str:
    if isinstance(value, dict | list):
        return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))
    return render(value, name)


def _plain(value: object) -> object:
    """Numbers back to numbers, so nested values are written as they were delivered."""
    if isinstance(value, JsonNumber):
        return json.loads(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
