"""The ``erasure`` asset: one erasure pass after every model of a run, before publishing; no sync holds it back."""

ERASURE_KEY_PATH = ("ops", "erasure")


def build_erasure_asset(deps):
    """Downstream of everything publishing waits for (marts, ML, quality; not the syncs, whose
    destinations can be down: docs/privacy.md), so it sees the identity graph of this run; in a run with
    syncs they run first (lower in the graph), so it sees the deletes they sent. published_warehouse waits for it.
    It writes the live file, the landed Parquet, raw files and exports, so it is in the writer pool."""
    import dagster as dg

    from orchestration import settings
    from orchestration.privacy.erasure import Folders, erase
    from orchestration.resources import DUCKDB_WRITER_POOL, WarehouseResource

    @dg.asset(
        key=dg.AssetKey(list(ERASURE_KEY_PATH)),
        deps=list(deps),
        group_name="privacy",
        kinds={"python", "duckdb", "parquet"},
        pool=DUCKDB_WRITER_POOL,
        description="Right to be forgotten: removes every forgotten person (a deletion request, or the "
        "salted-hash erasure ledger) from the live tables, the landed Parquet, the raw deliveries and the "
        "exports, then checks that nothing of them is left (orchestration/privacy, docs/privacy.md).",
    )
    def erasure(warehouse: WarehouseResource) -> dg.MaterializeResult:
        s = settings.get()
        folders = Folders(raw_dir=warehouse.raw_dir(), landing_dir=warehouse.landing_dir(),
                          state_dir=warehouse.state_dir(), export_dir=s.export_dir)
        with warehouse.connect() as con:
            report = erase(con, folders, s.erasure_notice_days)
        f = report.files
        return dg.MaterializeResult(metadata={
            "people_erased": report.people,
            "identifiers": report.identifiers,
            "requests_fulfilled": report.requests,
            "ledger_added": report.ledger_added,
            "landed_rows": f.landed_rows,
            "raw_rows": f.raw_rows,
            "raw_files_rewritten": f.raw_files,
            "reject_lines": f.reject_lines,
            "quarantined_files": f.quarantined_files,
            "export_rows": f.export_rows,
            "table_rows": sum(report.table_rows.values()),
            "audit_cells_pseudonymized": report.audit_cells,
            "pending_destination_removals": report.pending_destination_removals,
            "seconds": dg.FloatMetadataValue(report.seconds),
            "rows_deleted_by_table": dg.MetadataValue.json(report.table_rows),
            "tables": dg.MetadataValue.md("| table | rows deleted |\n|---|---|\n" + "\n".join(
                f"| {k} | {v} |" for k, v in sorted(report.table_rows.items())) if report.table_rows else "none"),
        })

    return erasure
