"""UCI Online Shoppers Purchasing Intention -> ``marketing.web_events`` (anonymous sessions).

One source row is one browsing session, with no visitor id and no date except the month. The mapping:

- each row gets its own ``anonymous_id`` (derived from the row number: sessions cannot be linked,
  even for Returning_Visitor rows, because the dataset has no visitor id);
- one ``page_view`` per page counted in Administrative, Informational and ProductRelated, in that
  order, with paths ``/account/<n>``, ``/info/<n>`` and ``/product/<n>``. The time between two page
  views is the average time per page of that kind (``<kind>_Duration / <kind>``), at least 1 second and
  at most 29 minutes, so one source row stays one session under the 30-minute session rule;
- sessions with Revenue=TRUE end with a ``form_submit`` on ``/checkout`` carrying a deterministic email
  (``shopper-<row>@example.invalid``): the visitor identifies and becomes a lead;
- the day is derived from the row number inside the given Month of ``year``, on a weekend day when
  Weekend=TRUE and a weekday otherwise; sessions near a special day (SpecialDay > 0) fall in the days
  before it and carry its campaign in ``utm_campaign``;
- ``utm_source`` = ``traffic-type-<TrafficType>`` (the dataset only gives a code);
- ``marketing.campaigns``: one row per special day (Valentine's Day, Mother's Day).

Quirks: Month is 'June' but three letters elsewhere ('Feb', 'Mar', ...), and there is no Jan or Apr: any
common spelling is accepted and absent months simply get no sessions. Sessions with no page at all
(6 rows) produce no page view (and no event at all unless Revenue=TRUE). A negative duration (some
copies code "unknown" as -1) counts as unknown: 1 second per page.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cjo_data.byod.common import (
    MappingResult,
    bad_value,
    iso,
    parse_bool,
    parse_float,
    parse_int,
    read_rows,
    stable_int,
    stable_token,
    write_table,
)

FILE_NAME = "shoppers.csv"
DEFAULT_YEAR = 2025  # the dataset covers one (unnamed) year
MIN_GAP_S = 1
MAX_GAP_S = 29 * 60  # below the 30-minute session gap used by fct_sessions
CAMPAIGN_LEAD_DAYS = (12, 2)  # a special-day session falls 12..2 days before the day (Sakar et al.: Feb 2-12)

PAGE_KINDS = (("Administrative", "/account"), ("Informational", "/info"), ("ProductRelated", "/product"))
REQUIRED = (*(k for k, _ in PAGE_KINDS), *(f"{k}_Duration" for k, _ in PAGE_KINDS), "SpecialDay", "Month",
            "TrafficType", "Weekend", "Revenue")

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {"sept": 9}


def special_days(year: int) -> dict[int, tuple[str, str, date]]:
    """month -> (campaign_id, name, day) for the special days the dataset's SpecialDay measures."""
    may = calendar.monthcalendar(year, 5)
    sundays = [w[calendar.SUNDAY] for w in may if w[calendar.SUNDAY]]
    return {
        2: (f"shoppers-valentines-{year}", f"Valentine's Day {year}", date(year, 2, 14)),
        5: (f"shoppers-mothers-day-{year}", f"Mother's Day {year}", date(year, 5, sundays[1])),
    }


@dataclass(frozen=True)
class Session:
    row: int  # 1-based data row number in the source file
    pages: tuple[tuple[str, int, float], ...]  # (path prefix, count, seconds per page)
    month: int
    weekend: bool
    special: bool
    traffic_type: int
    revenue: bool

    @property
    def page_views(self) -> int:
        return sum(n for _, n, _ in self.pages)


