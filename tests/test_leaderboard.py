"""The robustness leaderboard on tiny synthetic data: every model trained, attacked and summarised."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from advrec.attacks import FGSM, RandomAttack
from advrec.data import leave_one_out, synthetic
from advrec.evaluation import rank
from advrec.leaderboard import ModelSpec, build_leaderboard, default_models, draw_targets
from advrec.metrics import target_hit_ratio
from advrec.models import MatrixFactorization
from advrec.site_records import load_leaderboard

SPLIT = leave_one_out(synthetic(30, 20, 300, seed=0), "latest")


def test_every_default_model_is_trained_attacked_and_readable_by_the_book(tmp_path: Path) -> None:
    path = tmp_path / "leaderboard" / "record.json"
    doc = build_leaderboard(SPLIT, models=default_models(scale=0.02), epsilons=[0.5], budgets=[0.1],
                            n_targets=2, seeds=[0, 1], path=path)
    models = {"BPR-MF", "APR-MF", "GMF", "NeuMF", "LightGCN"}
    keys = {(r["model"], r["attack"], r["strength"], r["metric"]) for r in doc["rows"]}
    metrics = {"HR@10", "NDCG@10", "HR@10 drop", "NDCG@10 drop"}
    attacks, strengths = ("FGSM", "BIM"), (0.0, 0.5)
    perturbed = {(m, a, s, k) for m in models for a in attacks for s in strengths for k in metrics}
    poisoned = {(m, a, s, "target HR@10") for m in models for a in ("Random poisoning", "Bandwagon poisoning")
                for s in (0.0, 0.1)}
    assert keys == perturbed | poisoned
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


def test_poisoned_models_train_on_the_fakes_and_are_measured_on_real_users(tmp_path: Path) -> None:
    built: list[tuple[int, int]] = []

    def build(n_users: int, n_items: int, seed: int) -> MatrixFactorization:
        built.append((n_users, n_items))
        return MatrixFactorization(n_users, n_items, 8, seed=seed)

    mf = ModelSpec("MF", build, ({"engine": "fast", "epochs": 20, "lr": 0.05, "reg": 0.01},))
    split = leave_one_out(synthetic(60, 150, 1500, seed=1), "latest")
    doc = build_leaderboard(split, models=[mf], attacks={"FGSM": FGSM}, epsilons=[0.1],
                            poisoning={"Random poisoning": RandomAttack}, budgets=[0.5], n_targets=2,
                            seeds=[0], path=tmp_path / "r.json")
    # the clean model on 60 users, then one retraining with 30 fake users (half of 60) appended
    assert built == [(60, 150), (90, 150)]
    train = split.train.to_csr()
    targets = draw_targets(train, 2, 0)
    clean = mf.train(60, 150, train, 0)
    expected = float(np.nanmean(target_hit_ratio(rank(clean, train, np.arange(60), 10), targets, train)))
    rows = {(r["attack"], r["strength"]): r for r in doc["rows"] if r["metric"] == "target HR@10"}
    assert rows[("Random poisoning", 0.0)]["mean"] == pytest.approx(expected)
    assert 0.0 <= rows[("Random poisoning", 0.5)]["mean"] <= 1.0
    assert doc["poisoning_budgets"] == [0.5] and doc["n_targets"] == 2
    assert "strength = share" in doc["protocol"]
    none = build_leaderboard(split, models=[mf], attacks={"FGSM": FGSM}, epsilons=[0.1], poisoning={},
                             seeds=[0], path=tmp_path / "none.json")
    assert not [r for r in none["rows"] if r["metric"].startswith("target")]


def testdraw_targets_are_distinct_trained_items_fixed_by_the_seed() -> None:
    train = SPLIT.train.to_csr()
    first = draw_targets(train, 5, 7)
    assert first == draw_targets(train, 5, 7) and len(set(first)) == 5
    assert all(train[:, i].nnz > 0 for i in first)


def test_poisoning_budgets_and_targets_are_checked(tmp_path: Path) -> None:
    spec = default_models(scale=0.02)[0]
    with pytest.raises(ValueError, match="budgets"):
        build_leaderboard(SPLIT, models=[spec], budgets=[1.5], path=tmp_path / "r.json")
    with pytest.raises(ValueError, match="n_targets"):
        build_leaderboard(SPLIT, models=[spec], n_targets=0, path=tmp_path / "r.json")
    with pytest.raises(ValueError, match="n_targets=500"):
        build_leaderboard(SPLIT, models=[spec], n_targets=500, path=tmp_path / "r.json")


def test_cli_writes_the_record_where_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advrec import cli, leaderboard

    monkeypatch.setattr("advrec.data.load_split", lambda name: SPLIT)
    monkeypatch.setattr(leaderboard, "default_models", lambda scale: [default_models(scale=0.02)[0]])
    out = tmp_path / "board.json"
    code = cli.main(["leaderboard", "--seeds", "0", "--epsilons", "0.5", "--budgets", "0.1",
                     "--out", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["seeds"] == [0] and doc["epsilons"] == [0.0, 0.5] and doc["poisoning_budgets"] == [0.1]
    assert cli.main(["leaderboard", "--canonical", "--out", str(out)]) == 2
