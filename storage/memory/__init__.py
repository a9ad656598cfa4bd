"""The in-memory backend: the storage contract without a database. Importing this package imports
nothing; see storage/__init__.py for the map."""
