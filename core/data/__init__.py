"""advrec.data: dataset registry, loaders, filters, splits, samplers and a synthetic generator.

Names are resolved lazily, so importing `advrec.data` (or its CLI module) stays cheap until a function
is used. Entry points: `load_dataset`, `load_split`, `synthetic`, `kcore`, `leave_one_out`,
`ratio_split`, `UniformSampler`, `PopularitySampler`, `sample_candidates`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Interactions": "interactions",
    "Split": "interactions",
    "load_dataset": "loading",
    "load_split": "loading",
    "fetch": "loading",
    "status": "loading",
    "data_root": "loading",
    "cache_root": "loading",
    "dataset_checksum": "loading",
    "UnverifiedDownloadWarning": "loading",
    "read_table": "tabular",
    "synthetic": "synthetic",
    "kcore": "filters",
    "filter_values": "filters",
    "leave_one_out": "splits",
    "ratio_split": "splits",
    "UniformSampler": "samplers",
    "PopularitySampler": "samplers",
    "Candidates": "samplers",
    "sample_candidates": "samplers",
    "REGISTRY": "registry",
    "DatasetSpec": "registry",
    "get_spec": "registry",
    "list_specs": "registry",
    "download": "download",
    "extract_archive": "download",
    "file_sha256": "download",
    "DataError": "errors",
    "DatasetMissingError": "errors",
    "ChecksumError": "errors",
    "UnknownDatasetError": "errors",
    "UnsafeArchiveError": "errors",
    "FormatError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
