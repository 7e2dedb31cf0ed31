"""``python -m orchestration.journeys evaluate [--db PATH]``: one journey evaluation against a DuckDB file,
what the ``journeys/state`` asset does, without Dagster (for operators, and the SIGKILL test runs it as a
real process). Takes the writer lock like every writer. Prints one JSON line with what fired."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.journeys")
    sub = parser.add_subparsers(dest="command", required=True)
    evaluate = sub.add_parser("evaluate", help="Evaluate every journey on the events not seen yet.")
    evaluate.add_argument("--db", type=Path, default=None, help="DuckDB file (default: the settings' duckdb_path).")
    args = parser.parse_args(argv)

    from orchestration import settings
    from orchestration.journeys import run
    from orchestration.warehouse_lock import connect_live

    db = args.db or settings.duckdb_path()
    with connect_live(db) as con:
        result = run.evaluate(con)
    print(json.dumps({"clock": str(result.clock), "new_events": result.new_events, **result.counts,
                      "errors": [str(e) for e in result.errors]}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
