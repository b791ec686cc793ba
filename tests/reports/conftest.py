"""Reports run on SQLite and PostgreSQL alike: the storage tests' fixture."""

from tests.storage.conftest import storage

__all__ = ["storage"]
