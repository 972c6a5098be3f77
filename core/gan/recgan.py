"""RecGAN (Bharadhwaj, Park and Lim, RecSys 2018): IRGAN's minimax game with recurrent players.

The generator and the discriminator are GRU networks over the user's time-ordered history, each with a
stationary user factor beside the recurrent state (the paper's "collaborative filtering mechanism", after
Recurrent Recommender Networks), so both score the next item from short-term dynamics and long-term
taste. G proposes next items, D tells them from the real next item (point-wise), G follows REINFORCE on
D's reward; G recommends. The paper's customised GRU cells (separate user and item recurrences) are
simplified to one GRU over the user's item sequence.
"""

from __future__ import annotations

from advrec.gan.sequential import SequenceGAN, SequenceScorer


class RecGAN(SequenceGAN):
    """RecGAN: GRU + user-factor generator and discriminator (`SequenceScorer`), point-wise game; pre-train
    `self.generator` with `next_step_loss` before `fit`, as IRGAN pre-trains its generator."""

    def __init__(
        self, n_users: int, n_items: int, dim: int = 32, *, max_len: int = 20, dropout: float = 0.0,
        reward: str = "prob", baseline: str | float | None = "mean", temperature: float = 1.0, seed: int = 0,
    ) -> None:
        players = [SequenceScorer(n_users, n_items, dim, encoder="gru", user_factors=True, max_len=max_len,
                                  dropout=dropout, seed=seed + k) for k in (0, 100)]
        super().__init__(players[0], players[1], mode="point", reward=reward, baseline=baseline,
                         temperature=temperature)
