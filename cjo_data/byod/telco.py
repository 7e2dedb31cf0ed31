"""IBM Telco Customer Churn -> the raw data contract, as a B2C subscription business.

One source row is one customer at a snapshot (the *reference date*). The mapping:

- ``crm.advisors``: one contact per customer. ``advisor_id`` = customerID; name, email
  (``<id>@example.invalid``) and phone (fictional 555-01xx range) are synthetic but derived from the id,
  so a re-run gives the same file. ``firm_id`` = the contract type segment, ``title`` = the plan,
  ``years_experience`` = whole years of tenure (so the persona split newcomer/seasoned means
  "customer for less than N years").
- ``crm.firms``: one row per contract type (Month-to-month, One year, Two year): the segment.
- ``crm.wholesalers``: one "direct sales" row covering the single territory the segments sit in.
- ``crm.products``: the services (phone, internet DSL/fiber, add-ons). The fund enums (asset_class,
  vehicle) do not apply to a telco and are left empty (allowed: they are nullable).
- ``crm.sales``: one ``purchase`` per month of tenure, amount = MonthlyCharges, product = the plan
  (fiber, DSL or phone only), on a billing day derived from the id.
- ``privacy.consent_events``: an email ``opt_out`` for a deterministic share of churned customers.
- ``crm.customer_attributes``: the customer's attributes, known from the start (valid_from empty):
  demographics (gender, senior_citizen, partner, dependents), the contract, billing and payment, every
  service column, and monthly_charges (numeric). Not tenure (the history itself says it: the first
  bill starts it) and not TotalCharges (tenure x charges: the future seen from an earlier snapshot).
  The values are those of the reference date: a customer who changed contract is seen with the last
  one at every snapshot (the file has no history), a mild look-ahead the docs mention.

Customer ids are the source's and authoritative: the synthetic phones may collide (they are drawn
from a small fictional range), so the example runs with ``crm_ids_authoritative`` (identity never
merges two customerIDs); 7,043 rows in are 7,043 customers out.

Dates. Active customers' tenure ends at the reference date: created_at = reference date - tenure
months. Churned customers stop purchasing ``churn_gap_months`` plus 0 to ``churn_spread_months`` - 1
months (derived from the id) before the reference date; their tenure window is moved back by that
gap, so the churn is visible in the warehouse as a lapse. The spread matters for an honest test: a
model is tested on later snapshots than it trained on, and every snapshot needs customers who leave in
its label window (with one common churn date, the latest snapshots would hold no churner at all).
With ``churn_gap_months=0, churn_spread_months=1`` every customer's created_at is exactly reference
date - tenure months.

Known quirk: TotalCharges is blank (" ") for the 11 customers with tenure 0. TotalCharges is not used
for amounts (MonthlyCharges per month is), so those customers become contacts created on the
reference date with no purchases. A blank TotalCharges with tenure > 0 is reported as an error,
because it would mean the file is not the one this mapper was written for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cjo_data.byod.common import (
    MappingResult,
    SourceFileError,
    add_months,
    bad_value,
    iso,
    parse_float,
    parse_int,
    read_rows,
    stable_int,
    write_table,
)

FILE_NAME = "telco.csv"
# The snapshot date the dataset's tenure is counted to. Fixed, so the output never depends on "today".
DEFAULT_REFERENCE_DATE = datetime(2026, 1, 1, tzinfo=UTC)
# Churned customers' last bill is this many months before the reference date. Above the journey's
# lapse window (journey_lapse_days = 120), so churned customers show up as lapsed; 0 = no shift.
DEFAULT_CHURN_GAP_MONTHS = 0
# Churn dates are spread over this many months before the gap (see Dates above).
DEFAULT_CHURN_SPREAD_MONTHS = 12
# Source columns mapped to crm.customer_attributes: (source column, attribute name, type).
ATTRIBUTES: tuple[tuple[str, str, str], ...] = (
    ("gender", "gender", "categorical"), ("SeniorCitizen", "senior_citizen", "categorical"),
    ("Partner", "partner", "categorical"), ("Dependents", "dependents", "categorical"),
    ("Contract", "contract", "categorical"), ("PaperlessBilling", "paperless_billing", "categorical"),
    ("PaymentMethod", "payment_method", "categorical"), ("PhoneService", "phone_service", "categorical"),
    ("MultipleLines", "multiple_lines", "categorical"), ("InternetService", "internet_service", "categorical"),
    ("OnlineSecurity", "online_security", "categorical"), ("OnlineBackup", "online_backup", "categorical"),
    ("DeviceProtection", "device_protection", "categorical"), ("TechSupport", "tech_support", "categorical"),
    ("StreamingTV", "streaming_tv", "categorical"), ("StreamingMovies", "streaming_movies", "categorical"),
    ("MonthlyCharges", "monthly_charges", "numeric"),
)
# Share (in percent) of churned customers who also withdraw email consent on leaving.
DEFAULT_OPT_OUT_PERCENT = 10
MAX_TENURE_MONTHS = 72  # the dataset's longest tenure; products launch before the first bill

REQUIRED = ("customerID", "gender", "SeniorCitizen", "tenure", "PhoneService", "InternetService", "Contract",
            "MonthlyCharges", "TotalCharges", "Churn")

TERRITORY_ID = "telco-direct"
WHOLESALER_ID = "telco-direct-sales"

# product_id -> (name, source column, value meaning "subscribed")
PRODUCTS: dict[str, tuple[str, str, str]] = {
    "telco-phone": ("Phone service", "PhoneService", "Yes"),
    "telco-multiple-lines": ("Multiple lines", "MultipleLines", "Yes"),
    "telco-internet-dsl": ("Internet: DSL", "InternetService", "DSL"),
    "telco-internet-fiber": ("Internet: fiber optic", "InternetService", "Fiber optic"),
    "telco-online-security": ("Online security", "OnlineSecurity", "Yes"),
    "telco-online-backup": ("Online backup", "OnlineBackup", "Yes"),
    "telco-device-protection": ("Device protection", "DeviceProtection", "Yes"),
    "telco-tech-support": ("Tech support", "TechSupport", "Yes"),
    "telco-streaming-tv": ("Streaming TV", "StreamingTV", "Yes"),
    "telco-streaming-movies": ("Streaming movies", "StreamingMovies", "Yes"),
}
# The monthly bill is booked against the customer's plan.
PLAN_BY_INTERNET = {"DSL": "telco-internet-dsl", "Fiber optic": "telco-internet-fiber", "No": "telco-phone"}
PLAN_TITLE = {"telco-internet-dsl": "DSL subscriber", "telco-internet-fiber": "Fiber optic subscriber",
              "telco-phone": "Phone-only subscriber"}

FIRST_NAMES = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Robin",
               "Drew", "Harper", "Reese", "Rowan", "Skyler", "Emerson", "Finley", "Hayden", "Parker")
LAST_NAMES = ("Smith", "Garcia", "Chen", "Okafor", "Novak", "Silva", "Kim", "Patel", "Moreau", "Rossi", "Larsen",
              "Nguyen", "Cohen", "Murphy", "Haddad", "Schmidt", "Ivanova", "Tanaka", "Mensah", "Walsh")


@dataclass(frozen=True)
class Customer:
    line: int
    customer_id: str
    tenure: int
    monthly: float
    total: float | None  # None only for the tenure-0 quirk
    churned: bool
    contract: str
    plan: str
    attributes: tuple[tuple[str, str, str], ...] = ()  # (name, type, value) for crm.customer_attributes


def segment_id(contract: str) -> str:
    """'Month-to-month' -> 'telco-contract-month-to-month'; any other contract type gets its own slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", contract.strip().lower()).strip("-") or "unknown"
    return f"telco-contract-{slug}"


