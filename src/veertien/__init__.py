"""veertien: an open, self-hostable platform for the Dutch 14 + area code number."""

__version__ = "0.1.0"
