"""`device="cuda"` trains, evaluates and attacks where a GPU exists; nothing else requires one."""

from __future__ import annotations

import pytest
import torch

from advrec.attacks import FGSM
from advrec.data import leave_one_out, synthetic
from advrec.evaluation import evaluate
from advrec.models import MatrixFactorization
from advrec.training import bpr_loss, fit

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


def test_fit_evaluate_and_attack_on_cuda() -> None:
    data = synthetic(n_users=60, n_items=40, n_interactions=900, seed=0)
    split = leave_one_out(data, seed=0)
    train, test = split.train.to_csr(), split.test.to_csr()
    model = MatrixFactorization(data.n_users, data.n_items, dim=8)
    history = fit(model, train, epochs=2, batch_size=128, lr=0.01, device="cuda", seed=0)
    assert history.config["device"].startswith("cuda")
    assert all(p.device.type == "cuda" for p in model.parameters())
    summary = evaluate(model, train, test, ks=(5,)).summary()
    assert 0.0 <= summary["HR@5"] <= 1.0
    users = torch.arange(8, device="cuda")
    batch = {"users": users, "pos_items": users % data.n_items, "neg_items": (users + 1) % data.n_items}
    deltas = FGSM(epsilon=0.5)(model, bpr_loss, batch)
    assert all(d.device.type == "cuda" for d in deltas.values())
