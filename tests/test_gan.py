"""advrec.gan: REINFORCE and Gumbel-softmax samplers against their analytic properties, CFGAN's masks,
GAN losses, the building blocks, and IRGAN/CFGAN/APL training on a tiny data set with planted groups."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from matplotlib.figure import Figure

from advrec.gan import (
    APL,
    CFGAN,
    IRGAN,
    TABLE5_BLOCKS,
    AutoEncoderNet,
    CNNNet,
    GANHistory,
    GRUNet,
    LFMScorer,
    LSTMNet,
    MLPNet,
    VAENet,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    gumbel_softmax,
    importance_sample,
    pairwise_discriminator_loss,
    partial_mask,
    reinforce_loss,
    wasserstein_critic_loss,
    zero_reconstruction_mask,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: one thread avoids contention with other processes on a shared machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------------------ REINFORCE

THETA = [0.5, -0.3, 1.2]
REWARDS = [1.0, 3.0, -2.0]


def analytic_policy_gradient() -> torch.Tensor:
    """d/dtheta_j sum_i p_i r_i = p_j (r_j - sum_i p_i r_i) for p = softmax(theta)."""
    p = torch.softmax(torch.tensor(THETA, dtype=torch.float64), 0)
    r = torch.tensor(REWARDS, dtype=torch.float64)
    return p * (r - (p * r).sum())


@pytest.mark.parametrize("baseline", [None, 5.0, "mean"])
def test_reinforce_gradient_equals_analytic_policy_gradient(baseline) -> None:
    # every item once from a uniform proposal, weighted p_i / (1/3): the estimator's exact expectation;
    # a constant baseline b adds b * sum_i p_i grad log p_i = 0
    theta = torch.tensor(THETA, dtype=torch.float64, requires_grad=True)
    log_p = torch.log_softmax(theta, 0)
    weights = 3 * log_p.exp().detach()
    loss = reinforce_loss(log_p, torch.tensor(REWARDS, dtype=torch.float64), baseline, weights=weights)
    loss.backward()
    torch.testing.assert_close(-theta.grad, analytic_policy_gradient())


def test_reinforce_monte_carlo_estimate_converges_to_policy_gradient() -> None:
    theta = torch.tensor(THETA, dtype=torch.float64, requires_grad=True)
    log_p = torch.log_softmax(theta, 0)
    items = torch.multinomial(log_p.exp().detach(), 200_000, replacement=True, generator=gen(1))
    reinforce_loss(log_p[items], torch.tensor(REWARDS, dtype=torch.float64)[items], None).backward()
    torch.testing.assert_close(-theta.grad, analytic_policy_gradient(), atol=0.01, rtol=0)


def test_mean_baseline_reduces_the_estimators_variance() -> None:
    # rewards with a large common offset: without a baseline each sample's gradient is dominated by it
    n_batches, k = 400, 8
    rewards = torch.tensor([10.0, 11.0, 12.0], dtype=torch.float64)
    p = torch.softmax(torch.tensor(THETA, dtype=torch.float64), 0)
    items = torch.multinomial(p.expand(n_batches, 3), k, replacement=True, generator=gen(2))
    estimates = {}
    for baseline in (None, "mean"):
        theta = torch.tensor(THETA, dtype=torch.float64).repeat(n_batches, 1).requires_grad_(True)
        log_p = torch.log_softmax(theta, 1).gather(1, items)
        (reinforce_loss(log_p, rewards[items], baseline) * n_batches).backward()
        estimates[baseline] = -theta.grad  # one policy-gradient estimate per batch of k samples
    true = p * (rewards - (p * rewards).sum())
    var_none = estimates[None].var(0).sum()
    var_mean = estimates["mean"].var(0).sum()
    assert var_mean < 0.1 * var_none
    tolerance = 4 * math.sqrt(var_none / n_batches)
    torch.testing.assert_close(estimates[None].mean(0), true, atol=tolerance, rtol=0)


def test_reinforce_mask_ignores_padded_samples() -> None:
    theta = torch.tensor(THETA, requires_grad=True)
    log_p = torch.log_softmax(theta, 0)
    padded = reinforce_loss(log_p[[0, 1, 2]][None], torch.tensor([[1.0, 2.0, 99.0]]), "mean",
                            mask=torch.tensor([[True, True, False]]))
    plain = reinforce_loss(log_p[[0, 1]], torch.tensor([1.0, 2.0]), "mean")
    torch.testing.assert_close(padded, plain)
    with pytest.raises(ValueError, match="baseline"):
        reinforce_loss(log_p, torch.zeros(3), "median")
    with pytest.raises(ValueError, match="same shape"):
        reinforce_loss(log_p, torch.zeros(2))


def test_importance_sample_mixes_in_positives_with_unbiased_weights() -> None:
    p = torch.softmax(torch.tensor([[2.0, 1.0, 0.0, -1.0, 0.5], [0.0, 0.0, 0.0, 0.0, 0.0]]), 1)
    positives = torch.tensor([[False, False, False, True, False], [False] * 5])
    sample = importance_sample(p, positives, 100_000, mix=0.2, generator=gen(3))
    p3 = p[0, 3].item()
    # row 0: P(item 3) = 0.8 p_3 + 0.2, with weight p_3 / (0.8 p_3 + 0.2)
    assert (sample.items[0] == 3).float().mean().item() == pytest.approx(0.8 * p3 + 0.2, abs=0.006)
    w3 = sample.weights[0][sample.items[0] == 3]
    torch.testing.assert_close(w3, torch.full_like(w3, p3 / (0.8 * p3 + 0.2)))
    # E_proposal[w f] = E_p[f] for f(i) = i
    estimate = (sample.weights[0] * sample.items[0]).mean().item()
    assert estimate == pytest.approx((p[0] * torch.arange(5)).sum().item(), abs=0.03)
    # a row without positives samples from p itself: all weights 1
    torch.testing.assert_close(sample.weights[1], torch.ones(100_000))


# ------------------------------------------------------------------------------------------ Gumbel-softmax

LOGITS = torch.tensor([1.0, 0.0, -1.0, 2.0])


def test_gumbel_softmax_hard_samples_follow_the_softmax() -> None:
    y = gumbel_softmax(LOGITS.expand(50_000, 4), tau=1.0, hard=True, generator=gen(4))
    assert set(y.unique().tolist()) == {0.0, 1.0}
    torch.testing.assert_close(y.sum(1), torch.ones(50_000))
    torch.testing.assert_close(y.mean(0), torch.softmax(LOGITS, 0), atol=0.01, rtol=0)


def test_gumbel_softmax_temperature_moves_the_mean_between_softmax_and_uniform() -> None:
    cold = gumbel_softmax(LOGITS.expand(50_000, 4), tau=0.05, generator=gen(5))
    hot = gumbel_softmax(LOGITS.expand(50_000, 4), tau=100.0, generator=gen(6))
    for y in (cold, hot):
        torch.testing.assert_close(y.sum(1), torch.ones(50_000))
        assert bool(((y >= 0) & (y <= 1)).all())
    torch.testing.assert_close(cold.mean(0), torch.softmax(LOGITS, 0), atol=0.015, rtol=0)
    torch.testing.assert_close(hot.mean(0), torch.full((4,), 0.25), atol=0.01, rtol=0)
    with pytest.raises(ValueError, match="tau"):
        gumbel_softmax(LOGITS, tau=0.0)


def test_gumbel_softmax_hard_is_one_hot_with_straight_through_gradient() -> None:
    weights = torch.tensor([0.3, -1.0, 2.0, 0.5])
    logits_soft = LOGITS.clone().requires_grad_(True)
    soft = gumbel_softmax(logits_soft, tau=0.5, generator=gen(7))
    (soft * weights).sum().backward()
    logits_hard = LOGITS.clone().requires_grad_(True)
    hard = gumbel_softmax(logits_hard, tau=0.5, hard=True, generator=gen(7))
    (hard * weights).sum().backward()
    expected = torch.zeros(4)
    expected[soft.argmax()] = 1.0
    torch.testing.assert_close(hard.detach(), expected)
    torch.testing.assert_close(logits_hard.grad, logits_soft.grad)
    assert logits_hard.grad.abs().sum() > 0


# ------------------------------------------------------------------------------------------ losses


def test_gradient_penalty_is_zero_for_unit_norm_gradients_and_positive_otherwise() -> None:
    real, fake = torch.randn(16, 3, generator=gen(8)), torch.randn(16, 3, generator=gen(9))
    unit = torch.tensor([0.6, 0.0, 0.8])
    gp_unit = gradient_penalty(lambda x: x @ unit, real, fake, generator=gen(10))
    assert gp_unit.item() == pytest.approx(0, abs=1e-12)
    w = (2 * unit).requires_grad_(True)
    gp = gradient_penalty(lambda x: x @ w, real, fake, generator=gen(10))
    assert gp.item() == pytest.approx(1.0)  # (|2 unit| - 1)^2
    gp.backward()
    assert w.grad is not None and w.grad.abs().sum() > 0  # the penalty trains the critic
    cond = torch.randn(16, 2, generator=gen(11))
    conditional = gradient_penalty(lambda x, c: x @ unit + 5 * c.sum(1), real, fake, cond, generator=gen(12))
    assert conditional.item() == pytest.approx(0, abs=1e-12)  # the gradient is taken w.r.t. x only
    assert gradient_penalty(lambda x: (x ** 2).sum(1), real, fake, generator=gen(13)).item() > 0


def test_gan_losses_match_hand_computed_values() -> None:
    zero = torch.zeros(4)
    assert discriminator_loss(zero, zero).item() == pytest.approx(2 * math.log(2))
    assert generator_loss(zero).item() == pytest.approx(math.log(2))
    assert generator_loss(zero, saturating=True).item() == pytest.approx(-math.log(2))
    # saturating: log(1 - sigmoid(x)) = -log(1 + e^x)
    assert generator_loss(torch.tensor([1.0]), saturating=True).item() == pytest.approx(-math.log(1 + math.e))
    assert pairwise_discriminator_loss(torch.tensor([2.0]), torch.tensor([1.0])).item() == pytest.approx(
        math.log(1 + math.exp(-1)))
    critic = wasserstein_critic_loss(torch.tensor([1.0, 3.0]), torch.tensor([0.5]))
    assert critic.item() == pytest.approx(-1.5)  # E f(fake) - E f(real) = 0.5 - 2


# ------------------------------------------------------------------------------------------ CFGAN masks


def test_cfgan_masks_have_the_right_counts_and_spare_purchases() -> None:
    rows = np.zeros((3, 10), dtype=np.float32)
    rows[0, [1, 4, 7]] = 1  # 7 unpurchased
    rows[1, :] = 1  # none unpurchased
    rng = np.random.default_rng(0)
    purchased = rows != 0
    for ratio, expected in ((0.5, [3, 0, 5]), (0.0, [0, 0, 0]), (1.0, [7, 0, 10])):
        zr = zero_reconstruction_mask(sp.csr_matrix(rows), ratio, rng)
        assert zr.sum(1).tolist() == expected  # floor(ratio * #unpurchased)
        assert not (zr & purchased).any()
        pm = partial_mask(rows, ratio, rng)
        assert (pm[purchased]).all()
        assert (pm & ~purchased).sum(1).tolist() == expected
    with pytest.raises(ValueError, match="ratio"):
        zero_reconstruction_mask(rows, 1.5, rng)


def test_cfgan_negatives_are_uniform_over_unpurchased_items() -> None:
    rows = np.zeros((2000, 6), dtype=np.float32)
    rows[:, 0] = 1
    zr = zero_reconstruction_mask(rows, 0.4, np.random.default_rng(1))  # floor(0.4 * 5) = 2 per row
    np.testing.assert_allclose(zr[:, 1:].mean(0), np.full(5, 2 / 5), atol=0.04)


# ------------------------------------------------------------------------------------------ building blocks


def test_building_blocks_cover_table5_and_share_the_constructor_style() -> None:
    assert set(TABLE5_BLOCKS) == {"LFM", "MLP", "CNN", "AE", "VAE", "LSTM", "GRU"}
    x = torch.randn(5, 12, generator=gen(14))
    assert MLPNet(12, 3, hidden=(8, 4)).forward(x).shape == (5, 3)
    out = MLPNet(12, 3, hidden=(), out_activation="sigmoid")(x)
    assert bool(((out > 0) & (out < 1)).all())
    assert AutoEncoderNet(12, 12, hidden=(8, 4))(x).shape == (5, 12)
    vae = VAENet(12, 12, hidden=(8,), latent=3).eval()
    a, b = vae(x), vae(x)
    torch.testing.assert_close(a.logits, b.logits)  # eval mode: z = mu
    assert a.logits.shape == (5, 12) and a.kl().shape == (5,) and bool((a.kl() >= 0).all())
    assert VAENet(4, 4, latent=2).forward(torch.zeros(1, 4)).kl().shape == (1,)
    with pytest.raises(ValueError, match="activation"):
        MLPNet(3, 3, activation="swish")
    with pytest.raises(ValueError, match="in_dim"):
        GRUNet(0, 3)


@pytest.mark.parametrize("cls", [LSTMNet, GRUNet])
def test_recurrent_blocks_read_each_row_at_its_last_real_step(cls) -> None:
    torch.manual_seed(0)
    net = cls(4, 2, hidden=6)
    seq = torch.randn(1, 3, 4, generator=gen(15))
    padded = torch.cat([seq, torch.randn(1, 2, 4, generator=gen(16))], dim=1)  # garbage after step 3
    batch = torch.cat([padded, torch.randn(1, 5, 4, generator=gen(17))])
    out = net(batch, lengths=torch.tensor([3, 5]))
    torch.testing.assert_close(out[0], net(seq)[0])
    assert net.steps(batch).shape == (2, 5, 2)
    with pytest.raises(ValueError, match="lengths"):
        net(batch, lengths=torch.tensor([0, 5]))


def test_cnn_block_ignores_masked_positions() -> None:
    torch.manual_seed(0)
    net = CNNNet(4, 2, hidden=(5,), kernel_size=3)
    seq = torch.randn(1, 3, 4, generator=gen(18))
    padded = torch.cat([seq, 100 * torch.randn(1, 2, 4, generator=gen(19))], dim=1)
    mask = torch.tensor([[True, True, True, False, False]])
    torch.testing.assert_close(net(padded, mask), net(seq))


def test_lfm_scorer_from_pretrained_tables() -> None:
    user, item, bias = np.arange(6.0).reshape(3, 2), np.ones((4, 2)), np.array([0.0, 1.0, 2.0, 3.0])
    lfm = LFMScorer.from_embeddings({"user": user, "item": item, "bias": bias})
    # score(u, i) = p_u . q_i + b_i: user 2 = (4, 5) -> 9 + b_i
    torch.testing.assert_close(lfm.full_scores(torch.tensor([2])), torch.tensor([[9.0, 10.0, 11.0, 12.0]]))
    copy = LFMScorer.from_embeddings(lfm)
    pairs = copy.score(torch.tensor([1, 2]), torch.tensor([0, 3]))
    torch.testing.assert_close(pairs, torch.tensor([5.0, 12.0]))
    with pytest.raises(KeyError, match="item"):
        LFMScorer.from_embeddings({"user": user})
    with pytest.raises(ValueError, match="bias"):
        LFMScorer.from_embeddings({"user": user, "item": item, "bias": bias[:2]})


# ------------------------------------------------------------------------------------------ training

N_USERS, N_ITEMS, N_GROUPS = 80, 40, 4


@pytest.fixture(scope="module")
def planted() -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Users and items in 4 groups; a user has each item of their own group with probability 0.6 and no
    other item; a quarter of the interactions are held out."""
    rng = np.random.default_rng(0)
    same = (np.arange(N_USERS) % N_GROUPS)[:, None] == (np.arange(N_ITEMS) % N_GROUPS)[None, :]
    dense = same & (rng.random((N_USERS, N_ITEMS)) < 0.6)
    test = dense & (rng.random(dense.shape) < 0.25)
    return sp.csr_matrix((dense & ~test).astype(np.float32)), sp.csr_matrix(test.astype(np.float32))


