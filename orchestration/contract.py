"""The raw data contract: every source table, its columns, their types and allowed values.

This module is the single source of truth. The landing step validates deliveries against it, the demo
generator writes to it, the GX raw suites are built from it, and `cjo contract` renders the dbt
`sources` YAML and `docs/raw-data-contract.md` from it (a test fails when those drift).

Raw files land as CSV (optionally gzipped) or Parquet under ``${CJO_RAW_DIR}/<source>/<table>/``.
Every file is one delivery; files are never edited. Values are read as text and typed in staging with a
lenient cast, so a malformed value quarantines one row instead of failing the whole load.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # logical type: varchar, integer, double, timestamp, date, boolean
    description: str
    required: bool = True  # the column must be present in every delivery (a value may still be null)
    nullable: bool = True  # a null value is allowed (if False, a null value quarantines the row)
    accepted_values: tuple[str, ...] | None = None
    pii: bool = False


@dataclass(frozen=True)
class Table:
    source: str
    name: str
    description: str
    key: str  # the column that identifies a record within the source (unique after dedup)
    columns: tuple[Column, ...]
    event_time: str | None = None  # the column freshness and late-arrival logic use
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def fqn(self) -> str:
        return f"{self.source}.{self.name}"

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.fqn} has no column {name!r}")


C = Column

# Enumerations shared by the contract, the generator, staging tests and the action catalog.
EMAIL_EVENT_TYPES = ("send", "deliver", "open", "click", "bounce", "unsubscribe")
WEB_EVENT_TYPES = ("page_view", "form_submit", "login")
WEBINAR_EVENT_TYPES = ("register", "attend")
INTERACTION_TYPES = ("meeting", "call", "email")
INTERACTION_OUTCOMES = ("positive", "neutral", "negative", "no_answer")
CONSENT_CHANNELS = ("email", "phone", "ads")
CONSENT_STATUSES = ("opt_in", "opt_out")
TRANSACTION_TYPES = ("purchase", "redemption")
OPPORTUNITY_STAGES = ("open", "won", "lost")
CAMPAIGN_CHANNELS = ("email", "webinar", "paid_social", "wholesaler")
ASSIGNMENTS = ("treatment", "control")
FIRM_TYPES = ("wirehouse", "ria", "independent_bd", "bank")
ASSET_CLASSES = ("equity", "fixed_income", "multi_asset", "alternatives")
VEHICLES = ("mutual_fund", "etf", "sma")

_TS = "timestamp"

TABLES: tuple[Table, ...] = (
    # ------------------------------------------------------------------ crm
    Table(
        "crm", "advisors",
        "CRM contacts: the financial advisors we serve. One file is a full or partial export; the same "
        "advisor_id may appear again in a later delivery with a newer updated_at (the newest wins). "
        "Two advisor_ids may be the same person (duplicate CRM records).",
        key="advisor_id", event_time="updated_at",
        columns=(
            C("advisor_id", "varchar", "CRM contact id.", nullable=False),
            C("first_name", "varchar", "Given name.", pii=True),
            C("last_name", "varchar", "Family name.", pii=True),
            C("email", "varchar", "Work email, any case, may carry whitespace.", pii=True),
            C("phone", "varchar", "Phone in any common format; normalized to E.164 (US default).", pii=True),
            C("firm_id", "varchar", "The advisor's firm (crm.firms)."),
            C("title", "varchar", "Job title."),
            C("years_experience", "integer", "Years in the industry."),
            C("created_at", _TS, "When the CRM record was created (ISO 8601, any offset).", nullable=False),
            C("updated_at", _TS, "When the CRM record was last changed (ISO 8601, any offset)."),
        ),
    ),
    Table(
        "crm", "firms",
        "Broker-dealers, RIAs and banks the advisors work for, each in one sales territory.",
        key="firm_id", event_time="created_at",
        columns=(
            C("firm_id", "varchar", "Firm id.", nullable=False),
            C("firm_name", "varchar", "Firm name."),
            C("firm_type", "varchar", "Distribution channel of the firm.", accepted_values=FIRM_TYPES),
            C("state", "varchar", "Two-letter US state of the head office."),
            C("territory_id", "varchar", "Sales territory the firm belongs to (crm.wholesalers)."),
            C("created_at", _TS, "When the firm record was created."),
        ),
    ),
    Table(
        "crm", "wholesalers",
        "The internal sales force: each wholesaler covers one territory.",
        key="wholesaler_id", event_time="hired_at",
        columns=(
            C("wholesaler_id", "varchar", "Wholesaler id.", nullable=False),
            C("full_name", "varchar", "Wholesaler name."),
            C("email", "varchar", "Wholesaler work email."),
            C("territory_id", "varchar", "Territory covered.", nullable=False),
            C("territory_name", "varchar", "Territory name."),
            C("region", "varchar", "Region the territory belongs to."),
            C("hired_at", _TS, "Hire date."),
        ),
    ),
    Table(
        "crm", "products",
        "Funds and strategies the asset manager sells.",
        key="product_id", event_time="launched_at",
        columns=(
            C("product_id", "varchar", "Product id.", nullable=False),
            C("product_name", "varchar", "Product name."),
            C("asset_class", "varchar", "Asset class.", accepted_values=ASSET_CLASSES),
            C("vehicle", "varchar", "Wrapper.", accepted_values=VEHICLES),
            C("launched_at", _TS, "Launch date."),
        ),
    ),
    Table(
        "crm", "opportunities",
        "Sales opportunities a wholesaler works with an advisor.",
        key="opportunity_id", event_time="created_at",
        columns=(
            C("opportunity_id", "varchar", "Opportunity id.", nullable=False),
            C("advisor_id", "varchar", "Advisor (crm.advisors).", nullable=False),
            C("wholesaler_id", "varchar", "Owning wholesaler."),
            C("product_id", "varchar", "Product pitched."),
            C("stage", "varchar", "Pipeline stage.", accepted_values=OPPORTUNITY_STAGES),
            C("amount", "double", "Expected amount in USD; must not be negative."),
            C("created_at", _TS, "Opened at.", nullable=False),
            C("closed_at", _TS, "Closed at (null while open)."),
        ),
    ),
    Table(
        "crm", "sales",
        "Trades and flows: purchases and redemptions an advisor placed in a product for clients.",
        key="sale_id", event_time="traded_at",
        columns=(
            C("sale_id", "varchar", "Trade id.", nullable=False),
            C("advisor_id", "varchar", "Advisor (crm.advisors).", nullable=False),
            C("product_id", "varchar", "Product (crm.products)."),
            C("transaction_type", "varchar", "Purchase or redemption.", nullable=False,
              accepted_values=TRANSACTION_TYPES),
            C("amount", "double", "Absolute amount in USD; must not be negative.", nullable=False),
            C("traded_at", _TS, "Trade time.", nullable=False),
        ),
    ),
    # ------------------------------------------------------------ marketing
    Table(
        "marketing", "campaigns",
        "Marketing campaigns; a campaign may hold out a randomized control group (campaign_members).",
        key="campaign_id", event_time="start_at",
        columns=(
            C("campaign_id", "varchar", "Campaign id.", nullable=False),
            C("campaign_name", "varchar", "Campaign name."),
            C("channel", "varchar", "Main channel.", accepted_values=CAMPAIGN_CHANNELS),
            C("objective", "varchar", "What the campaign aims at (awareness, nurture, conversion, retention)."),
            C("start_at", _TS, "Start of the campaign."),
            C("end_at", _TS, "End of the campaign."),
        ),
    ),
    Table(
        "marketing", "campaign_members",
        "Who was assigned to a campaign, and to which group (treatment or randomized control).",
        key="member_id", event_time="assigned_at",
        columns=(
            C("member_id", "varchar", "Assignment id.", nullable=False),
            C("campaign_id", "varchar", "Campaign (marketing.campaigns).", nullable=False),
            C("advisor_id", "varchar", "CRM contact id, when the list came from the CRM."),
            C("email", "varchar", "Email of the member.", pii=True),
            C("assignment", "varchar", "treatment or control.", nullable=False, accepted_values=ASSIGNMENTS),
            C("assigned_at", _TS, "When the member was assigned.", nullable=False),
        ),
    ),
    Table(
        "marketing", "email_events",
        "Email service provider events.",
        key="event_id", event_time="occurred_at", tags=("events",),
        columns=(
            C("event_id", "varchar", "ESP event id (unique; redelivery of the same id is a duplicate).",
              nullable=False),
            C("campaign_id", "varchar", "Campaign (marketing.campaigns)."),
            C("advisor_id", "varchar", "CRM contact id, when the ESP list was synced from the CRM."),
            C("email", "varchar", "Recipient email.", pii=True),
            C("event_type", "varchar", "Event type.", nullable=False, accepted_values=EMAIL_EVENT_TYPES),
            C("occurred_at", _TS, "Event time (ISO 8601, any offset).", nullable=False),
        ),
    ),
    Table(
        "marketing", "web_events",
        "Website events from the tag: anonymous until the visitor logs in or submits a form.",
        key="event_id", event_time="occurred_at", tags=("events",),
        columns=(
            C("event_id", "varchar", "Event id.", nullable=False),
            C("anonymous_id", "varchar", "First-party cookie id.", nullable=False),
            C("email", "varchar", "Email, known on login and form submit.", pii=True),
            C("event_type", "varchar", "Event type.", nullable=False, accepted_values=WEB_EVENT_TYPES),
            C("page_url", "varchar", "Page path."),
            C("utm_source", "varchar", "Acquisition source of the visit."),
            C("utm_campaign", "varchar", "Campaign id when the visit came from a campaign."),
            C("occurred_at", _TS, "Event time.", nullable=False),
        ),
    ),
    Table(
        "marketing", "webinar_events",
        "Webinar platform registrations and attendance.",
        key="event_id", event_time="occurred_at", tags=("events",),
        columns=(
            C("event_id", "varchar", "Event id.", nullable=False),
            C("webinar_id", "varchar", "Webinar id."),
            C("campaign_id", "varchar", "Campaign that promoted the webinar."),
            C("email", "varchar", "Registrant email.", pii=True),
            C("event_type", "varchar", "Event type.", nullable=False, accepted_values=WEBINAR_EVENT_TYPES),
            C("occurred_at", _TS, "Event time.", nullable=False),
        ),
    ),
    # -------------------------------------------------------------- advisor
    Table(
        "advisor", "interactions",
        "Wholesaler interactions with advisors: meetings, calls and one-to-one emails, with an outcome.",
        key="interaction_id", event_time="occurred_at", tags=("events",),
        columns=(
            C("interaction_id", "varchar", "Interaction id.", nullable=False),
            C("advisor_id", "varchar", "Advisor (crm.advisors).", nullable=False),
            C("wholesaler_id", "varchar", "Wholesaler (crm.wholesalers).", nullable=False),
            C("interaction_type", "varchar", "Kind of interaction.", nullable=False,
              accepted_values=INTERACTION_TYPES),
            C("outcome", "varchar", "Outcome as logged by the wholesaler.", accepted_values=INTERACTION_OUTCOMES),
            C("duration_minutes", "integer", "Length of the meeting or call."),
            C("occurred_at", _TS, "When it happened.", nullable=False),
        ),
    ),
    # -------------------------------------------------------------- privacy
    Table(
        "privacy", "consent_events",
        "Opt-ins and opt-outs per channel. The latest event per person and channel wins.",
        key="consent_event_id", event_time="occurred_at",
        columns=(
            C("consent_event_id", "varchar", "Event id.", nullable=False),
            C("advisor_id", "varchar", "CRM contact id, when known."),
            C("email", "varchar", "Email of the person.", pii=True),
            C("channel", "varchar", "Channel the consent is about.", nullable=False,
              accepted_values=CONSENT_CHANNELS),
            C("status", "varchar", "opt_in or opt_out.", nullable=False, accepted_values=CONSENT_STATUSES),
            C("occurred_at", _TS, "When consent was given or withdrawn.", nullable=False),
        ),
    ),
    Table(
        "privacy", "deletion_requests",
        "Right-to-be-forgotten requests. A forgotten person never reappears in marts or activation.",
        key="request_id", event_time="requested_at",
        columns=(
            C("request_id", "varchar", "Request id.", nullable=False),
            C("advisor_id", "varchar", "CRM contact id, when known."),
            C("email", "varchar", "Email of the person.", pii=True),
            C("requested_at", _TS, "When the request was received.", nullable=False),
        ),
    ),
)

# Columns the landing step adds to every row, so each row can be traced to its file and line.
LINEAGE_COLUMNS = (
    Column("_source_file", "varchar", "Raw file the row came from, relative to the raw folder."),
    Column("_source_row", "integer", "1-based data row number within that file (header excluded)."),
    Column("_delivery_id", "varchar", "Content hash of the raw file: one delivery, landed once."),
    Column("_landed_at", "timestamp", "When the landing step wrote the row (UTC)."),
)

SOURCES = tuple(dict.fromkeys(t.source for t in TABLES))


def table(fqn: str) -> Table:
    """Look a table up by ``source.table``."""
    for t in TABLES:
        if t.fqn == fqn:
            return t
    raise KeyError(f"unknown raw table {fqn!r}; known: {', '.join(t.fqn for t in TABLES)}")
