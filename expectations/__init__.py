"""Great Expectations suites as code (GX Core 1.x ``ExpectationSuite([...])``), one module per table
they guard. Importing this package does NOT import GX (it takes seconds): each suite's ``suite()``
imports it when called.

- ``raw_<source>__<table>``: one per raw contract table (built from the declaration by ``raw_suites()``);
  validate each NEW landed delivery.
- ``marts_dim_customers``, ``marts_fct_next_best_actions``, ``ml_fct_propensity_scores``: validate
  aggregates computed in SQL on the warehouse.
- ``activation_audiences``: one suite per audience model (size relative to the last passing run).

Run them with ``orchestration.quality.runner.validate``; Dagster runs them as blocking asset checks
(orchestration/quality/defs.py).
"""

from __future__ import annotations


def raw_suites() -> dict:
    """fqn (``crm.sales``) -> RawSuite: one per table of the contract declaration, nothing to write by hand."""
    from expectations._raw import RawSuite
    from orchestration.contract import tables

    return {t.fqn: RawSuite(t.fqn) for t in tables()}


def mart_suites() -> dict:
    """name -> suite for the single-table marts suites."""
    from expectations import marts_dim_customers, marts_fct_next_best_actions, ml_fct_propensity_scores

    return {s.SUITE.name: s.SUITE for s in
            (marts_dim_customers, marts_fct_next_best_actions, ml_fct_propensity_scores)}
