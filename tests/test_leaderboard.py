"""The robustness leaderboard on tiny synthetic data: every model trained, attacked and summarised."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from advrec.attacks import FGSM
from advrec.data import leave_one_out, synthetic
from advrec.leaderboard import ModelSpec, build_leaderboard, default_models
from advrec.models import MatrixFactorization
from advrec.site_records import load_leaderboard

SPLIT = leave_one_out(synthetic(30, 20, 300, seed=0), "latest")


def test_every_default_model_is_trained_attacked_and_readable_by_the_book(tmp_path: Path) -> None:
    path = tmp_path / "leaderboard" / "record.json"
    doc = build_leaderboard(SPLIT, models=default_models(scale=0.02), epsilons=[0.5], seeds=[0, 1], path=path)
    models = {"BPR-MF", "APR-MF", "GMF", "NeuMF", "LightGCN"}
    keys = {(r["model"], r["attack"], r["strength"], r["metric"]) for r in doc["rows"]}
    metrics = {"HR@10", "NDCG@10", "HR@10 drop", "NDCG@10 drop"}
    attacks, strengths = ("FGSM", "BIM"), (0.0, 0.5)
    assert keys == {(m, a, s, k) for m in models for a in attacks for s in strengths for k in metrics}
    rows = {(r["model"], r["attack"], r["strength"], r["metric"]): r for r in doc["rows"]}
    for m in models:
        # strength 0 is the clean model: no drop, and the same value under both attacks
        assert rows[(m, "FGSM", 0.0, "NDCG@10 drop")]["mean"] == 0.0
        assert rows[(m, "FGSM", 0.0, "HR@10")]["mean"] == rows[(m, "BIM", 0.0, "HR@10")]["mean"]
    for r in doc["rows"]:
        assert r["n"] == 2
        if r["ci_low"] is not None:
            assert r["ci_low"] <= r["mean"] <= r["ci_high"]
    assert doc["provenance"]["git"].keys() == {"commit", "dirty"}
    assert doc["provenance"]["dataset"]["split_fingerprint"] == SPLIT.fingerprint
    board = load_leaderboard(tmp_path)
    assert board is not None and len(board.rows) == len(doc["rows"])
    assert json.loads(path.read_text())["rows"] == doc["rows"]
    assert not list(path.parent.glob("*.tmp"))


def test_one_seed_gives_no_interval_and_fgsm_hurts_more_with_budget(tmp_path: Path) -> None:
    mf = ModelSpec("MF", lambda n_users, n_items, seed: MatrixFactorization(n_users, n_items, 8, seed=seed),
                   ({"engine": "fast", "epochs": 30, "lr": 0.05, "reg": 0.01},))
    doc = build_leaderboard(SPLIT, models=[mf], attacks={"FGSM": FGSM}, epsilons=[0.1, 100.0], seeds=[3],
                            path=tmp_path / "r.json")
    rows = {(r["strength"], r["metric"]): r for r in doc["rows"]}
    assert rows[(0.0, "NDCG@10")]["ci_low"] is None and rows[(0.0, "NDCG@10")]["n"] == 1
    # an L2 budget of 100 per row swamps embeddings of norm ~1: the ranking is wrecked
    assert rows[(100.0, "NDCG@10")]["mean"] < rows[(0.0, "NDCG@10")]["mean"]
    assert doc["epsilons"] == [0.0, 0.1, 100.0]


def test_bad_input_is_rejected(tmp_path: Path) -> None:
    spec = default_models(scale=0.02)[0]
    with pytest.raises(ValueError, match="unique"):
        build_leaderboard(SPLIT, models=[spec, spec], path=tmp_path / "r.json")
    with pytest.raises(ValueError, match="seeds"):
        build_leaderboard(SPLIT, models=[spec], seeds=[], path=tmp_path / "r.json")
    with pytest.raises(ValueError, match="stages"):
        ModelSpec("x", spec.build, ())
    bad = ModelSpec("pop", functools.partial(lambda n_users, n_items, seed: object()), ({"epochs": 1},))
    with pytest.raises(TypeError, match="EmbeddingRecommender"):
        build_leaderboard(SPLIT, models=[bad], path=tmp_path / "r.json")
    with pytest.raises(ValueError, match="scale"):
        default_models(scale=0)
