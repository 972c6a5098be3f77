"""advrec.gan.aos4rec: random history/continuation windows, the discriminator's input, free-running
generation and the two training signals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.aos4rec import AOS4Rec, random_windows
from advrec.models import GRU4Rec


def toy() -> sp.csr_matrix:
    return sp.csr_matrix(np.array([[1, 2, 3, 4, 0], [0, 1, 2, 3, 4], [4, 0, 1, 2, 3]], dtype=np.float32))


def test_random_windows_end_at_a_random_cut_and_keep_a_history() -> None:
    sequences = [np.array([5, 6, 7, 8]), np.array([1, 2]), np.array([9])]
    users, windows = random_windows(sequences, length=3, horizon=1, rng=np.random.default_rng(0))
    assert users.tolist() == [0, 1]  # user 2 has no item before a continuation
    for row, u in enumerate(users):
        items = windows[row][windows[row] > 0] - 1
        seq = sequences[u].tolist()
        start = seq.index(int(items[0]))
        assert items.tolist() == seq[start:start + len(items)]  # a contiguous piece of the sequence
        assert len(items) >= 2  # at least one history item before the continuation
    with pytest.raises(ValueError, match="horizon"):
        random_windows(sequences, length=2, horizon=2, rng=np.random.default_rng(0))


def test_judge_ignores_padding_and_reads_relaxed_rows_as_mixtures() -> None:
    model = AOS4Rec(GRU4Rec(3, 5, 4, max_len=3), dim=4, horizon=2, seed=0).eval()
    history = torch.tensor([[0, 0, 2], [0, 0, 2]])
    one_hot = torch.nn.functional.one_hot(torch.tensor([[1, 3], [1, 3]]), 5).float()
    logits = model.judge(history, one_hot)
    assert logits.shape == (2,)
    torch.testing.assert_close(logits[0], logits[1])
    # padding embeds to zeros; history token 2 (item 1) and a one-hot row of item 1 pick the same vector
    pad = torch.zeros(2, 4)
    x = torch.cat([pad, model.d_items[[2]], model.d_items[[2, 4]]]).unsqueeze(0)
    torch.testing.assert_close(logits[:1], model.critic(x).squeeze(-1))


def test_generation_is_hard_one_hot_with_gradient_into_the_generator() -> None:
    model = AOS4Rec(GRU4Rec(3, 5, 4, max_len=3), dim=4, horizon=2, seed=0)
    model.generator.prepare(toy())
    fake = model._generate(torch.tensor([0, 1]), torch.tensor([[0, 1, 2], [1, 2, 3]]),
                           torch.Generator().manual_seed(0))
    assert fake.shape == (2, 2, 5)
    torch.testing.assert_close(fake.sum(-1), torch.ones(2, 2))
    assert set(fake.detach().unique().tolist()) <= {0.0, 1.0}
    model.judge(torch.tensor([[0, 1, 2], [1, 2, 3]]), fake).sum().backward()
    assert model.generator.item.grad is not None and model.generator.item.grad.abs().sum() > 0


def test_fit_records_both_signals_and_adv_weight_zero_is_pure_oracular_learning() -> None:
    model = AOS4Rec(GRU4Rec(3, 5, 4, max_len=3, seed=0), dim=4, horizon=1, seed=0)
    history = model.fit(toy(), epochs=2, batch_size=2)
    assert len(history) == 2 and all(math.isfinite(v) for v in history.g_loss + history.d_loss)
    assert all(math.isfinite(v) for v in history.metric("oracular CE"))
    a = AOS4Rec(GRU4Rec(3, 5, 4, max_len=3, seed=0), dim=4, horizon=1, seed=0)
    b = AOS4Rec(GRU4Rec(3, 5, 4, max_len=3, seed=0), dim=4, horizon=1, seed=7)  # another discriminator
    a.fit(toy(), epochs=1, batch_size=3, adv_weight=0.0, seed=1)
    b.fit(toy(), epochs=1, batch_size=3, adv_weight=0.0, seed=1)
    for pa, pb in zip(a.generator.parameters(), b.generator.parameters(), strict=True):
        torch.testing.assert_close(pa, pb)  # without the adversarial term D cannot move G
    with pytest.raises(ValueError, match="adv_weight"):
        a.fit(toy(), adv_weight=-1.0)
