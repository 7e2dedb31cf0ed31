"""The daily full run."""

from __future__ import annotations

import dagster as dg

from orchestration.jobs import FULL_PIPELINE

# 05:00 UTC: after the nightly CRM/marketing exports, before the working day in Europe and the US.
DAILY_CRON = "0 5 * * *"

daily_full_pipeline = dg.ScheduleDefinition(
    name="daily_full_pipeline",
    job_name=FULL_PIPELINE,
    cron_schedule=DAILY_CRON,
    execution_timezone="UTC",
    # Off until someone turns it on (UI or `dagster schedule start`): a dev checkout must not start
    # writing the warehouse on its own.
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="The whole pipeline once a day (landing, dbt, ML, quality, activation, publish).",
)

SCHEDULES = (daily_full_pipeline,)
