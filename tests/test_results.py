"""Result records: schema round-trip, validation messages, atomic writes, provenance, the Recorder."""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from advrec import results
from advrec.results import Recorder, RecordError

T_975_DF2 = 4.302652729911275  # Student t quantile 0.975 with 2 degrees of freedom (tables: 4.303)


@pytest.fixture()
def record_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "out" / "record.json"
    monkeypatch.setenv(results.RECORD_PATH_ENV, str(path))
    return path


def _finished(record_path: Path) -> results.Record:
    rec = Recorder("apr", {"profile": "smoke", "dataset": "ml-100k", "seeds": (0, 1, 2), "epsilon": 0.5})
    for seed, value in zip((0, 1, 2), (0.35, 0.36, 0.37), strict=True):
        rec.log_seed(seed, {"APR/NDCG@10": value, "BPR-MF/NDCG@10": 0.30})
    rec.set_data("ml-100k", checksum="ab" * 32, split_fingerprint="f" * 64)
    verdict = {"claim_id": "c1", "verdict": "holds", "explanation": "APR beats BPR-MF", "numbers": {"n": 3}}
    return rec.finish(claims=[verdict], status="claims-hold", output={"note": "smoke"})


def test_round_trip_and_aggregates(record_path: Path) -> None:
    written = _finished(record_path)
    assert written.path == record_path
    loaded = results.load(record_path)
    assert loaded.data == written.data
    assert loaded.per_seed == {0: {"APR/NDCG@10": 0.35, "BPR-MF/NDCG@10": 0.30},
                               1: {"APR/NDCG@10": 0.36, "BPR-MF/NDCG@10": 0.30},
                               2: {"APR/NDCG@10": 0.37, "BPR-MF/NDCG@10": 0.30}}
    agg = loaded.aggregate["APR/NDCG@10"]
    half = T_975_DF2 * 0.01 / math.sqrt(3)  # sample sd of (0.35, 0.36, 0.37) is 0.01
    assert agg["n"] == 3
    assert agg["mean"] == pytest.approx(0.36)
    assert agg["std"] == pytest.approx(0.01)
    assert (agg["lo"], agg["hi"]) == (pytest.approx(0.36 - half), pytest.approx(0.36 + half))
    assert loaded.status == "claims-hold" and loaded.ok and loaded.error is None
    assert loaded.claims[0]["verdict"] == "holds"
    prov = loaded.provenance
    assert prov["parameters"] == {"profile": "smoke", "dataset": "ml-100k", "seeds": [0, 1, 2],
                                  "epsilon": 0.5}
    assert prov["param_hash"] == results.param_hash(prov["parameters"])
    assert prov["dataset"] == {"name": "ml-100k", "checksum": "ab" * 32, "split_fingerprint": "f" * 64}
    assert prov["seeds"] == [0, 1, 2]
    assert prov["packages"]["numpy"] == np.__version__
    assert prov["wall_time_s"] >= 0 and prov["peak_memory_mb"] > 0
    assert set(prov["git"]) == {"commit", "dirty"}


def test_single_seed_has_no_interval(record_path: Path) -> None:
    rec = Recorder("apr", {"seeds": [7]})
    rec.log_seed(7, {"HR@10": 0.5})
    agg = rec.finish().aggregate["HR@10"]
    assert agg == {"mean": 0.5, "lo": None, "hi": None, "std": None, "n": 1}


def test_schema_errors_name_the_field(record_path: Path) -> None:
    data = _finished(record_path).data
    broken = json.loads(json.dumps(data))
    broken["claims"][0]["verdict"] = "probably"
    with pytest.raises(RecordError, match=r"field claims\.0\.verdict"):
        results.validate(broken)
    broken = json.loads(json.dumps(data))
    del broken["provenance"]["param_hash"]
    with pytest.raises(RecordError, match="param_hash"):
        results.write(broken, record_path)
    assert results.load(record_path).data == data  # the invalid record was never written
    record_path.write_text("{not json")
    with pytest.raises(RecordError, match=f"record {record_path}: not valid JSON"):
        results.load(record_path)


def test_atomic_write_survives_a_crash(record_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = _finished(record_path)
    before = record_path.read_bytes()
    newer = json.loads(json.dumps(old.data))
    newer["status"] = "claims-fail"

    def crash(src: str, dst: str) -> None:
        raise OSError("disk vanished")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk vanished"):
        results.write(newer, record_path)
    assert record_path.read_bytes() == before
    assert sorted(p.name for p in record_path.parent.iterdir()) == ["record.json"]


def test_param_hash_is_canonical() -> None:
    a = results.param_hash({"epsilon": 0.5, "seeds": (0, 1)})
    assert a == results.param_hash({"seeds": [0, 1], "epsilon": 0.5})
    assert a != results.param_hash({"seeds": [0, 1], "epsilon": 0.25})
    assert len(a) == 16 and int(a, 16) >= 0


def test_default_record_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(results.RECORD_PATH_ENV, raising=False)
    monkeypatch.setenv(results.RUNS_ENV, str(tmp_path / "runs"))
    params = {"profile": "smoke"}
    expected = tmp_path / "runs" / "apr" / results.param_hash(params) / "record.json"
    assert Recorder("apr", params).path == expected
    monkeypatch.setenv(results.RECORD_PATH_ENV, str(tmp_path / "given.json"))
    assert Recorder("apr", params).path == tmp_path / "given.json"


def test_recorder_rejects_bad_input(record_path: Path) -> None:
    rec = Recorder("apr", {})
    with pytest.raises(ValueError, match="'HR@10' of seed 0: expected a finite number"):
        rec.log_seed(0, {"HR@10": float("nan")})
    with pytest.raises(TypeError, match="seed must be an integer"):
        rec.log_seed(1.5, {"HR@10": 0.1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="status must be one of"):
        rec.finish(status="great")
    with pytest.raises(TypeError, match=r"parameters\.model: object"):
        Recorder("apr", {"model": object()})
    rec.log_seed(np.int64(3), {"HR@10": np.float32(0.25)})
    assert rec.per_seed == {3: {"HR@10": 0.25}}


def test_add_figure_copies_the_image(record_path: Path, tmp_path: Path) -> None:
    image = tmp_path / "plot.png"
    image.write_bytes(b"\x89PNG fake")
    rec = Recorder("apr", {})
    rec.log_seed(0, {"HR@10": 0.1})
    target = rec.add_figure("robustness", image, caption="HR under attack")
    assert target == record_path.parent / "figures" / "robustness.png"
    assert target.read_bytes() == b"\x89PNG fake"
    assert rec.finish().data["figures"] == [
        {"name": "robustness", "path": "figures/robustness.png", "caption": "HR under attack"}]
    with pytest.raises(ValueError, match="figure name"):
        rec.add_figure("../escape", image)


def test_dirty_files_names_changes_and_skips_excluded(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "empty")
    assert results.dirty_files(tmp_path) == []
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "results" / "apr").mkdir(parents=True)
    (tmp_path / "results" / "apr" / "record.json").write_text("{}")
    assert results.dirty_files(tmp_path, exclude=[tmp_path / "results"]) == ["notes.txt"]
    assert results.git_state(tmp_path)["dirty"] is True
    git("add", "results")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "-m", "record")
    (tmp_path / "results" / "apr" / "record.json").write_text('{"rerun": true}')
    # porcelain's first line is then " M results/...": its leading space is part of the format
    assert results.dirty_files(tmp_path, exclude=[tmp_path / "results"]) == ["notes.txt"]
    with pytest.raises(ValueError, match="not inside a git checkout"):
        results.dirty_files("/")
