"""Where state lives: the database (SQLite by default, PostgreSQL for scale) with the routing
snapshot, audit log, users, incidents and call records; the data folder; the live snapshot."""

from veertien.storage.datadir import DataDir, default_data_dir

__all__ = ["DataDir", "default_data_dir"]
