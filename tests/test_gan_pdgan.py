"""PD-GAN (advrec.gan.pdgan): greedy DPP selection against brute-force determinants, category coverage,
the kernel's training sets and loss, and the recommender's set-valued ranking and losses."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.evaluation import evaluate
from advrec.gan.pdgan import PDGAN, DPPKernel, category_coverage, diversity_sets, dpp_select


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_greedy_dpp_skips_a_duplicate_of_the_first_choice():
    """Items 0 and 1 point the same way: after item 0, item 1 adds nothing, so the less relevant item 2
    comes second (relevance alone would pick 0 then 1)."""
    features = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    quality = torch.tensor([[1.0, 0.9, 0.5]])
    assert dpp_select(quality, features, 2).tolist() == [[0, 2]]


def test_greedy_dpp_maximises_the_determinant_at_every_step():
    rng = np.random.default_rng(0)
    features = torch.as_tensor(rng.normal(size=(7, 4)), dtype=torch.float32)
    quality = torch.as_tensor(rng.uniform(0.5, 2.0, size=(1, 7)), dtype=torch.float32)
    chosen = dpp_select(quality, features, 3)[0].tolist()
    kernel = (quality[0][:, None] * features) @ (quality[0][:, None] * features).T
    for t in range(3):
        best = max((i for i in range(7) if i not in chosen[:t]),
                   key=lambda i: torch.det(kernel[np.ix_(chosen[:t] + [i], chosen[:t] + [i])]).item())
        assert chosen[t] == best


def test_dpp_select_respects_exclusions_and_samples_by_marginal_gain():
    features = torch.eye(3)
    quality = torch.tensor([[1.0, 2.0, 3.0]])
    assert dpp_select(quality, features, 1, exclude=torch.tensor([[False, False, True]])).tolist() == [[1]]
    gen = torch.Generator().manual_seed(0)
    draws = dpp_select(quality.repeat(3000, 1), features, 1, sample=True, generator=gen)
    share = torch.bincount(draws.flatten(), minlength=3).float() / 3000
    assert torch.allclose(share, torch.tensor([1.0, 4.0, 9.0]) / 14, atol=0.03)  # gains q_i^2 |f_i|^2
    with pytest.raises(ValueError, match="fewer than k"):
        dpp_select(quality, features, 2, exclude=torch.tensor([[True, True, False]]))


def test_category_coverage_counts_distinct_categories_of_the_first_k():
    cats = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 1]], dtype=bool)
    topk = np.array([[0, 1, 2], [0, 2, 1]])
    assert category_coverage(topk, cats, 2).tolist() == pytest.approx([1 / 3, 1.0])
    assert category_coverage(topk, cats, 3).tolist() == pytest.approx([1.0, 1.0])


def test_diversity_sets_are_the_users_items_diverse_and_similar():
    cats = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [1, 0, 0], [1, 1, 0]], dtype=bool)
    train = sp.csr_matrix(np.array([[1, 1, 1, 1, 1, 0], [1, 0, 0, 1, 1, 1]], dtype=np.float32))
    diverse, similar = diversity_sets(train, cats, 3, seed=0)
    assert len(diverse) == len(similar) > 0
    for div, sim in zip(diverse, similar, strict=True):
        # every diverse item adds a category; the similar set shares the seed's categories exactly
        covered = np.zeros(3, dtype=bool)
        for i in div:
            assert (cats[i] & ~covered).any()
            covered |= cats[i]
        assert all(np.array_equal(cats[i], cats[sim[0]]) for i in sim) and len(set(sim)) == 3
        assert div[0] == sim[0]
    assert set(map(int, similar[:, 0])) <= {0, 3, 4}  # only these seeds have two same-category partners
    assert len(diversity_sets(train, cats, 3, max_pairs=2, seed=0)[0]) == 2


def test_kernel_training_makes_diverse_sets_more_probable():
    rng = np.random.default_rng(0)
    diverse = np.array([rng.choice([0, 1, 2, 3], 2, replace=False) for _ in range(64)])
    similar = np.array([rng.choice([4, 5], 2, replace=False) for _ in range(64)])
    kernel = DPPKernel(6, 4, init_delta=0.3, seed=0)
    pos, neg = torch.as_tensor(diverse), torch.as_tensor(similar)
    before = (kernel.log_det(pos) - kernel.log_det(neg)).mean().item()
    losses = kernel.fit(diverse, similar, epochs=3, batch=32, lr=0.1)
    assert (kernel.log_det(pos) - kernel.log_det(neg)).mean().item() > before and losses[-1] < losses[0]


def test_full_scores_rank_the_dpp_set_first_outside_the_seen_items():
    features = torch.eye(4).repeat(2, 1)[:6]  # items 0/4 and 1/5 are duplicates
    g = {"user": np.ones((1, 2), np.float32), "item": np.zeros((6, 2), np.float32),
         "bias": np.array([5.0, 4.9, 1.0, 0.5, 4.8, 4.7], np.float32)}
    model = PDGAN(1, 6, features, 2, k=2, theta=0.5, g_init=g)
    model.set_seen(sp.csr_matrix(np.array([[0, 1, 0, 0, 0, 0]], dtype=np.float32)))
    # item 1 is seen; item 0 comes first; item 4 duplicates item 0, so item 5 (not 4) is second
    assert model.select(torch.tensor([0])).tolist() == [[0, 5]]
    test = sp.csr_matrix(np.array([[0, 0, 0, 0, 1, 1]], dtype=np.float32))
    result = evaluate(model, model.seen, test, metrics=["PRECISION"], ks=[2])
    assert result.topk.tolist() == [[0, 5]]


def test_first_losses_equal_the_closed_form_with_a_blank_discriminator():
    """With D's tables all zero every set scores sigmoid(0): D's loss is 2 log 2 and G's cost -log 2."""
    train = sp.csr_matrix(np.array([[1, 1, 0, 0, 0], [0, 0, 1, 1, 0]], dtype=np.float32))
    model = PDGAN(2, 5, np.eye(5, dtype=np.float32), 3, k=2, init_delta=0.0)
    history = model.fit(train, epochs=1, lr_d=1e-9, lr_g=1e-9, seed=0)
    assert history.d_loss[0] == pytest.approx(2 * math.log(2), rel=1e-6)
    assert history.g_loss[0] == pytest.approx(-math.log(2), rel=1e-6)


def test_pdgan_rejects_bad_settings():
    with pytest.raises(ValueError, match="theta must be in"):
        PDGAN(1, 3, np.eye(3), 2, theta=1.0)
    with pytest.raises(ValueError, match="features must be"):
        PDGAN(1, 3, np.eye(4), 2)
    assert list(itertools.islice(PDGAN(1, 3, np.eye(3), 2).parameters(), 1))
