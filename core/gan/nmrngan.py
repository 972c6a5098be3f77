"""NMRN-GAN (Wang et al., KDD 2018): a streaming recommender trained with adversarially generated
negative items.

The recommender (the discriminator D) scores the next item from a long-term user factor and a short-term
recurrent memory of the user's recent items (the paper's key-value memory network, here an LSTM state
beside a user factor); it learns pair-wise, ranking the real next item above negative items. Instead of
uniform negatives, a generator G (an MLP over the current item plus a user factor) proposes negatives
from its softmax and is trained by REINFORCE to propose items D ranks high, so D keeps seeing informative
negatives. D recommends; `negatives="uniform"` gives the random-sampling baseline with the same D.
"""

from __future__ import annotations

from advrec.gan.sequential import SequenceGAN, SequenceScorer


class NMRNGAN(SequenceGAN):
    """NMRN-GAN: LSTM + user-factor recommender (D, which scores) and an MLP negative sampler (G), in the
    pair-wise game; `negatives="uniform"` trains the same recommender on uniform negatives only."""

    def __init__(
        self, n_users: int, n_items: int, dim: int = 32, *, max_len: int = 20, negatives: str = "generator",
        baseline: str | float | None = "mean", temperature: float = 1.0, seed: int = 0,
    ) -> None:
        recommender = SequenceScorer(n_users, n_items, dim, encoder="lstm", user_factors=True,
                                     max_len=max_len, seed=seed)
        sampler = SequenceScorer(n_users, n_items, dim, encoder="mlp", user_factors=True, max_len=max_len,
                                 seed=seed + 100)
        super().__init__(sampler, recommender, mode="pair", baseline=baseline, scorer="discriminator",
                         negatives=negatives, temperature=temperature)
