"""CALF (Da Costa and Dolog 2019): the convolutional scorer, the sum-and-sample estimator and the trainer."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.calf import CALF, ConvLatentScorer, sum_and_sample


def test_scorer_is_latent_factor_plus_cnn_of_the_outer_product():
    model = ConvLatentScorer(3, 4, dim=4, channels=(2,), seed=0)
    with torch.no_grad():
        model.cnn.out.weight.fill_(1.0)
        model.item_bias.copy_(torch.tensor([0.0, 1.0, 2.0, 3.0]))
    u, i = torch.tensor([1]), torch.tensor([2])
    p, q = model.user[1], model.item[2]
    conv = model.cnn((p[:, None] * q[None, :])[None])[0, 0]
    expected = (p * q).sum() + 2.0 + conv
    assert torch.allclose(model.score(u, i), expected[None])


def test_full_scores_fast_path_equals_pair_scores():
    for channels in [(3,), (3, 2)]:
        model = ConvLatentScorer(5, 7, dim=6, channels=channels, seed=1)
        torch.nn.init.normal_(model.cnn.out.weight)
        users = torch.arange(5)
        grid = model.score(users[:, None], torch.arange(7)[None, :])
        assert torch.allclose(model.full_scores(users), grid, atol=1e-6)


def test_zero_cnn_output_starts_as_the_latent_factor_model():
    tables = {"user": np.ones((2, 3)), "item": np.arange(12.0).reshape(4, 3), "bias": np.zeros(4)}
    model = ConvLatentScorer.from_embeddings(tables)
    # f(u, i) = 1 . q_i = sum of item i's row
    assert torch.allclose(model.full_scores(torch.tensor([0])), torch.tensor([[3.0, 12.0, 21.0, 30.0]]))


def test_sum_and_sample_sums_the_head_exactly():
    probs = torch.tensor([[0.5, 0.3, 0.1, 0.1]])
    est = sum_and_sample(probs, top=2, n_samples=4, generator=torch.Generator().manual_seed(0))
    assert est.items[0, :2].tolist() == [0, 1]
    assert torch.allclose(est.weights[0], torch.tensor([0.5, 0.3, 0.05, 0.05, 0.05, 0.05]))
    assert set(est.items[0, 2:].tolist()) <= {2, 3}
    # f = indicator of the head: the estimate is exact whatever was sampled
    f = (est.items < 2).float()
    assert float((est.weights * f).sum()) == pytest.approx(0.8)


def test_sum_and_sample_is_unbiased():
    probs = torch.tensor([[0.4, 0.3, 0.2, 0.1]]).repeat(4000, 1)
    values = torch.tensor([1.0, 2.0, 5.0, 10.0])
    est = sum_and_sample(probs, top=1, n_samples=1, generator=torch.Generator().manual_seed(3))
    mean = (est.weights * values[est.items]).sum(dim=1).mean()
    # E = 0.4 + 0.6 + 1.0 + 1.0 = 3.0
    assert float(mean) == pytest.approx(3.0, abs=0.1)


def test_sum_and_sample_rejects_bad_sizes():
    with pytest.raises(ValueError, match="top must be smaller"):
        sum_and_sample(torch.full((1, 3), 1 / 3), top=3, n_samples=1)
    with pytest.raises(ValueError, match="n_samples"):
        sum_and_sample(torch.full((1, 3), 1 / 3), top=1, n_samples=0)


def _block_data():
    rows, cols = [], []
    for u in range(8):
        block = range(0, 5) if u < 4 else range(5, 10)
        for i in block:
            if (u + i) % 5 != 0:
                rows.append(u)
                cols.append(i)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(8, 12))


def test_fit_records_history_and_is_seeded():
    train = _block_data()
    runs = []
    for _ in range(2):
        model = CALF(8, 12, dim=4, channels=(2,), rb_top=2, n_samples=2, seed=0)
        history = model.fit(train, epochs=2, d_batch=8, g_batch=4, lr_g=0.01, lr_d=0.01, seed=0,
                            validate=lambda m: {"s": float(m.full_scores(torch.tensor([0])).sum().detach())})
        runs.append(model.full_scores(torch.arange(8)).detach())
        assert len(history) == 2 and "s" in history.initial
        assert np.isfinite(history.g_loss).all() and np.isfinite(history.d_loss).all()
    assert torch.equal(runs[0], runs[1])


def test_discriminator_learns_the_observed_items():
    train = _block_data()
    model = CALF(8, 12, dim=4, channels=(2,), rb_top=2, n_samples=2, scorer="discriminator", seed=0)
    model.fit(train, epochs=30, d_batch=8, g_batch=8, lr_g=0.02, lr_d=0.05, reg_d=0.0, seed=0)
    scores = model.full_scores(torch.arange(8)).detach().numpy()
    dense = train.toarray() > 0
    # D ranks a user's observed items above the other block's items
    assert scores[:4, :5][dense[:4, :5]].mean() > scores[:4, 5:10].mean()
    assert scores[4:, 5:10][dense[4:, 5:10]].mean() > scores[4:, :5].mean()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="scorer"):
        CALF(2, 3, scorer="both")
    with pytest.raises(ValueError, match="g_init"):
        CALF(2, 3, dim=2, g_init={"user": np.zeros((3, 2)), "item": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="shape"):
        CALF(2, 12, dim=2).fit(sp.csr_matrix((3, 12)))