def parse_session(path: Path, line: int, row_number: int, row: dict[str, str]) -> Session:
    month_raw = row["Month"].strip().lower()
    if month_raw not in MONTHS:
        raise bad_value(path, line, "Month", row["Month"], "is not a month name")
    pages = []
    for kind, prefix in PAGE_KINDS:
        n = parse_int(path, line, row, kind)
        seconds = parse_float(path, line, row, f"{kind}_Duration")
        per_page = seconds / n if n and seconds >= 0 else 0.0
        pages.append((prefix, n, per_page))
    return Session(
        row=row_number, pages=tuple(pages), month=MONTHS[month_raw],
        weekend=parse_bool(path, line, row, "Weekend"),
        special=parse_float(path, line, row, "SpecialDay") > 0,
        traffic_type=parse_int(path, line, row, "TrafficType"),
        revenue=parse_bool(path, line, row, "Revenue"),
    )


def read_sessions(path: Path, *, limit: int | None = None) -> Iterator[Session]:
    for n, (line, row) in enumerate(read_rows(path, REQUIRED, limit=limit), start=1):
        yield parse_session(path, line, n, row)


def anonymous_id(row: int) -> str:
    return "anon-" + stable_token("shoppers", row)


def lead_email(row: int) -> str:
    return f"shopper-{row:05d}@example.invalid"


def session_start(s: Session, year: int) -> tuple[datetime, str | None]:
    """The session's start time and its campaign (if it is near a special day)."""
    days = [date(year, s.month, d) for d in range(1, calendar.monthrange(year, s.month)[1] + 1)]
    campaign = None
    special = special_days(year).get(s.month)
    if s.special and special:
        campaign = special[0]
        first, last = CAMPAIGN_LEAD_DAYS
        window = [special[2] - timedelta(days=k) for k in range(first, last - 1, -1)]
        # Keep the given Month even when the window starts in the month before (Mother's Day, early May).
        days = [d for d in window if d.month == s.month] or days
    matching = [d for d in days if (d.weekday() >= 5) == s.weekend] or days
    h = stable_int("shoppers-start", s.row)
    day = matching[h % len(matching)]
    # Between 07:00 and 22:59 UTC, to the second.
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        hours=7 + (h >> 8) % 16, minutes=(h >> 16) % 60, seconds=(h >> 24) % 60)
    return start, campaign


def session_events(s: Session, year: int) -> Iterator[dict[str, object]]:
    t, campaign = session_start(s, year)
    common = {"anonymous_id": anonymous_id(s.row), "utm_source": f"traffic-type-{s.traffic_type}",
              "utm_campaign": campaign}
    seq = 0
    for prefix, n, per_page in s.pages:
        gap = timedelta(seconds=min(max(round(per_page), MIN_GAP_S), MAX_GAP_S))
        for k in range(1, n + 1):
            seq += 1
            yield {"event_id": f"shoppers-{s.row:05d}-{seq:04d}", "email": None, "event_type": "page_view",
                   "page_url": f"{prefix}/{k}", "occurred_at": iso(t), **common}
            t += gap
    if s.revenue:
        seq += 1
        yield {"event_id": f"shoppers-{s.row:05d}-{seq:04d}", "email": lead_email(s.row),
               "event_type": "form_submit", "page_url": "/checkout", "occurred_at": iso(t), **common}


def map_shoppers(
    src: Path, out: Path, *, year: int = DEFAULT_YEAR, limit: int | None = None, file_name: str = FILE_NAME,
) -> MappingResult:
    """Map the Online Shoppers CSV at ``src`` into ``<out>/marketing/{web_events,campaigns}/shoppers.csv``."""
    result = MappingResult()
    write_table(out, "marketing.web_events", file_name,
                (e for s in read_sessions(src, limit=limit) for e in session_events(s, year)), result)
    lead_first, lead_last = CAMPAIGN_LEAD_DAYS
    write_table(out, "marketing.campaigns", file_name, [
        {"campaign_id": cid, "campaign_name": name, "channel": None, "objective": "conversion",
         "start_at": iso(datetime(d.year, d.month, d.day, tzinfo=UTC) - timedelta(days=lead_first)),
         "end_at": iso(datetime(d.year, d.month, d.day, tzinfo=UTC) - timedelta(days=lead_last - 1))}
        for cid, name, d in special_days(year).values()], result)
    return result
