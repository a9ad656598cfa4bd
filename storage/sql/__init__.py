"""The SQL backend (SQLite or PostgreSQL, through SQLAlchemy and SQLModel): the only modules that
import them. Importing this package imports nothing; see storage/__init__.py for the map."""
