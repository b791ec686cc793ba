"""Where state lives: the data folder (directory snapshot, settings); databases come later."""

from veertien.storage.datadir import DataDir, default_data_dir

__all__ = ["DataDir", "default_data_dir"]
