"""Data contracts: one YAML file per record type says what its application delivers.

A contract names the file pattern and its native format, the natural key, the columns (type,
required, allowed codes or reference list, personal data) and cross-field rules. It drives the
raw table's DDL and the validation of every row, so adding a source is a new YAML file, not code.
`open_delivery` opens a delivered file with the reader of its format; `sources.validation`
(`RecordChecker`) turns a contract into the row validation used by the loader.
"""

from __future__ import annotations

import fnmatch
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from sources import readers
from sources.file_spec import FileSpec, Strict, delivery_period
from sources.readers import Table
from sources.readers_json import open_json
from sources.readers_xlsx import open_xlsx

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


class Column(Strict):
    """One column: `name` is the raw column's identifier; `heading`, when the delivered file
    names it otherwise (LimeSurvey's `SAT[SQ001]`), is the name the file's header carries."""

    name: str = Field(pattern=IDENTIFIER)
    heading: str | None = Field(default=None, min_length=1)
    type: ColumnType
    description: str = Field(min_length=1)
    required: bool = False
    codes: tuple[str, ...] | None = Field(default=None, min_length=1)
    reference: str | None = None
    minimum: Decimal | None = None  # bounds of a number, e.g. 0 for a duration or an amount
    maximum: Decimal | None = None
    personal: bool = False

    @model_validator(mode="after")
    def _codes_only_for_code_columns(self) -> Column:
        has_list = (self.codes is not None) + (self.reference is not None)
        if self.type is ColumnType.CODE and has_list != 1:
            raise ValueError("a code column needs exactly one of `codes` or `reference`")
        if self.type is not ColumnType.CODE and has_list:
            raise ValueError("`codes` and `reference` are only for columns of type code")
        bounded = self.minimum is not None or self.maximum is not None
        if bounded and self.type not in (ColumnType.INTEGER, ColumnType.DECIMAL):
            raise ValueError("`minimum` and `maximum` are only for integer and decimal columns")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("`minimum` is above `maximum`")
        return self

    @field_validator("heading")
    @classmethod
    def _matchable_heading(cls, heading: str | None) -> str | None:
        # Readers strip the cells of a header and compare them with their case, as for names.
        if heading is not None and heading != heading.strip():
            raise ValueError("a heading cannot start or end with spaces (header cells are trimmed)")
        return heading

    @property
    def delivered_as(self) -> str:
        """The column's name in the delivered file's header."""
        return self.heading or self.name

    @property
    def label(self) -> str:
        """How messages name the column: as the file heads it, then as raw names it if they differ
        (`SAT[SQ002] (sat_sq002)`), so the owner finds the cell and the engineer the column."""
        return f"{self.heading} ({self.name})" if self.heading else self.name

    def out_of_range(self, value: int | Decimal) -> str | None:
        """Why a parsed number breaks the column's bounds, if it does."""
        if self.minimum is not None and value < self.minimum:
            return f"{self.label}: {value} is below the minimum {self.minimum}"
        if self.maximum is not None and value > self.maximum:
            return f"{self.label}: {value} is above the maximum {self.maximum}"
        return None


class OrderRule(Strict):
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


class RequiredWhenRule(Strict):
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


class Contract(Strict):
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

    @property
    def headings(self) -> tuple[str, ...]:
        """The header the delivered file carries: each column's heading, or its name."""
        return tuple(column.delivered_as for column in self.columns)

    @property
    def renamed_headings(self) -> dict[str, str]:
        """`{heading: column name}` for the columns the file names otherwise than raw does."""
        return {column.heading: column.name for column in self.columns if column.heading}

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    @model_validator(mode="after")
    def _consistent(self) -> Contract:
        names = self.column_names
        if len(set(names)) != len(names):
            raise ValueError("column names must be unique")
        headings = self.headings
        twice = sorted({heading for heading in headings if headings.count(heading) > 1})
        if twice:
            raise ValueError(f"headings must be unique: {twice} name several columns")
        needless = [c.name for c in self.columns if c.heading == c.name]
        if needless:
            raise ValueError(f"columns {needless} have a heading equal to their name: drop it")
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


def open_delivery(contract: Contract, path: Path) -> Table:
    """Open a delivered file with the reader of the contract's format (header checked here).

    The reader checks the header against the contract's headings and hands back a `Table` whose
    header holds the columns' names, so raw, validation and quarantine never see the headings.
    """
    spec, columns, renamed = contract.file, contract.headings, contract.renamed_headings
    timestamps = frozenset(c.name for c in contract.columns if c.type is ColumnType.TIMESTAMP)
    if spec.format == "xlsx":
        return open_xlsx(
            path,
            required_columns=columns,
            headings=renamed,
            formats=spec.text_formats(timestamps),
            header_row=spec.header_row,
            sheet=spec.sheet,
        )
    if spec.format == "json":
        return open_json(
            path,
            required_columns=columns,
            headings=renamed,
            formats=spec.text_formats(timestamps),
            records_path=spec.records_path,
            encoding=spec.encoding or "utf-8",
            max_bytes=spec.max_bytes,
        )
    assert spec.delimiter is not None  # the csv validator requires it, and encoding
    assert spec.encoding is not None
    return readers.open_csv(
        path,
        delimiter=spec.delimiter,
        encoding=spec.encoding,
        required_columns=columns,
        headings=renamed,
        header_row=spec.header_row,
    )


class ReferenceCode(Strict):
    code: str = Field(min_length=1)
    label: str = Field(min_length=1)


class ReferenceList(Strict):
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


def __getattr__(name: str) -> Any:
    """Row validation moved to `sources.validation`; it stays importable from here (PEP 562)
    without a circular import, since validation itself builds on the contract models."""
    if name in {"Problem", "RecordChecker"}:
        from sources import validation

        return getattr(validation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Column", "ColumnType", "Contract", "ContractError", "FileSpec", "delivery_period"]
