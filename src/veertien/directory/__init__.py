"""Municipalities, places, area-code membership and postcodes; CSV import; the demo directory."""

from veertien.directory.csvimport import DirectoryImportError, RowError, import_directory
from veertien.directory.model import (
    ConnectionStatus,
    Directory,
    Former,
    Membership,
    Municipality,
    Organisation,
    Place,
    Postcode,
    SliverRule,
    normalise_name,
)
from veertien.directory.store import DirectoryStore, JsonDirectoryStore, demo_directory

__all__ = [
    "ConnectionStatus",
    "Directory",
    "DirectoryImportError",
    "DirectoryStore",
    "Former",
    "JsonDirectoryStore",
    "Membership",
    "Municipality",
    "Organisation",
    "Place",
    "Postcode",
    "RowError",
    "SliverRule",
    "demo_directory",
    "import_directory",
    "normalise_name",
]