def precision_at_5(model, train: sp.csr_matrix, test: sp.csr_matrix) -> float:
    """Mean precision@5 over users with a test item, ranking every item outside the user's training set."""
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    with torch.no_grad():
        scores = model.full_scores(torch.as_tensor(users)).clone()
    scores[torch.as_tensor(train[users].toarray() > 0)] = -math.inf
    top = scores.topk(5, dim=1).indices.numpy()
    return float(np.take_along_axis(test[users].toarray(), top, axis=1).sum(1).mean() / 5)


def random_precision_at_5(train: sp.csr_matrix, test: sp.csr_matrix) -> float:
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    return float(np.mean(np.diff(test.indptr)[users] / (N_ITEMS - np.diff(train.indptr)[users])))


@pytest.fixture(scope="module")
def pretrained_mf(planted) -> LFMScorer:
    """A BPR-trained latent factor model, the generator's starting point as in IRGAN."""
    train, _ = planted
    model = LFMScorer(N_USERS, N_ITEMS, 8, init_delta=0.1, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    coo = train.tocoo()
    u, i = torch.as_tensor(coo.row, dtype=torch.long), torch.as_tensor(coo.col, dtype=torch.long)
    g = gen(20)
    for _ in range(300):
        j = torch.randint(0, N_ITEMS, (len(u),), generator=g)
        loss = pairwise_discriminator_loss(model.score(u, i), model.score(u, j))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


@pytest.mark.parametrize("mode", ["point", "pair"])
def test_irgan_trains_without_collapsing_its_pretrained_generator(planted, pretrained_mf, mode) -> None:
    train, test = planted
    mf = pretrained_mf
    p0 = precision_at_5(mf, train, test)
    assert p0 > 3 * random_precision_at_5(train, test)  # the pre-training found the groups
    model = IRGAN(N_USERS, N_ITEMS, mode=mode, g_init=mf, seed=0)
    history = model.fit(train, epochs=3, g_steps=3, d_steps=3, d_batch=32, g_batch=8, lr_g=0.01, lr_d=0.01,
                        optimizer="adam", validate=lambda m: {"P@5": precision_at_5(m, train, test)})
    assert len(history) == 3 and history.initial["P@5"] == pytest.approx(p0)
    frame = history.to_frame()
    assert np.isfinite(frame[["g_loss", "d_loss", "P@5"]].to_numpy()).all()
    assert (model.generator.user - mf.user).abs().mean() > 0.02  # G did move
    assert precision_at_5(model, train, test) >= p0 - 0.05
    first = torch.tensor([0])
    torch.testing.assert_close(model.full_scores(first), model.generator.full_scores(first))
    model.scorer = "discriminator"
    torch.testing.assert_close(model.full_scores(torch.tensor([0])),
                               model.discriminator.full_scores(torch.tensor([0])))


@pytest.mark.parametrize(("mode", "lr", "factor"), [("point", 0.05, 3.0), ("pair", 0.02, 2.0)])
def test_irgan_generator_learns_what_a_fixed_discriminator_rewards(planted, pretrained_mf, mode, lr,
                                                                   factor) -> None:
    # D is a good ranker and is not trained (d_steps=0): the REINFORCE updates alone must move G from
    # random towards the items D scores high; a sign or weighting error leaves G near random
    train, test = planted
    model = IRGAN(N_USERS, N_ITEMS, dim=8, mode=mode, d_init=pretrained_mf, init_delta=0.1, seed=0)
    assert precision_at_5(model, train, test) < 2 * random_precision_at_5(train, test)
    history = model.fit(train, epochs=1, g_steps=20, d_steps=0, g_batch=16, lr_g=lr, optimizer="adam")
    assert math.isnan(history.d_loss[0]) and math.isfinite(history.g_loss[0])
    assert precision_at_5(model, train, test) > factor * random_precision_at_5(train, test)


def test_irgan_rejects_bad_input(planted) -> None:
    train, _ = planted
    with pytest.raises(ValueError, match="mode"):
        IRGAN(N_USERS, N_ITEMS, mode="list")
    with pytest.raises(ValueError, match="g_init"):
        IRGAN(N_USERS, N_ITEMS, g_init={"user": np.zeros((3, 5)), "item": np.zeros((N_ITEMS, 5))})
    with pytest.raises(ValueError, match="shape"):
        IRGAN(N_USERS, N_ITEMS + 1).fit(train, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        IRGAN(N_USERS, N_ITEMS).fit(train, epochs=0)
    with pytest.raises(ValueError, match="g_steps"):
        IRGAN(N_USERS, N_ITEMS).fit(train, g_steps=-1)


@pytest.mark.parametrize(("variant", "orientation"), [("ZP", "item"), ("ZR", "user")])
def test_cfgan_learns_the_planted_groups(planted, variant, orientation) -> None:
    train, test = planted
    model = CFGAN(N_USERS, N_ITEMS, g_hidden=(32,), d_hidden=(16,), variant=variant, orientation=orientation,
                  zr_ratio=0.5, pm_ratio=0.5, alpha=0.1, seed=0)
    with pytest.raises(RuntimeError, match="fit"):
        model.full_scores(torch.tensor([0]))
    history = model.fit(train, epochs=60, g_steps=1, d_steps=1, g_batch=16, d_batch=16, lr_g=1e-2, lr_d=1e-2,
                        reg_g=1e-4, seed=0)
    assert len(history) == 60 and np.isfinite(history.g_loss + history.d_loss).all()
    assert precision_at_5(model, train, test) > 3 * random_precision_at_5(train, test)
    scores = model.full_scores(torch.tensor([3, 5]))
    pairs = model.score(torch.tensor([3, 5]), torch.tensor([7, 1]))
    torch.testing.assert_close(pairs, scores[[0, 1], [7, 1]])


def test_cfgan_stops_with_a_clear_error_when_a_loss_is_not_finite(planted) -> None:
    train, _ = planted
    model = CFGAN(N_USERS, N_ITEMS, g_hidden=(8,), d_hidden=(8,))
    with torch.no_grad():
        model.generator.net[0].weight.fill_(math.nan)
    with pytest.raises(FloatingPointError, match="CFGAN discriminator loss.*epoch 1"):
        model.fit(train, epochs=2)


def group_mass(model) -> float:
    """Mean probability that the generator's softmax puts on the user's own item group."""
    users = torch.arange(N_USERS)
    with torch.no_grad():
        p = torch.softmax(model.generator.full_scores(users), 1)
    same = (users % N_GROUPS)[:, None] == (torch.arange(N_ITEMS) % N_GROUPS)[None, :]
    return float((p * same).sum(1).mean())


@pytest.mark.parametrize(("loss", "mass"), [("log", 0.6), ("hinge", 0.4), ("wgan", 0.6)])
def test_apl_generator_follows_a_fixed_critic_through_gumbel_softmax(planted, pretrained_mf, loss,
                                                                     mass) -> None:
    # the critic ranks each user's group first and is not trained (d_steps=0): the gradient that reaches G
    # through the relaxed samples must move G's softmax from uniform (mass 1/4 on the group) towards it
    train, _ = planted
    model = APL(N_USERS, N_ITEMS, dim=8, loss=loss, init_delta=0.1, seed=0)
    model.discriminator.load_state_dict(pretrained_mf.state_dict())
    assert group_mass(model) == pytest.approx(0.25, abs=0.02)
    history = model.fit(train, epochs=1, g_steps=10, d_steps=0, lr_g=0.05, optimizer="adam")
    assert math.isfinite(history.g_loss[0])
    assert group_mass(model) > mass


def test_apl_trains_from_a_pretrained_generator(planted, pretrained_mf) -> None:
    train, test = planted
    p0 = precision_at_5(pretrained_mf, train, test)
    model = APL(N_USERS, N_ITEMS, loss="wgan", g_init=pretrained_mf, seed=0)
    history = model.fit(train, epochs=3, validate=lambda m: {"P@5": precision_at_5(m, train, test)})
    assert len(history) == 3 and np.isfinite(history.to_frame().to_numpy()).all()
    assert max(p.abs().max().item() for p in model.discriminator.parameters()) <= 0.05 + 1e-7  # WGAN clipping
    assert precision_at_5(model, train, test) >= p0 - 0.05
    with pytest.raises(ValueError, match="loss"):
        APL(N_USERS, N_ITEMS, loss="square")


def test_gan_history_frame_and_plot() -> None:
    history = GANHistory(initial={"P@5": 0.1})
    history.record(1.0, 2.0, {"P@5": 0.2}, 0.5)
    history.record(0.5, 1.5, {"P@5": 0.3}, 0.4)
    frame = history.to_frame()
    assert list(frame.index) == [1, 2] and frame.loc[2, "d_loss"] == 1.5 and frame.loc[1, "P@5"] == 0.2
    assert history.metric("P@5") == [0.2, 0.3]
    with pytest.raises(KeyError, match="NDCG"):
        history.metric("NDCG@10")
    fig = history.plot()
    assert isinstance(fig, Figure)
    lines = [line for ax in fig.axes for line in ax.get_lines()]
    assert len(lines) == 3
    assert list(lines[2].get_xdata()) == [0, 1, 2]  # the metric starts at its initial value
    assert GANHistory().to_frame().empty
