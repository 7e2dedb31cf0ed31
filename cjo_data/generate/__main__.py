"""CLI: python -m cjo_data.generate --advisors N --days D --seed S --out DIR [...]

--respond-to PUBLISHED_DIR --out RAW_DIR --seed S: the next delivery answering the journeys' sends."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from cjo_data.generate.config import DEFAULT_END_DATE, FORMATS, GenerateConfig
from cjo_data.generate.core import generate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cjo_data.generate",
                                 description="Generate realistic, dirty demo raw data plus ground truth.")
    ap.add_argument("--advisors", type=int, default=20_000, help="number of people (default 20000)")
    ap.add_argument("--days", type=int, default=365, help="days simulated (default 365)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=Path("data/raw"), help="raw folder (default data/raw)")
    ap.add_argument("--dirt-rate", type=float, default=0.02, help="share of rows hit by each kind of dirt")
    ap.add_argument("--end-date", type=date.fromisoformat, default=None,
                    help=f"last simulated day, YYYY-MM-DD (default {DEFAULT_END_DATE.isoformat()})")
    ap.add_argument("--deliveries", type=int, default=None, help="files per event table (default: monthly)")
    ap.add_argument("--format", dest="file_format", choices=FORMATS, default="auto",
                    help="file format (auto: csv up to 100k advisors, parquet above)")
    ap.add_argument("--respond-to", type=Path, default=None, metavar="PUBLISHED_DIR",
                    help="instead of a new world: write the next delivery of application events answering the "
                         "journeys' sends recorded in this published copy (cjo_data/generate/respond.py)")
    a = ap.parse_args(argv)
    if a.respond_to is not None:
        from cjo_data.generate.respond import SendRecordError, write_response

        try:
            summary = write_response(a.respond_to, a.out, a.seed)
        except SendRecordError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        json.dump(summary, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    try:
        cfg = GenerateConfig(advisors=a.advisors, days=a.days, seed=a.seed, out=a.out, dirt_rate=a.dirt_rate,
                             end_date=a.end_date, deliveries=a.deliveries, file_format=a.file_format)
    except ValueError as exc:
        ap.error(str(exc))
    summary = generate(cfg)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
