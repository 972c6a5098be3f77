"""LSIC (Zhao et al., IEEE Transactions on Cybernetics 2019): PLASTIC's adversarial MF + RNN framework
made content-aware, for movie recommendation.

The generator and the discriminator are PLASTIC's (matrix factorisation for long-term preference, an RNN
over recent items for short-term dynamics, pair-wise game with REINFORCE), and each item's vector also
carries its content: the paper integrates movie posters (image features), which matter most for items
with few ratings. Here the content is any [n_items, F] feature matrix, mapped linearly into the item
vectors of both players.
"""

from __future__ import annotations

import numpy as np

from advrec.gan.plastic import PLASTIC


class LSIC(PLASTIC):
    """LSIC: PLASTIC whose players' item vectors add a linear map of `item_features` (required)."""

    def __init__(
        self, n_users: int, n_items: int, item_features: np.ndarray, dim: int = 32, *, max_len: int = 20,
        dropout: float = 0.0, baseline: str | float | None = "mean", temperature: float = 1.0, seed: int = 0,
    ) -> None:
        if item_features is None:
            raise ValueError("item_features is required: LSIC is PLASTIC with item content")
        super().__init__(n_users, n_items, dim, max_len=max_len, item_features=item_features, dropout=dropout,
                         baseline=baseline, temperature=temperature, seed=seed)
