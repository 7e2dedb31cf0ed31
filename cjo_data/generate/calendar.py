"""Calendar of the simulated window: day timestamps and seasonality factors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

DAY = 86_400
# Activity by weekday (Mon..Sun): advisors work weekdays, Friday afternoons are quiet.
WEEKDAY = np.array([1.0, 1.08, 1.08, 1.02, 0.82, 0.22, 0.16])
# Activity by month: quiet August and December, busy January/September/October (planning season).
MONTH = np.array([1.08, 1.0, 1.02, 1.0, 0.98, 0.93, 0.88, 0.68, 1.06, 1.08, 1.0, 0.78])
# Share of daily activity by UTC hour: US business hours (Eastern to Pacific) peak 14:00-22:00 UTC.
HOURS = np.array([0.5, 0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 1.8, 2.6, 4.0, 6.0, 7.5, 8.0,
                  7.8, 7.5, 7.0, 6.5, 5.0, 3.2, 1.6])
HOURS = HOURS / HOURS.sum()


@dataclass(frozen=True)
class Calendar:
    start: date
    days: int
    day_ts: np.ndarray  # epoch seconds of each day's 00:00 UTC
    weekday: np.ndarray
    month: np.ndarray  # 1..12
    dom: np.ndarray  # day of month
    activity: np.ndarray  # weekday x month factor (web, email engagement, meetings)
    workday: np.ndarray  # bool
    sales: np.ndarray  # activity x quarter-end push (the last ~10 days of a quarter sell 60% more)

    @property
    def end_ts(self) -> int:
        """Exclusive end of the window (midnight after the last day)."""
        return int(self.day_ts[-1]) + DAY

    @property
    def start_ts(self) -> int:
        return int(self.day_ts[0])


def build_calendar(last_day: date, days: int) -> Calendar:
    start = last_day - timedelta(days=days - 1)
    dates = [start + timedelta(days=i) for i in range(days)]
    day_ts = np.array([int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) for d in dates],
                      dtype=np.int64)
    weekday = np.array([d.weekday() for d in dates], dtype=np.int8)
    month = np.array([d.month for d in dates], dtype=np.int8)
    dom = np.array([d.day for d in dates], dtype=np.int8)
    activity = WEEKDAY[weekday] * MONTH[month - 1]
    activity = np.where((month == 12) & (dom >= 22), activity * 0.55, activity)  # holidays
    quarter_end = np.isin(month, (3, 6, 9, 12)) & (dom >= 20)
    sales = activity * np.where(quarter_end, 1.6, 1.0)
    return Calendar(start, days, day_ts, weekday, month, dom, activity, weekday < 5, sales)


def time_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds after midnight UTC, following US business hours."""
    hours = rng.choice(24, size, p=HOURS)
    return hours.astype(np.int64) * 3600 + rng.integers(0, 3600, size)
