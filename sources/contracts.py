"""Data contracts: one YAML file per record type says what its application delivers.

A contract names the file pattern and its native format, the natural key, the columns (type,
required, allowed codes or reference list, personal data) and cross-field rules. It drives the
raw table's DDL and the validation of every row, so adding a source is a new YAML file, not code.
`RecordChecker` turns a contract into the row validation used by the loader.
"""

from __future__ import annotations

import codecs
import fnmatch
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sources import readers
from sources.readers import EXTRA_FIELDS_KEY, ROW_ERROR_KEY, Invalid

CONTRACTS_DIR = Path(__file__).parent / "contracts"
REFERENCE_DIR = Path(__file__).parent / "reference"
# Lower-case SQL identifiers that never need quoting; a leading `_` is kept for load columns.
IDENTIFIER = r"^[a-z][a-z0-9_]{0,62}$"
ModelT = TypeVar("ModelT", bound=BaseModel)


class ContractError(ValueError):
    """A contract or reference file is invalid; the message names the file and the field."""


class ColumnType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"
    CODE = "code"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileSpec(_Strict):
    pattern: str = Field(min_length=1, description="Glob of the delivered file names.")
    format: Literal["csv"]
    delimiter: str = Field(min_length=1, max_length=1)
    encoding: str
    decimal: Literal[",", "."] = ","
    date_format: str = "dd/mm/yyyy"
    timestamp_format: str = "dd/mm/yyyy HH:MM:SS"
    boolean_true: str = "O"
    boolean_false: str = "N"

    @field_validator("encoding")
    @classmethod
    def _ascii_compatible(cls, encoding: str) -> str:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
        # Readers split lines on b"\n": that needs an encoding where ASCII is one byte as is.
        if "a;\n".encode(encoding) != b"a;\n":
            raise ValueError(f"{encoding!r} is not ASCII-compatible (e.g. UTF-16); not supported")
        return encoding

    @field_validator("date_format", "timestamp_format")
    @classmethod
    def _known_tokens(cls, pattern: str) -> str:
        readers.strptime_format(pattern)
        return pattern


class Column(_Strict):
    name: str = Field(pattern=IDENTIFIER)
    type: ColumnType
    description: str = Field(min_length=1)
    required: bool = False
    codes: tuple[str, ...] | None = Field(default=None, min_length=1)
    reference: str | None = None
    personal: bool = False

    @model_validator(mode="after")
    def _codes_only_for_code_columns(self) -> Column:
        has_list = (self.codes is not None) + (self.reference is not None)
        if self.type is ColumnType.CODE and has_list != 1:
            raise ValueError("a code column needs exactly one of `codes` or `reference`")
        if self.type is not ColumnType.CODE and has_list:
            raise ValueError("`codes` and `reference` are only for columns of type code")
        return self


class OrderRule(_Strict):
    """Values in order, e.g. `end_ts >= called_ts >= arrival_ts`; blank terms are skipped."""

    kind: Literal["order"]
    name: str = Field(pattern=IDENTIFIER)
    description: str
    expression: str

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(self.expression.split()[::2])

    @property
    def operator(self) -> str:
        return self.expression.split()[1]

    @field_validator("expression")
    @classmethod
    def _one_operator_chain(cls, expression: str) -> str:
        tokens = expression.split()
        operators = set(tokens[1::2])
        if len(tokens) < 3 or len(tokens) % 2 == 0 or len(operators) != 1:
            raise ValueError("write `a >= b [>= c ...]` with one operator among < <= > >=")
        if not operators <= {"<", "<=", ">", ">="}:
            raise ValueError(f"unknown operator {operators.pop()!r}; use < <= > >=")
        return expression


class RequiredWhenRule(_Strict):
    """Columns that must be filled when other columns hold given values (as delivered)."""

    kind: Literal["required_when"]
    name: str = Field(pattern=IDENTIFIER)
    description: str
    columns: tuple[str, ...] = Field(min_length=1)
    when: dict[str, str] = Field(min_length=1)

    @property
    def terms(self) -> tuple[str, ...]:
        return (*self.columns, *self.when)


