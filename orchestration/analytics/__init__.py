"""Journey analytics: CLV (BG/NBD + Gamma-Gamma), Markov attribution and the wholesaler regression.

Pure functions in ``clv``, ``markov`` and ``wholesalers``; thin Dagster assets in ``assets``; the dbt
marts that publish the results live in models/marts/analytics (docs/analytics.md).
"""
