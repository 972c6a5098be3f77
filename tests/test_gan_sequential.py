"""advrec.gan.sequential: time-ordered positions, the sequence scorer, next-step MLE and the sequence GAN
game (point and pair modes, uniform-negative ablation) on tiny hand-made sequences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.data.interactions import Interactions
from advrec.gan.sequential import (
    SequenceGAN,
    SequenceScorer,
    next_step_loss,
    position_matrix,
    step_logits,
)
from advrec.models import GRU4Rec
from advrec.models.sequential import sequences_from_matrix
from advrec.training import SequenceSampler, fit


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: one thread avoids contention with other processes on a shared machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def cyclic(n_users: int = 6, n_items: int = 5, length: int = 8) -> sp.csr_matrix:
    """User u visits items u, u+1, ... (mod n_items) in that order: positions 1..length as values.
    Items repeat once a user wraps around, so lengths stay <= n_items to keep one row per pair."""
    length = min(length, n_items)
    rows, cols, vals = [], [], []
    for u in range(n_users):
        for t in range(length):
            rows.append(u)
            cols.append((u + t) % n_items)
            vals.append(t + 1)
    return sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(n_users, n_items))


def test_position_matrix_orders_by_time_then_row_order() -> None:
    # user 0: item 2 at t=5, item 0 at t=3, item 1 at t=5 (later row, so after item 2); user 1: one item
    data = Interactions.from_raw([0, 0, 0, 1], [2, 0, 1, 0], timestamps=[5, 3, 5, 9])
    pos = position_matrix(data).toarray()
    np.testing.assert_array_equal(pos, [[1, 3, 2], [1, 0, 0]])
    assert [s.tolist() for s in sequences_from_matrix(position_matrix(data))] == [[0, 2, 1], [0]]


def test_position_matrix_keeps_the_latest_row_of_a_repeated_pair() -> None:
    data = Interactions.from_raw([0, 0, 0], [0, 1, 0], timestamps=[1, 2, 3])
    np.testing.assert_array_equal(position_matrix(data).toarray(), [[2, 1]])


def test_step_logits_with_mask_selects_the_full_logits() -> None:
    model = SequenceScorer(3, 6, 4, encoder="gru", user_factors=True, max_len=3, seed=0)
    users = torch.tensor([0, 2])
    inputs = torch.tensor([[0, 1, 2], [3, 4, 5]])
    mask = torch.tensor([[False, True, True], [True, False, True]])
    full = model.step_logits(users, inputs)
    assert full.shape == (2, 3, 6)
    torch.testing.assert_close(model.step_logits(users, inputs, mask), full[mask])
    torch.testing.assert_close(step_logits(model, users, inputs, mask), full[mask])


def test_user_factor_adds_p_u_dot_w_i_to_every_position() -> None:
    with_user = SequenceScorer(2, 4, 3, encoder="mlp", user_factors=True, max_len=2, seed=1)
    inputs = torch.tensor([[1, 2]])
    users = torch.tensor([1])
    expected_long_term = with_user.user[1] @ with_user.user_item.T
    with torch.no_grad():
        h = with_user.encode(inputs)[0]
        expected = h @ with_user.item_vectors().T + with_user.bias + expected_long_term
    torch.testing.assert_close(with_user.step_logits(users, inputs)[0], expected)


def test_factor_scorer_gives_items_of_one_factor_the_same_vector_and_score() -> None:
    factor = np.array([0, 1, 0, 2])
    model = SequenceScorer(2, 4, 3, encoder="gru", factor=factor, max_len=2, seed=0)
    assert model.item.shape == (3, 3)
    logits = model.step_logits(torch.tensor([0]), torch.tensor([[0, 2]]))[0, -1]
    assert logits[0] == logits[2]
    assert logits[0] != logits[1]
    with pytest.raises(ValueError, match="factor must hold one non-negative integer per item"):
        SequenceScorer(2, 4, 3, factor=np.array([0, 1]))


def test_item_features_enter_the_item_vectors() -> None:
    feats = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    model = SequenceScorer(2, 3, 4, encoder="gru", item_features=feats, max_len=2, seed=0)
    with torch.no_grad():
        model.item.zero_()
    v = model.item_vectors()
    torch.testing.assert_close(v[0], v[2])
    torch.testing.assert_close(v[0], model.feature_map.weight[:, 0])


@pytest.mark.parametrize("encoder", ["gru", "lstm", "transformer"])
def test_encoders_are_causal(encoder: str) -> None:
    """The score after position t must not depend on later inputs."""
    model = SequenceScorer(1, 5, 4, encoder=encoder, max_len=3, heads=2, seed=0).eval()
    a = model.step_logits(torch.tensor([0]), torch.tensor([[1, 2, 3]]))
    b = model.step_logits(torch.tensor([0]), torch.tensor([[1, 2, 5]]))
    torch.testing.assert_close(a[:, :2], b[:, :2])
    assert not torch.allclose(a[:, 2], b[:, 2])


def test_next_step_loss_is_the_cross_entropy_of_the_real_next_items() -> None:
    model = SequenceScorer(1, 4, 3, encoder="gru", max_len=3, seed=0)
    batch = {"users": torch.tensor([0]), "inputs": torch.tensor([[0, 1, 2]]),
             "targets": torch.tensor([[-1, 1, 3]])}
    logits = model.step_logits(batch["users"], batch["inputs"])[0, 1:]
    expected = (F.cross_entropy(logits[:1], torch.tensor([1]))
                + F.cross_entropy(logits[1:], torch.tensor([3]))) / 2
    torch.testing.assert_close(next_step_loss(model, batch), expected)


def test_mle_pretraining_learns_a_deterministic_successor() -> None:
    train = cyclic()
    model = SequenceScorer(6, 5, 8, encoder="gru", max_len=4, seed=0)
    fit(model, train, loss=next_step_loss, sampler=SequenceSampler(sequences_from_matrix(train), 4),
        epochs=80, batch_size=6, lr=0.05)
    # each user's last item is (u + 4) % 5; its successor in the cycle is (u + 5) % 5 = u
    top = model.full_scores(torch.arange(6)).argmax(dim=1)
    assert top.tolist() == [u % 5 for u in range(6)]


def test_pair_reward_is_softplus_of_fake_minus_real_and_point_prob_is_sigmoid() -> None:
    g = SequenceScorer(2, 3, 2, max_len=2)
    pair = SequenceGAN(g, SequenceScorer(2, 3, 2, max_len=2), mode="pair")
    point = SequenceGAN(g, SequenceScorer(2, 3, 2, max_len=2), mode="point", reward="prob")
    real, fake = torch.tensor([1.0]), torch.tensor([[0.0, 3.0]])
    torch.testing.assert_close(pair._reward(real, fake), torch.tensor([[math.log1p(math.exp(-1.0)),
                                                                          math.log1p(math.exp(2.0))]]))
    torch.testing.assert_close(point._reward(real, fake), torch.sigmoid(fake))


def test_gan_fit_records_finite_losses_and_trains_both_players() -> None:
    train = cyclic()
    gan = SequenceGAN(SequenceScorer(6, 5, 4, encoder="gru", user_factors=True, max_len=4, seed=0),
                      SequenceScorer(6, 5, 4, encoder="gru", user_factors=True, max_len=4, seed=1))
    g0 = [p.detach().clone() for p in gan.generator.parameters()]
    d0 = [p.detach().clone() for p in gan.discriminators.parameters()]
    calls = []
    history = gan.fit(train, epochs=2, samples=3, batch_size=3, d_warmup=1, lr_g=0.01,
                      validate=lambda m: calls.append(1) or {"x": 1.0})
    assert len(history) == 2 and len(calls) == 3
    assert all(math.isfinite(v) for v in history.g_loss + history.d_loss)
    assert all(-1.0 <= v <= 0.0 for v in history.g_loss)  # minus a mean probability
    assert any(not torch.equal(a, b) for a, b in zip(g0, gan.generator.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(d0, gan.discriminators.parameters(), strict=True))
    user = torch.tensor([0])
    torch.testing.assert_close(gan.full_scores(user), gan.generator.full_scores(user))


def test_discriminator_learns_to_tell_real_successors_from_uniform_items() -> None:
    train = cyclic()
    d = SequenceScorer(6, 5, 8, encoder="gru", max_len=4, seed=1)
    gan = SequenceGAN(SequenceScorer(6, 5, 4, max_len=4), d, mode="pair", negatives="uniform",
                      scorer="discriminator")
    history = gan.fit(train, epochs=40, d_steps=1, samples=4, batch_size=6, lr_d=0.05)
    assert history.d_loss[-1] < 0.5 * history.d_loss[0]
    assert all(math.isnan(v) for v in history.g_loss)  # uniform negatives: G never trained
    assert gan.full_scores(torch.arange(6)).argmax(dim=1).tolist() == list(range(5)) + [0]


def test_gan_works_with_engine_sequence_models_as_generator() -> None:
    train = cyclic()
    gan = SequenceGAN(GRU4Rec(6, 5, 4, max_len=4), SequenceScorer(6, 5, 4, max_len=4))
    history = gan.fit(train, epochs=1, samples=2, batch_size=6)
    assert len(history) == 1 and math.isfinite(history.g_loss[0])


def test_bad_arguments_name_the_parameter() -> None:
    g = SequenceScorer(2, 3, 2, max_len=2)
    with pytest.raises(ValueError, match="mode"):
        SequenceGAN(g, SequenceScorer(2, 3, 2), mode="list")
    with pytest.raises(ValueError, match="discriminator has 2 users x 4 items"):
        SequenceGAN(g, SequenceScorer(2, 4, 2))
    with pytest.raises(ValueError, match="weights"):
        SequenceGAN(g, [SequenceScorer(2, 3, 2)], weights=[1.0, 1.0])
    with pytest.raises(ValueError, match="encoder"):
        SequenceScorer(2, 3, 2, encoder="cnn")
    with pytest.raises(ValueError, match="samples"):
        SequenceGAN(g, SequenceScorer(2, 3, 2)).fit(cyclic(2, 3, 3), samples=0)
    with pytest.raises(ValueError, match="no user with two or more items"):
        SequenceGAN(g, SequenceScorer(2, 3, 2)).fit(sp.csr_matrix(np.eye(2, 3, dtype=np.float32)))