def parse_customer(path: Path, line: int, row: dict[str, str]) -> Customer:
    cid = row["customerID"].strip()
    if not cid:
        raise bad_value(path, line, "customerID", row["customerID"], "is empty")
    tenure = parse_int(path, line, row, "tenure")
    monthly = parse_float(path, line, row, "MonthlyCharges")
    if monthly < 0:
        raise bad_value(path, line, "MonthlyCharges", row["MonthlyCharges"], "must not be negative")
    total: float | None
    if row["TotalCharges"].strip() == "":
        if tenure != 0:
            raise bad_value(path, line, "TotalCharges", row["TotalCharges"],
                            f"is blank for tenure {tenure} (only expected for tenure 0)")
        total = None
    else:
        total = parse_float(path, line, row, "TotalCharges")
    churn = row["Churn"].strip()
    if churn not in ("Yes", "No"):
        raise bad_value(path, line, "Churn", row["Churn"], "is not Yes/No")
    internet = row["InternetService"].strip()
    if internet not in PLAN_BY_INTERNET:
        raise bad_value(path, line, "InternetService", row["InternetService"],
                        f"is not one of {', '.join(PLAN_BY_INTERNET)}")
    attributes = tuple((name, kind, row[col].strip()) for col, name, kind in ATTRIBUTES
                       if col in row and row[col].strip() != "")
    return Customer(line, cid, tenure, monthly, total, churn == "Yes", row["Contract"].strip(),
                    PLAN_BY_INTERNET[internet], attributes)


