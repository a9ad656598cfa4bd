"""Where starcert keeps its cases, and the only door to the database: nothing above storage/
imports SQLAlchemy, SQLModel or a driver, and every database failure leaves storage as one of
starcert's own errors (workflows.errors: StorageError and below).

Front door (backend-neutral): `database` (the `Database` handle starcert holds: open_database,
case_holding, URL facts, SQLite backup, migrations), `heartbeats` (what daemons last said),
`checks` and `stored_records` (what both backends check before they write), `formats` (stored
value formats), `certificate_trail` (what a case's events say of its certificate).

`sql/` (SQLite or PostgreSQL): `sql_unit_of_work` (SqlUnitOfWork) over `sql_transaction`, the
repositories `sql_cases`, `sql_deadlines`, `sql_accounts`, `sql_outbox`, `sql_rule_versions`,
the reads `sql_reads`, `sql_database_reads`, `sql_public_lookups`, `sql_heartbeats`,
`sql_checkpoints` (signed checkpoints and their public keys), the handle `sql_database`,
`sql_errors` (driver errors translated), `engines`, `kept_connection`, `tables`,
`statements`, `mapping`, `schema` (the revision check), `migrate` (Alembic; the scripts are in
storage/migrations), `sqlite_backup`.

`memory/` (a real in-memory store, for tests and trials): `memory_store` (MemoryStore,
MemoryUnitOfWork) over `memory_tables`, the repositories `memory_cases`, `memory_deadlines`,
`memory_accounts`, `memory_outbox`, `memory_rule_versions`, `memory_reads`, `memory_checkpoints`,
`memory_database`.

The ports both backends serve are in workflows.ports and workflows.read_ports. Nothing here
connects or reads files at import time.
"""
