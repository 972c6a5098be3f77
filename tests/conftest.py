"""Shared test fixtures: where the repository, the catalog and the shared reference material are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The dataset mirror named by $ADVREC_DATA; tests that need it skip with the reason otherwise."""
    value = os.environ.get("ADVREC_DATA")
    if not value or not Path(value).is_dir():
        pytest.skip("ADVREC_DATA not set to the shared dataset mirror "
                    "(make test sets it to ../shared/datasets)")
    return Path(value)


@pytest.fixture(scope="session")
def reference_dir(data_dir: Path) -> Path:
    """The survey's reference material, beside the dataset mirror in ../shared."""
    path = data_dir.parent / "reference"
    if not (path / "survey_tables.yaml").is_file():
        pytest.skip(f"no survey transcription at {path} (expected beside $ADVREC_DATA)")
    return path
