"""Configuration of the demo data generator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

# A fixed default end date keeps the default output reproducible (today's date would change it daily).
DEFAULT_END_DATE = date(2026, 10, 31)
FORMATS = ("auto", "csv", "csv.gz", "parquet")
# Above this many advisors "auto" writes Parquet: 50M events as CSV are ~5 GB and slow to write and land.
AUTO_PARQUET_ADVISORS = 100_000


@dataclass(frozen=True)
class GenerateConfig:
    """What to generate. The same config (seed included) always produces byte-identical files."""

    advisors: int = 20_000
    days: int = 365
    seed: int = 42
    out: Path = Path("data/raw")
    # Share of rows (or people, or values) hit by each kind of dirt; see docs/demo-data.md for the
    # multiplier each kind applies. 0 gives clean data (mixed timestamp offsets and phone formats stay:
    # they are valid, just heterogeneous).
    dirt_rate: float = 0.02
    end_date: date | None = None  # last simulated day (inclusive); None -> DEFAULT_END_DATE
    deliveries: int | None = None  # delivery files per event table; None -> one per ~month
    file_format: str = "auto"  # csv | csv.gz | parquet | auto (csv up to AUTO_PARQUET_ADVISORS)

    def __post_init__(self) -> None:
        if self.advisors < 10:
            raise ValueError(f"advisors must be at least 10, got {self.advisors}")
        if self.days < 7:
            raise ValueError(f"days must be at least 7, got {self.days}")
        if not 0 <= self.dirt_rate <= 0.2:
            raise ValueError(f"dirt_rate must be within [0, 0.2], got {self.dirt_rate}")
        if self.deliveries is not None and self.deliveries < 1:
            raise ValueError(f"deliveries must be >= 1, got {self.deliveries}")
        if self.file_format not in FORMATS:
            raise ValueError(f"file_format must be one of {FORMATS}, got {self.file_format!r}")
        object.__setattr__(self, "out", Path(self.out))

    @property
    def last_day(self) -> date:
        return self.end_date or DEFAULT_END_DATE

    @property
    def n_deliveries(self) -> int:
        if self.deliveries is not None:
            return min(self.deliveries, self.days)
        return max(1, round(self.days / 30.44))

    @property
    def fmt(self) -> str:
        if self.file_format != "auto":
            return self.file_format
        return "parquet" if self.advisors > AUTO_PARQUET_ADVISORS else "csv"
