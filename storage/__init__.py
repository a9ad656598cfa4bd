"""Where starcert keeps its cases: SQLModel tables on SQLite or PostgreSQL, or a real memory store.

Modules: `memory` (MemoryStore/MemoryUnitOfWork), `sql` (SqlUnitOfWork), `database` (make_engine),
`migrate` (Alembic upgrade/current), `tables` (the schema), `formats` (stored value formats).
Nothing here connects or reads files at import time.
"""
