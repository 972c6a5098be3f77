"""advrec.gan.mfgan: the factor maps (popularity levels, first category) and MFGAN's players."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.mfgan import MFGAN, category_factor, popularity_factor
from advrec.gan.sequential import SequenceScorer
from advrec.models import SASRec


def test_popularity_factor_puts_items_in_equal_size_count_levels() -> None:
    # item counts 3, 0, 1, 2 -> ranks 3, 0, 1, 2 -> with 2 levels: 1, 0, 0, 1
    train = sp.csr_matrix(np.array([[1, 0, 1, 1], [1, 0, 0, 1], [1, 0, 0, 0]], dtype=np.float32))
    np.testing.assert_array_equal(popularity_factor(train, 2), [1, 0, 0, 1])
    np.testing.assert_array_equal(popularity_factor(train, 4), [3, 0, 1, 2])
    with pytest.raises(ValueError, match="bins"):
        popularity_factor(train, 0)


def test_category_factor_takes_the_first_category_and_gives_uncategorised_items_their_own() -> None:
    cats = np.array([[0, 1, 1], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(category_factor(cats), [1, 0, 3])
    with pytest.raises(ValueError, match="item_categories"):
        category_factor(np.array([1, 0]))


def test_mfgan_has_a_sasrec_generator_and_one_discriminator_per_factor() -> None:
    factors = {"item": None, "genre": np.array([0, 1, 0, 1, 2])}
    gan = MFGAN(3, 5, factors, dim=4, max_len=3, d_heads=2, seed=0)
    assert isinstance(gan.generator, SASRec)
    assert len(gan.discriminators) == 2 and all(isinstance(d, SequenceScorer) for d in gan.discriminators)
    assert gan.discriminators[0].item.shape == (5, 4) and gan.discriminators[1].item.shape == (3, 4)
    assert gan.weights == [0.5, 0.5] and gan.factor_names == ["item", "genre"]
    train = sp.csr_matrix(np.array([[1, 2, 3, 0, 0], [0, 1, 2, 3, 0], [0, 0, 1, 2, 3]], dtype=np.float32))
    history = gan.fit(train, epochs=1, samples=2, batch_size=3, d_warmup=1)
    assert len(history) == 1 and np.isfinite(history.g_loss[0]) and np.isfinite(history.d_loss[0])
    assert gan.full_scores(torch.tensor([0, 1])).shape == (2, 5)
    with pytest.raises(ValueError, match="factors"):
        MFGAN(3, 5, {})
