"""PLASTIC (Zhao et al., IJCAI 2018): long- and short-term information in top-n recommendation through
adversarial training.

The generator combines matrix factorisation (long-term user-item association: a user factor against an
item factor) with an LSTM over the user's recent items (short-term, session-like dynamics) and recommends
the next item as a reinforcement-learning agent; the discriminator is a two-input Siamese network built
the same way (MF + RNN) that learns, pair-wise, to rank the user's real next item above the generator's
proposal. G follows REINFORCE on D's pair-wise reward log(1 + exp(D(proposal) - D(real))) and recommends.
"""

from __future__ import annotations

import numpy as np

from advrec.gan.sequential import SequenceGAN, SequenceScorer


class PLASTIC(SequenceGAN):
    """PLASTIC: MF + LSTM generator and Siamese MF + LSTM discriminator (`SequenceScorer` with user
    factors), pair-wise game; `item_features` (an [n_items, F] content matrix) enter both players' item
    vectors (LSIC's content-aware variant). Pre-train `self.generator` with `next_step_loss` first."""

    def __init__(
        self, n_users: int, n_items: int, dim: int = 32, *, max_len: int = 20,
        item_features: np.ndarray | None = None, dropout: float = 0.0,
        baseline: str | float | None = "mean", temperature: float = 1.0, seed: int = 0,
    ) -> None:
        players = [SequenceScorer(n_users, n_items, dim, encoder="lstm", user_factors=True, max_len=max_len,
                                  item_features=item_features, dropout=dropout, seed=seed + k)
                   for k in (0, 100)]
        super().__init__(players[0], players[1], mode="pair", baseline=baseline, temperature=temperature)
