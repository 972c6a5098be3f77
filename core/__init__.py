"""advrec: the executable companion to the survey on adversarial recommender systems.

Importing the package is cheap (no torch): `catalog()` is ready at once; `run`, `load_dataset` and
the rest are resolved lazily on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Imported eagerly (it is light) so that `advrec.catalog` is the function, not the submodule.
from advrec.catalog import Catalog, CatalogError, Work, catalog

__version__ = "0.1.0"

_LAZY = {
    "load_dataset": ("advrec.data", "load_dataset"),
    "run": ("advrec.runner", "run"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(import_module(module), attr)
    raise AttributeError(f"module 'advrec' has no attribute {name!r}")


__all__ = ["Catalog", "CatalogError", "Work", "__version__", "catalog", *sorted(_LAZY)]
