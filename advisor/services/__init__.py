"""Services shared by every front end: answer layers and files, output files, the schema, records.

Front ends (`advisor.cli`, `advisor.ask`) are adapters over these, the engine and the renderers;
nothing here imports a front end.
"""
