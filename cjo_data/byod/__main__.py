"""`python -m cjo_data.byod telco|shoppers [--src FILE] --out DIR`: map a public example dataset onto
the raw data contract. Then land and build as with any delivery (docs/bring-your-own-data.md)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from cjo_data.byod import shoppers, telco
from cjo_data.byod.common import SourceFileError, resolve_source


def shared_data_dir() -> Path:
    """``../shared/data`` next to the repository root (resolved when called, never at import)."""
    from orchestration.settings import PROJECT_ROOT

    return PROJECT_ROOT.parent / "shared" / "data"


def default_source(dataset: str) -> Path:
    return {
        "telco": shared_data_dir() / "telco_churn" / "Telco-Customer-Churn.csv",
        "shoppers": shared_data_dir() / "online_shoppers_intention" / "online_shoppers_intention.csv",
    }[dataset]


def _date(text: str) -> datetime:
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cjo_data.byod", description=__doc__)
    sub = parser.add_subparsers(dest="dataset", required=True)

    p = sub.add_parser("telco", help="IBM Telco Customer Churn -> crm.* (attributes included) and "
                       "privacy.consent_events")
    p.add_argument("--src", type=Path, default=None,
                   help="Telco-Customer-Churn.csv (default: ../shared/data/telco_churn/ from the repo root)")
    p.add_argument("--reference-date", type=_date, default=telco.DEFAULT_REFERENCE_DATE,
                   help="snapshot date tenure is counted to (default %(default)s)")
    p.add_argument("--churn-gap-months", type=int, default=telco.DEFAULT_CHURN_GAP_MONTHS,
                   help="churned customers' last bill is this many months before the reference date (default "
                        "%(default)s; 0 = created_at is reference date - tenure for everyone)")
    p.add_argument("--churn-spread-months", type=int, default=telco.DEFAULT_CHURN_SPREAD_MONTHS,
                   help="churn dates are spread over this many months before the gap (default %(default)s; "
                        "1 = every churned customer leaves at the gap)")
    p.add_argument("--opt-out-percent", type=int, default=telco.DEFAULT_OPT_OUT_PERCENT,
                   help="share of churned customers who opt out of email (default %(default)s)")

    p = sub.add_parser("shoppers", help="UCI Online Shoppers Purchasing Intention -> marketing.web_events")
    p.add_argument("--src", type=Path, default=None,
                   help="online_shoppers_intention.csv (default: ../shared/data/online_shoppers_intention/)")
    p.add_argument("--year", type=int, default=shoppers.DEFAULT_YEAR,
                   help="year the sessions are placed in (default %(default)s)")

    for p in sub.choices.values():
        p.add_argument("--out", type=Path, required=True,
                       help="raw folder to write <source>/<table>/<file>.csv into (e.g. data/raw)")
        p.add_argument("--limit", type=int, default=None, help="map only the first N source rows")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        src = resolve_source(args.src, default_source(args.dataset))
        if args.dataset == "telco":
            result = telco.map_telco(src, args.out, reference_date=args.reference_date,
                                     churn_gap_months=args.churn_gap_months,
                                     churn_spread_months=args.churn_spread_months,
                                     opt_out_percent=args.opt_out_percent, limit=args.limit)
        else:
            result = shoppers.map_shoppers(src, args.out, year=args.year, limit=args.limit)
    except (SourceFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for fqn, path in result.files.items():
        print(f"{result.rows[fqn]:>8} rows  {fqn:<24} {path}", file=sys.stderr)
    print(json.dumps(result.summary()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
