"""Every paper notebook runs end to end in the seconds-long `smoke` profile and writes a valid record."""

from __future__ import annotations

from pathlib import Path

import pytest

from advrec.catalog import catalog
from advrec.runner import run

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.stem for p in (REPO / "papers").glob("*.ipynb") if not p.stem.startswith("_"))


def test_every_notebook_belongs_to_a_catalog_entry() -> None:
    ids = set(catalog().ids)
    assert set(NOTEBOOKS) <= ids


@pytest.mark.slow
@pytest.mark.parametrize("work_id", NOTEBOOKS)
def test_notebook_runs_in_smoke_profile(work_id: str, tmp_path: Path, data_dir: Path) -> None:
    record = run(work_id, profile="smoke", force=True, runs_dir=tmp_path, timeout=600)
    assert record.ok, record.data.get("error")
    assert record.per_seed, "the notebook logged no metric"
    assert record.provenance["parameters"]["profile"] == "smoke"
    entry = catalog().get(work_id)
    assert {v["claim_id"] for v in record.claims} <= {c["id"] for c in entry.claims}


def test_catalog_status_agrees_with_every_canonical_record() -> None:
    from advrec.results import load

    cat = catalog()
    records = [p for p in sorted((REPO / "results").glob("*/record.json")) if p.parent.name in cat]
    for path in records:
        record = load(path)
        assert record.ok, f"{path}: the canonical run failed"
        assert cat.get(path.parent.name).status == record.status, path
        assert record.provenance["git"]["dirty"] is False, f"{path}: made from a dirty tree"
