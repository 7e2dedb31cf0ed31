"""Data that feeds cjo from outside: the demo-data generator and the bring-your-own-data importers.

Nothing in the runtime package (`orchestration`, the Dagster code location) imports this package: it
writes raw files into the landing folder, exactly as a real source system would, and the pipeline reads
them through the raw contract. `cjo generate` and `cjo byod` load it inside the command.

- `cjo_data.generate`: synthetic, dirty, seeded demo data (`python -m cjo_data.generate`).
- `cjo_data.byod`: mappers from public example datasets onto the raw contract (`python -m cjo_data.byod`).
"""