def read_customers(path: Path, *, limit: int | None = None) -> list[Customer]:
    customers: list[Customer] = []
    seen: dict[str, int] = {}
    for line, row in read_rows(path, REQUIRED, limit=limit):
        c = parse_customer(path, line, row)
        if c.customer_id in seen:
            raise SourceFileError(
                f"{path}:{line}: customerID {c.customer_id!r} already appeared on line {seen[c.customer_id]}")
        seen[c.customer_id] = line
        customers.append(c)
    return customers


@dataclass(frozen=True)
class Timeline:
    created_at: datetime
    end_at: datetime  # reference date (active) or the churn date (churned)
    bills: tuple[datetime, ...]


def churn_months_before(c: Customer, churn_gap_months: int, churn_spread_months: int) -> int:
    """How many months before the reference date a churned customer's tenure window ends."""
    return churn_gap_months + stable_int("telco-churn-month", c.customer_id) % max(1, churn_spread_months)


def timeline(c: Customer, reference_date: datetime, churn_gap_months: int,
             churn_spread_months: int = 1) -> Timeline:
    """The customer's dates: created at the start of the tenure window, one bill per month in it on a
    billing day and time derived from the id (days 1-28, so every month has it)."""
    end = (add_months(reference_date, -churn_months_before(c, churn_gap_months, churn_spread_months))
           if c.churned else reference_date)
    created = add_months(end, -c.tenure)
    h = stable_int("telco-bill", c.customer_id)
    offset = timedelta(days=h % 28, hours=8 + (h >> 8) % 12, minutes=(h >> 16) % 60)
    bills = tuple(add_months(created, k) + offset for k in range(c.tenure))
    return Timeline(created, end, bills)


def _advisor(c: Customer, tl: Timeline) -> dict[str, object]:
    h = stable_int("telco-person", c.customer_id)
    area = 201 + h % 699  # a valid-looking US area code; 555-01xx is the range reserved for fiction
    return {
        "advisor_id": c.customer_id,
        "first_name": FIRST_NAMES[h % len(FIRST_NAMES)],
        "last_name": LAST_NAMES[(h >> 8) % len(LAST_NAMES)],
        "email": f"{c.customer_id.lower()}@example.invalid",
        "phone": f"({area}) 555-01{(h >> 16) % 100:02d}",
        "firm_id": segment_id(c.contract),
        "title": PLAN_TITLE[c.plan],
        "years_experience": c.tenure // 12,
        "created_at": iso(tl.created_at),
        "updated_at": iso(tl.end_at),
    }


def _sales(customers: list[Customer], timelines: list[Timeline]) -> Iterator[dict[str, object]]:
    for c, tl in zip(customers, timelines, strict=True):
        for k, billed_at in enumerate(tl.bills, start=1):
            yield {"sale_id": f"{c.customer_id}-m{k:03d}", "advisor_id": c.customer_id, "product_id": c.plan,
                   "transaction_type": "purchase", "amount": f"{c.monthly:.2f}", "traded_at": iso(billed_at)}


