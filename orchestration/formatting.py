"""How every `cjo` command shows rows: for people (a table that fits the terminal) or for scripts
(`--format json|csv`). One module, used by every command.

For people: counts get thousands separators, scores three decimals, shares a percentage, and ids are
never cut: id columns do not wrap, other text folds onto more lines, and when even that does not fit
the terminal, each row is printed as a block of ``column: value`` lines.
For scripts: the raw values (numbers unformatted, times in ISO 8601), one JSON array of objects or CSV
with a header row. A command with several sections prints one JSON object of arrays, or one CSV block
per section (its header row first, a blank line between blocks).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[Format, typer.Option(
    "--format", case_sensitive=False, help="table (for people), json or csv (for scripts).")]

# What a column holds, which decides how a person sees it.
TEXT, ID, COUNT, SCORE, SHARE, SECONDS, TIME, FLAG = "text", "id", "count", "score", "share", "seconds", "time", "flag"
_RIGHT = {COUNT, SCORE, SHARE, SECONDS}
# Below this width a folded text column is hard to read; the row-per-block layout is used instead.
MIN_TEXT_WIDTH = 12


@dataclass(frozen=True)
class Col:
    name: str
    kind: str = TEXT


@dataclass
class Section:
    title: str
    cols: list[Col]
    rows: list[Sequence[Any]]
    key: str = ""  # the JSON key (default: the title)


def kind_for(name: str, value: Any) -> str:
    """A column's kind from its name and a sample value (for tables whose columns are not known ahead,
    such as audience previews)."""
    low = name.lower()
    if low == "id" or low.endswith(("_id", "_key", "_sha256", "_hash")):
        return ID
    if isinstance(value, bool):
        return FLAG
    if isinstance(value, int):
        return COUNT
    if isinstance(value, float | Decimal):
        return SHARE if any(w in low for w in ("share", "rate", "ratio", "pct")) else SCORE
    if isinstance(value, datetime | date):
        return TIME
    return TEXT


def cols_for(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[Col]:
    out = []
    for i, name in enumerate(names):
        sample = next((r[i] for r in rows if r[i] is not None), None)
        out.append(Col(name, kind_for(name, sample)))
    return out


def human(value: Any, kind: str = TEXT) -> str:
    """One value as a person reads it."""
    if value is None:
        return ""
    if kind == FLAG or isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    try:
        if kind == COUNT:
            return f"{int(value):,}"
        if kind == SCORE:
            return f"{float(value):,.3f}"
        if kind == SHARE:
            return f"{float(value):.1%}"
        if kind == SECONDS:
            return f"{float(value):,.1f}"
    except (TypeError, ValueError):
        return str(value)
    return str(value)


def raw(value: Any) -> Any:
    """One value for a script: JSON-native, times in ISO 8601."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _console() -> Console:
    # Built per print, so the terminal width (COLUMNS) is read when the command runs.
    return Console()


def fits(cols: Sequence[Col], cells: Sequence[Sequence[str]], width: int) -> bool:
    """True when a table with unwrapped ids and numbers, and text folded no narrower than
    MIN_TEXT_WIDTH, fits in `width` characters."""
    need = 1  # the left border
    for i, c in enumerate(cols):
        longest = max([len(c.name), *(len(r[i]) for r in cells)]) if cells else len(c.name)
        need += (longest if c.kind != TEXT else min(longest, MIN_TEXT_WIDTH)) + 3  # padding and border
    return need <= width


def table(section: Section, console: Console | None = None) -> None:
    console = console or _console()
    cells = [[human(v, c.kind) for v, c in zip(r, section.cols, strict=True)] for r in section.rows]
    if not fits(section.cols, cells, console.width):
        _blocks(section, cells, console)
        return
    t = Table(title=section.title)
    for i, c in enumerate(section.cols):
        if c.kind == TEXT:
            t.add_column(c.name, overflow="fold")
        else:  # ids and numbers never wrap and are never cut
            longest = max([len(c.name), *(len(r[i]) for r in cells)])
            t.add_column(c.name, no_wrap=True, min_width=longest,
                         justify="right" if c.kind in _RIGHT else "left")
    for r in cells:
        t.add_row(*r)
    console.print(t)


def _blocks(section: Section, cells: list[list[str]], console: Console) -> None:
    """Too wide for the terminal: one block of `column: value` lines per row. Text folds; an id or a
    number longer than the terminal is printed whole and left to the terminal to wrap (copying it
    still gives the whole id)."""
    console.print(f"[bold]{section.title}[/bold]")
    label = max(len(c.name) for c in section.cols)
    for n, r in enumerate(cells):
        if n:
            console.print()
        for c, v in zip(section.cols, r, strict=True):
            line = f"{c.name.rjust(label)}: {v}"
            if c.kind == TEXT:
                console.print(line, overflow="fold", highlight=False, markup=False)
            else:
                console.print(line, soft_wrap=True, highlight=False, markup=False)


def emit(sections: Section | Sequence[Section], fmt: Format = Format.table) -> None:
    """Print one or more sections in `fmt`."""
    many = not isinstance(sections, Section)
    items = list(sections) if many else [sections]
    if fmt == Format.table:
        for s in items:
            table(s)
        return
    if fmt == Format.json:
        as_dicts = {s.key or s.title: [{c.name: raw(v) for c, v in zip(s.cols, r, strict=True)} for r in s.rows]
                    for s in items}
        payload = as_dicts if many else next(iter(as_dicts.values()))
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    for n, s in enumerate(items):
        if n:
            sys.stdout.write("\n")
        writer.writerow([c.name for c in s.cols])
        writer.writerows([[raw(v) for v in r] for r in s.rows])


def note(text: str, fmt: Format = Format.table) -> None:
    """A remark for people (what is missing, what to run next); scripts get it on stderr."""
    if fmt == Format.table:
        _console().print(text)
    else:
        Console(stderr=True).print(text)
