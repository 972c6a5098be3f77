"""Errors of the data layer, each subclassing the builtin a caller would naturally catch."""

from __future__ import annotations


class DataError(Exception):
    """Base class of every error raised by `advrec.data`."""


class UnknownDatasetError(DataError, KeyError):
    """A dataset or split name that is neither registered nor an existing file."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown dataset"


class DatasetMissingError(DataError, FileNotFoundError):
    """A registered file is absent locally and could not be downloaded (offline, no URL, or failure)."""


class ChecksumError(DataError, ValueError):
    """A file's content does not match the checksum the registry records for it."""


class UnsafeArchiveError(DataError, ValueError):
    """An archive member would be written outside the extraction folder (or is a link/device)."""


class FormatError(DataError, ValueError):
    """A data file could not be parsed into interactions (bad separator, columns or values)."""
