"""The activation quality gate: nothing reaches a destination while a blocking check upstream failed.

Dagster's ``blocking=True`` stops only the assets that depend DIRECTLY on the checked asset, and only in
the same run. A sync reads an audience, which dbt builds in the same step as dim_customers: a failed
check on dim_customers does not stop the sync by itself (the non-dbt downstream gap). So:

- ``activation_quality_gate`` is an asset that depends on every table activation reads. Dagster makes
  it wait for, and skip after, a failed blocking check on any of them in the same run.
- When it runs, it ALSO reads the latest completed evaluation of every blocking check on those tables
  from the instance and fails if one failed or never ran: a sync launched in a later run, without the
  checks, is stopped too.
- Sync assets depend on ``GATE_KEY`` (and may call ``assert_gate_open`` themselves).
"""


from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dagster as dg

GATE_KEY = dg.AssetKey(["activation_quality_gate"])


@dataclass(frozen=True)
class CheckStatus:
    check: str  # asset/check name
    state: str  # passed | failed | never_ran


def check_statuses(instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey]) -> list[CheckStatus]:
    from dagster._core.storage.asset_check_execution_record import COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES

    out = []
    for key in check_keys:
        hist = instance.event_log_storage.get_asset_check_execution_history(
            key, limit=1, status=set(COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES))
        name = f"{key.asset_key.to_user_string()}:{key.name}"
        if not hist:
            out.append(CheckStatus(name, "never_ran"))
            continue
        rec = hist[0]
        evaluation = rec.event.asset_check_evaluation if rec.event else None
        passed = rec.status.value == "SUCCEEDED" and (evaluation is None or evaluation.passed)
        out.append(CheckStatus(name, "passed" if passed else "failed"))
    return out


def assert_gate_open(instance: dg.DagsterInstance, check_keys: Sequence[dg.AssetCheckKey],
                     *, allow_never_ran: bool = False) -> list[CheckStatus]:
    """Raise ``dg.Failure`` when one of ``check_keys`` last failed (or never ran). Sync assets may call
    it themselves with ``guarded_check_keys()`` of the quality area."""
    statuses = check_statuses(instance, check_keys)
    bad = [s for s in statuses if s.state == "failed" or (s.state == "never_ran" and not allow_never_ran)]
    if bad:
        raise dg.Failure(
            description="Activation blocked by data-quality checks: "
                        + ", ".join(f"{s.check} {s.state}" for s in bad),
            metadata={"blocked_by": [f"{s.check} ({s.state})" for s in bad]},
        )
    return statuses


def build_gate(upstream: Sequence[dg.AssetKey], check_keys: Sequence[dg.AssetCheckKey], *,
               allow_never_ran: bool = False) -> dg.AssetsDefinition:
    """The gate asset over ``upstream`` (the tables activation reads) and the blocking ``check_keys`` on
    them (passed explicitly: a run that selects only the gate and a sync still knows what to verify)."""
    upstream = list(upstream)
    check_keys = sorted(check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name))

    @dg.asset(key=GATE_KEY, deps=upstream, group_name="quality", kinds={"python"},
              description="Open only when every blocking quality check on the tables activation reads "
                          "passed. Sync assets depend on it.")
    def activation_quality_gate(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        statuses = assert_gate_open(context.instance, check_keys, allow_never_ran=allow_never_ran)
        return dg.MaterializeResult(metadata={
            "checks_passed": len([s for s in statuses if s.state == "passed"]),
            "checks": [f"{s.check}: {s.state}" for s in statuses],
        })

    return activation_quality_gate
