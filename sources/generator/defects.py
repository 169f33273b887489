"""Defects injected on purpose into generated files, so that the checks have something to catch.

A record generator declares a `DefectPlan`: the defects its files can show (domain reference §B24),
the column each one breaks, and how to break a row. Each defect hits a different row, picked at
random among valid ones, and the rows come back tagged with their defect so that the generator can
write a manifest of exactly what it broke. The duplicate defect re-exports a row further down.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sources.generator.context import Formats

ROWS_PER_DEFECT = 2000  # about one defect of each type per 2,000 rows, at least one per file

# Breaks a copy of a row's cells, as text; gets the file's formats to read or write a date.
Breaker = Callable[[dict[str, str], random.Random, "Formats"], dict[str, str]]


@dataclass
class TaggedRow:
    cells: dict[str, str]
    defect: str | None = None


@dataclass(frozen=True)
class DefectPlan:
    """The defects of one record type; `columns` gives their order and the manifest's column."""

    columns: Mapping[str, str]  # defect type -> column it breaks, as the loader names it
    breakers: Mapping[str, Breaker] = field(default_factory=dict)
    duplicate: str | None = None  # the defect type that re-exports a row (no breaker)
    rows_per_defect: int = ROWS_PER_DEFECT

    def __post_init__(self) -> None:
        expected = set(self.columns) - {self.duplicate}
        if set(self.breakers) != expected:
            raise ValueError(f"a breaker for each defect but the duplicate: {sorted(expected)}")

    def inject(
        self, rows: list[dict[str, str]], rng: random.Random, formats: Formats
    ) -> list[TaggedRow]:
        """Copy `rows`, breaking a few of them."""
        tagged = [TaggedRow(dict(cells)) for cells in rows]
        per_type = max(1, round(len(rows) / self.rows_per_defect))
        if len(rows) < 2 * per_type * len(self.columns):
            return tagged  # too small a file to break without breaking most of it
        targets = iter(rng.sample(range(len(rows)), per_type * len(self.columns)))
        duplicated: list[int] = []
        for defect in self.columns:
            for index in (next(targets) for _ in range(per_type)):
                if defect == self.duplicate:
                    duplicated.append(index)
                else:
                    cells = self.breakers[defect](dict(tagged[index].cells), rng, formats)
                    tagged[index].cells = cells
                    tagged[index].defect = defect
        # Re-exported copies land later in the file, so the loader keeps the first one.
        for index in sorted(duplicated, reverse=True):
            copy = TaggedRow(dict(tagged[index].cells), self.duplicate)
            tagged.insert(rng.randint(index + 1, len(tagged)), copy)
        return tagged
