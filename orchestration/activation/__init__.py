"""Activation: marketer audiences and diff-based reverse-ETL syncs (spec, engine, destinations)."""
