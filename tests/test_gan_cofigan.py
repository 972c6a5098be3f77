"""CoFiGAN (advrec.gan.cofigan) and the pair-wise GAN helpers (advrec.gan.pairwise): draws that respect
exclusions, the restricted scorer, the released model reader, and CoFiGAN's G step against the official
code's closed-form SGD update."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.evaluation import evaluate
from advrec.gan import LFMScorer
from advrec.gan.cofigan import CoFiGAN, load_pretrained, read_pretrained
from advrec.gan.pairwise import observed_mask, restrict_items, softmax_draws


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------------------ helpers


def test_observed_mask_marks_stored_entries_of_the_chosen_rows():
    csr = sp.csr_matrix(np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0]], dtype=np.float32))
    got = observed_mask(csr, np.array([2, 0]))
    assert got.tolist() == [[False, True, False], [True, False, True]]


def test_softmax_draws_never_draw_excluded_items_and_mask_the_counts():
    logits = torch.zeros(2, 4)
    exclude = torch.tensor([[True, True, False, True], [False, False, False, False]])
    items, mask = softmax_draws(logits, np.array([3, 1]), exclude=exclude, generator=gen())
    assert items.shape == (2, 3)
    assert mask.tolist() == [[True, True, True], [True, False, False]]
    assert (items[0] == 2).all()  # the only item row 0 may draw


def test_softmax_draws_follow_the_softmax():
    logits = torch.log(torch.tensor([[0.7, 0.2, 0.1]]))
    items, _ = softmax_draws(logits, np.array([20000]), generator=gen(1))
    share = torch.bincount(items[0], minlength=3).float() / 20000
    assert torch.allclose(share, torch.tensor([0.7, 0.2, 0.1]), atol=0.02)


def test_softmax_draws_reject_bad_input():
    with pytest.raises(ValueError, match="excludes every item"):
        softmax_draws(torch.zeros(1, 2), np.array([1]), exclude=torch.ones(1, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="counts must be 2"):
        softmax_draws(torch.zeros(2, 3), np.array([1]))


def test_restrict_items_keeps_blocked_items_out_of_every_top_k():
    model = LFMScorer(2, 4, 2, seed=0)
    with torch.no_grad():
        model.item_bias.copy_(torch.tensor([5.0, 4.0, 0.0, -1.0]))  # item 0 would rank first
    train = sp.csr_matrix((2, 4), dtype=np.float32)
    test = sp.csr_matrix(np.array([[1, 0, 1, 0], [0, 1, 0, 0]], dtype=np.float32))
    allowed = np.array([False, True, True, True])
    result = evaluate(restrict_items(model, allowed), train, test, metrics=["PRECISION"], ks=[3])
    assert 0 not in result.topk
    # user 0: top 3 of items 1, 2, 3 -> one hit (item 2) of 3; user 1: item 1 ranks first -> one hit
    assert result["PRECISION@3"].tolist() == pytest.approx([1 / 3, 1 / 3])
    with pytest.raises(ValueError, match="allowed must be a boolean array of shape"):
        restrict_items(model, np.ones(3, dtype=bool))


# ------------------------------------------------------------------------------------------ model file


def write_model(path, n_users: int, n_items: int, d: int) -> None:
    lines = [f"{i}\t{i / 10}" for i in range(1, n_items + 1)]
    lines += [f"{i}\t" + "\t".join(str(i + f / 100) for f in range(d)) for i in range(1, n_items + 1)]
    lines += [f"{u}\t" + "\t".join(str(-u - f / 100) for f in range(d)) for u in range(1, n_users + 1)]
    path.write_text("\n".join(lines) + "\n")


def test_read_pretrained_places_each_id_at_row_id_minus_one(tmp_path):
    path = tmp_path / "G_pre_model-2.model"
    write_model(path, n_users=2, n_items=3, d=2)
    tables = read_pretrained(path, n_users=2, n_items=3)
    assert tables["bias"].tolist() == pytest.approx([0.1, 0.2, 0.3])
    np.testing.assert_allclose(tables["item"], [[1, 1.01], [2, 2.01], [3, 3.01]], rtol=1e-6)
    np.testing.assert_allclose(tables["user"], [[-1, -1.01], [-2, -2.01]], rtol=1e-6)
    with pytest.raises(ValueError, match="expected 9 lines"):
        read_pretrained(path, n_users=3, n_items=3)


def test_load_pretrained_reads_the_released_models(data_dir):
    if not (data_dir / "cofigan-data").is_dir():
        pytest.skip("cofigan-data is not in $ADVREC_DATA")
    tables = load_pretrained("G", root=data_dir)
    assert tables["user"].shape == (943, 20) and tables["item"].shape == (1682, 20)
    assert tables["bias"][0] == pytest.approx(1.1408342)  # the file's first line: "1<TAB>1.1408342"
    with pytest.raises(ValueError, match="player must be one of"):
        load_pretrained("X", root=data_dir)


# ------------------------------------------------------------------------------------------ CoFiGAN


def tables(user, item, bias) -> dict[str, np.ndarray]:
    return {"user": np.array(user, dtype=np.float32), "item": np.array(item, dtype=np.float32),
            "bias": np.array(bias, dtype=np.float32)}


def test_generator_step_is_the_official_closed_form_update():
    """D puts all of softmax(D) on item 0 and all of softmax(-D) on item 1, so every pair is (0, 1); the
    official update of item 0's bias is b0 - lr (L2X + reg b0) with L2X = sigmoid(g0 - g1) - 1."""
    g = tables([[0.3, -0.2]], [[0.1, 0.4], [-0.2, 0.5], [0.0, 0.1], [0.2, 0.2]], [0.5, 0.1, 0.0, 0.0])
    d = tables([[0.0, 0.0]], np.zeros((4, 2)), [30.0, -30.0, 0.0, 0.0])
    train = sp.csr_matrix(np.array([[0, 0, 1, 1]], dtype=np.float32))  # |I_u| = 2 pairs
    model = CoFiGAN(1, 4, 2, g_init=g, d_init=d, seed=0)
    lr, reg = 0.1, 0.01
    model.fit(train, epochs=1, g_steps=1, d_steps=0, lr_g=lr, reg_g=reg)
    p, q0, q1 = np.array([0.3, -0.2]), np.array([0.1, 0.4]), np.array([-0.2, 0.5])
    g0, g1 = p @ q0 + 0.5, p @ q1 + 0.1
    l2x = 1 / (1 + math.exp(g1 - g0)) - 1
    got = model.generator.item_bias.detach().numpy()
    assert got[0] == pytest.approx(0.5 - lr * (l2x + reg * 0.5), rel=1e-5)
    assert got[1] == pytest.approx(0.1 - lr * (-l2x + reg * 0.1), rel=1e-5)
    assert model.generator.user.detach().numpy()[0] == pytest.approx(p - lr * (l2x * (q0 - q1) + reg * p),
                                                                     rel=1e-5)
    assert got[2:].tolist() == [0.0, 0.0]  # items D never drew are untouched