def opts_out(c: Customer, opt_out_percent: int) -> bool:
    return c.churned and stable_int("telco-opt-out", c.customer_id) % 100 < opt_out_percent


def _consent(customers: list[Customer], timelines: list[Timeline], opt_out_percent: int,
             ) -> Iterator[dict[str, object]]:
    for c, tl in zip(customers, timelines, strict=True):
        if not opts_out(c, opt_out_percent):
            continue
        last = tl.bills[-1] if tl.bills else tl.created_at
        days = 1 + stable_int("telco-opt-out-day", c.customer_id) % 14  # within two weeks of the last bill
        yield {"consent_event_id": f"{c.customer_id}-email-opt-out", "advisor_id": c.customer_id,
               "email": f"{c.customer_id.lower()}@example.invalid", "channel": "email", "status": "opt_out",
               "occurred_at": iso(last + timedelta(days=days))}


def _attributes(customers: list[Customer]) -> Iterator[dict[str, object]]:
    for c in customers:
        for name, kind, value in c.attributes:
            yield {"attribute_record_id": f"{c.customer_id}-{name}", "advisor_id": c.customer_id,
                   "attribute": name, "attribute_type": kind, "value": value, "valid_from": None}


def map_telco(
    src: Path, out: Path, *, reference_date: datetime = DEFAULT_REFERENCE_DATE,
    churn_gap_months: int = DEFAULT_CHURN_GAP_MONTHS, churn_spread_months: int = DEFAULT_CHURN_SPREAD_MONTHS,
    opt_out_percent: int = DEFAULT_OPT_OUT_PERCENT, limit: int | None = None, file_name: str = FILE_NAME,
) -> MappingResult:
    """Map the Telco CSV at ``src`` into ``<out>/<source>/<table>/telco.csv`` files. Deterministic."""
    if churn_gap_months < 0 or churn_spread_months < 1:
        raise ValueError("churn_gap_months must be >= 0 and churn_spread_months >= 1")
    if not 0 <= opt_out_percent <= 100:
        raise ValueError("opt_out_percent must be between 0 and 100")
    if reference_date.tzinfo is None:
        reference_date = reference_date.replace(tzinfo=UTC)
    customers = read_customers(src, limit=limit)
    timelines = [timeline(c, reference_date, churn_gap_months, churn_spread_months) for c in customers]
    launched = add_months(reference_date, -(MAX_TENURE_MONTHS + churn_gap_months + churn_spread_months + 1))
    result = MappingResult()

    write_table(out, "crm.wholesalers", file_name, [{
        "wholesaler_id": WHOLESALER_ID, "full_name": "Direct sales (no wholesaler)",
        "email": "direct-sales@example.invalid", "territory_id": TERRITORY_ID,
        "territory_name": "Direct to consumer", "region": "All", "hired_at": iso(launched)}], result)
    contracts = sorted({c.contract for c in customers})
    write_table(out, "crm.firms", file_name, [
        {"firm_id": segment_id(k), "firm_name": f"{k} contract", "firm_type": None, "state": None,
         "territory_id": TERRITORY_ID, "created_at": iso(launched)} for k in contracts], result)
    write_table(out, "crm.products", file_name, [
        {"product_id": pid, "product_name": name, "asset_class": None, "vehicle": None,
         "launched_at": iso(launched)} for pid, (name, _, _) in PRODUCTS.items()], result)
    write_table(out, "crm.advisors", file_name,
                (_advisor(c, tl) for c, tl in zip(customers, timelines, strict=True)), result)
    write_table(out, "crm.sales", file_name, _sales(customers, timelines), result)
    write_table(out, "privacy.consent_events", file_name, _consent(customers, timelines, opt_out_percent), result)
    write_table(out, "crm.customer_attributes", file_name, _attributes(customers), result)
    return result
