"""The actionable dashboard (`cjo dashboard`, Dash) and the shareable report (`cjo report`).

- ``queries``: every read of the published copy, as pure functions (connection, filters) -> DataFrame;
- ``insights``: the one suggestion per page, computed from those frames;
- ``views``: each page as data (title, suggestion, Plotly figures with a "how to read" line, tables);
- ``app``: the Dash app (layout and callbacks only);
- ``report``: the same views as one self-contained HTML page; ``assets``: its Dagster asset.

Everything reads the PUBLISHED copy (orchestration.publish.reader_connection), never the live file.
"""
