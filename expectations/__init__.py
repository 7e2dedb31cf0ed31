"""Great Expectations suites as code (GX Core 1.x ``ExpectationSuite([...])``), one module per table
they guard. Importing this package does NOT import GX (it takes seconds): each suite's ``suite()``
imports it when called.

- ``raw_<source>__<table>``: one per raw contract table (``raw_suites(tables, plausibility)`` builds them
  from the declaration);
  validate each NEW landed delivery.
- ``marts_dim_customers``, ``marts_fct_next_best_actions``, ``ml_fct_propensity_scores``: validate
  aggregates computed in SQL on the warehouse.
- ``activation_audiences``: one suite per audience model (size relative to the last passing run).

Run them with ``orchestration.quality.runner.validate``; Dagster runs them as blocking asset checks
(orchestration/quality/defs.py).
"""

from __future__ import annotations

from collections.abc import Iterable


def raw_suites(tables: Iterable, plausibility) -> dict:
    """fqn (``crm.sales``) -> RawSuite: one per table of the contract declaration, nothing to write by
    hand. The runtime passes ``orchestration.contract.tables()`` and ``plausibility()`` in (this package
    never imports orchestration)."""
    from expectations._raw import RawSuite

    return {t.fqn: RawSuite(t, plausibility) for t in tables}


def mart_suites() -> dict:
    """name -> suite for the single-table marts suites."""
    from expectations import marts_dim_customers, marts_fct_next_best_actions, ml_fct_propensity_scores

    return {s.SUITE.name: s.SUITE for s in
            (marts_dim_customers, marts_fct_next_best_actions, ml_fct_propensity_scores)}
