"""Data-quality gates: GX suites (in ``expectations/``) run as blocking Dagster asset checks, with every
result also written to ``ops.quality_results``."""