Rule = Annotated[OrderRule | RequiredWhenRule, Field(discriminator="kind")]
ORDERABLE = {ColumnType.INTEGER, ColumnType.DECIMAL, ColumnType.DATE, ColumnType.TIMESTAMP}


class Contract(_Strict):
    record_type: str = Field(pattern=r"^REC-[A-Z0-9-]+$")
    application: str = Field(pattern=IDENTIFIER)
    entity: str = Field(pattern=IDENTIFIER)
    description: str = Field(min_length=1)
    file: FileSpec
    natural_key: tuple[str, ...] = Field(min_length=1)
    columns: tuple[Column, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = ()

    @property
    def table(self) -> str:
        """Raw table name, also the contract's name: `<application>__<entity>`."""
        return f"{self.application}__{self.entity}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    @model_validator(mode="after")
    def _consistent(self) -> Contract:
        names = self.column_names
        if len(set(names)) != len(names):
            raise ValueError("column names must be unique")
        for name in self.natural_key:
            if name not in names or not self.column(name).required:
                raise ValueError(f"natural key column {name!r} must be a required column")
        for rule in self.rules:
            unknown = [term for term in rule.terms if term not in names]
            if unknown:
                raise ValueError(f"rule {rule.name!r} names unknown columns: {unknown}")
            if isinstance(rule, OrderRule):
                types = {self.column(term).type for term in rule.terms}
                if len(types) != 1 or not types <= ORDERABLE:
                    raise ValueError(f"rule {rule.name!r} compares columns of one orderable type")
        missing = {c.reference for c in self.columns if c.reference} - set(reference_names())
        if missing:
            raise ValueError(f"unknown reference lists {sorted(missing)} (see {REFERENCE_DIR})")
        return self


# --- loading -----------------------------------------------------------------------------------


def load_contract(name: str, contracts_dir: Path = CONTRACTS_DIR) -> Contract:
    """Load and validate `<contracts_dir>/<name>.yml`; `name` is `<application>__<entity>`."""
    path = contracts_dir / f"{name}.yml"
    contract = _validated(Contract, path)
    if contract.table != name:
        raise ContractError(f"{path}: application and entity say {contract.table!r}, not {name!r}")
    return contract


def all_contracts(contracts_dir: Path = CONTRACTS_DIR) -> list[Contract]:
    return [load_contract(path.stem, contracts_dir) for path in sorted(contracts_dir.glob("*.yml"))]


def contract_for_file(file_name: str, contracts: list[Contract]) -> Contract | None:
    """The contract whose file pattern matches a delivered file name, if any."""
    return next((c for c in contracts if fnmatch.fnmatchcase(file_name, c.file.pattern)), None)


class ReferenceCode(_Strict):
    code: str = Field(min_length=1)
    label: str = Field(min_length=1)


class ReferenceList(_Strict):
    name: str = Field(pattern=IDENTIFIER)
    description: str
    codes: tuple[ReferenceCode, ...] = Field(min_length=1)


def reference_names(reference_dir: Path = REFERENCE_DIR) -> list[str]:
    return sorted(path.stem for path in reference_dir.glob("*.yml"))


@cache
def load_reference(name: str, reference_dir: Path = REFERENCE_DIR) -> ReferenceList:
    """A reference list (`sites`, `services`): codes with their French labels."""
    return _validated(ReferenceList, reference_dir / f"{name}.yml")


def reference_codes(name: str) -> frozenset[str]:
    return frozenset(item.code for item in load_reference(name).codes)


def _validated(model: type[ModelT], path: Path) -> ModelT:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContractError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise ContractError(f"{path}: not valid YAML: {error}") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [f"{_location(data, e['loc'])}: {e['msg']}" for e in error.errors()]
        raise ContractError(f"{path}: " + "; ".join(problems)) from None


def _location(data: Any, loc: tuple[int | str, ...]) -> str:
    """`columns[3]` becomes `columns[3:site_id]`, so an error points at a named column."""
    parts: list[str] = []
    for key in loc:
        if isinstance(key, int):
            data = data[key] if isinstance(data, list) and key < len(data) else None
            named = data.get("name") if isinstance(data, dict) else None
            parts[-1] += f"[{key}:{named}]" if named else f"[{key}]"
        else:
            data = data.get(key) if isinstance(data, dict) else None
            parts.append(str(key))
    return ".".join(parts) or "(top level)"


# --- row validation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why a row is quarantined: the field at fault, a stable reason code and a readable detail."""

    field: str | None
    reason: str
    detail: str


Value = str | int | Decimal | bool | date | datetime


class RecordChecker:
    """Validate delivered records against a contract: types, required, codes and rules."""

    def __init__(self, contract: Contract, references: Mapping[str, frozenset[str]] | None = None):
        """`references` replaces reference lists by name (tests); others load from YAML."""
        self.contract = contract
        self._allowed: dict[str, frozenset[str]] = {}
        for column in contract.columns:
            if column.codes:
                self._allowed[column.name] = frozenset(column.codes)
            elif column.reference:
                given = (references or {}).get(column.reference)
                self._allowed[column.name] = given or reference_codes(column.reference)

    def key(self, record: Mapping[str, str]) -> tuple[str, ...]:
        """The natural key as delivered: staging deduplicates on the same text."""
        return tuple(record[name] for name in self.contract.natural_key)

    def problems(self, record: Mapping[str, str]) -> list[Problem]:
        """Every problem of a record, in column order then rule order; empty when valid."""
        if ROW_ERROR_KEY in record:
            detail = record[ROW_ERROR_KEY]
            if EXTRA_FIELDS_KEY in record:
                detail += f" (surplus: {record[EXTRA_FIELDS_KEY]!r})"
            return [Problem(None, "malformed_row", detail)]
        problems: list[Problem] = []
        parsed: dict[str, Value] = {}
        for column in self.contract.columns:
            value = self._parse(column, record.get(column.name) or "")
            if isinstance(value, Problem):
                problems.append(value)
            elif value is not None:
                parsed[column.name] = value
        for rule in self.contract.rules:
            problem = _check_rule(rule, record, parsed)
            if problem:
                problems.append(problem)
        return problems

    def _parse(self, column: Column, text: str) -> Value | Problem | None:
        if "\x00" in text:  # PostgreSQL text cannot hold NUL
            return Problem(column.name, "invalid_character", f"{column.name}: NUL character")
        if column.required and not text.strip():
            return Problem(column.name, "missing_value", f"{column.name} is required")
        if not text:  # an empty cell is how a delimited file writes a null
            return None
        value = self._typed(column, text)
        if isinstance(value, Invalid):
            return Problem(column.name, "unparseable_value", f"{column.name}: {value.reason}")
        if column.type is ColumnType.CODE and value not in self._allowed[column.name]:
            list_name = column.reference or "the contract's codes"
            detail = f"{column.name}: {text!r} is not in {list_name}"
            return Problem(column.name, "unknown_code", detail)
        return value

    def _typed(self, column: Column, text: str) -> Value | Invalid:
        spec = self.contract.file
        match column.type:
            case ColumnType.INTEGER:
                return readers.parse_integer(text)
            case ColumnType.DECIMAL:
                return readers.parse_decimal(text, spec.decimal)
            case ColumnType.BOOLEAN:
                return readers.parse_boolean(text, spec.boolean_true, spec.boolean_false)
            case ColumnType.DATE:
                return readers.parse_date(text, spec.date_format)
            case ColumnType.TIMESTAMP:
                return readers.parse_timestamp(text, spec.timestamp_format)
        return text  # text as delivered; codes are compared as written


_HOLDS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _check_rule(rule: Rule, record: Mapping[str, str], parsed: dict[str, Value]) -> Problem | None:
    if isinstance(rule, RequiredWhenRule):
        applies = all(record.get(name) == value for name, value in rule.when.items())
        missing = [name for name in rule.columns if not (record.get(name) or "").strip()]
        if applies and missing:
            return Problem(missing[0], f"rule:{rule.name}", f"{', '.join(missing)} required")
        return None
    # Blank or unparseable terms are skipped: the chain is checked on the values present.
    present = [term for term in rule.terms if term in parsed]
    for left, right in itertools.pairwise(present):
        if not _HOLDS[rule.operator](parsed[left], parsed[right]):
            detail = f"{left} {rule.operator} {right} fails ({parsed[left]} vs {parsed[right]})"
            return Problem(left, f"rule:{rule.name}", detail)
    return None