def test_discriminator_negatives_are_never_the_users_training_items():
    train = sp.csr_matrix(np.array([[1, 1, 0, 0, 0], [0, 0, 1, 1, 1]], dtype=np.float32))
    model = CoFiGAN(2, 5, 3, seed=0)
    model.fit(train, epochs=1, g_steps=0, d_steps=1)
    neg = model._draws
    assert len(neg) == train.nnz
    assert set(neg[:2].tolist()) <= {2, 3, 4} and set(neg[2:].tolist()) <= {0, 1}


def test_training_improves_the_discriminator_on_planted_preferences():
    """Users 0-3 like items 0-2, users 4-7 items 3-5; after training D ranks a user's group higher."""
    rows = [[1, 1, 0, 0, 0, 0], [1, 0, 1, 0, 0, 0], [0, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0],
            [0, 0, 0, 1, 1, 0], [0, 0, 0, 1, 0, 1], [0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 0]]
    train = sp.csr_matrix(np.array(rows, dtype=np.float32))
    model = CoFiGAN(8, 6, 4, init_delta=0.1, scorer="discriminator", seed=0)
    history = model.fit(train, epochs=30, g_steps=1, d_steps=1, d_batch=4, lr_d=0.2, lr_g=0.1, seed=0)
    assert len(history) == 30 and all(math.isfinite(x) for x in history.d_loss + history.g_loss)
    scores = model.full_scores(torch.arange(8)).detach()
    assert (scores[:4, :3].mean() > scores[:4, 3:].mean()) and (scores[4:, 3:].mean() > scores[4:, :3].mean())


def test_fit_rejects_a_user_with_every_item_and_bad_settings():
    with pytest.raises(ValueError, match="observed every item"):
        CoFiGAN(1, 2, 2).fit(sp.csr_matrix(np.ones((1, 2), dtype=np.float32)), epochs=1)
    with pytest.raises(ValueError, match="resample_every"):
        CoFiGAN(1, 2, 2, resample_every=0)
