"""GRU4Rec: a recurrent network over the sequence of a user's items (Hidasi et al., ICLR 2016)."""

from __future__ import annotations

import torch
from torch import nn

from advrec.models.seeding import seeded
from advrec.models.sequential import SequentialRecommender


class GRU4Rec(SequentialRecommender):
    """Item embeddings -> GRU -> hidden state scored against the item table (dot product).

    Deviation from the paper: inputs are embeddings (not one-hot), and training is full softmax
    cross-entropy on user sequences (loss "next_item") rather than session-parallel mini-batches with
    BPR/TOP1; see `SequentialRecommender` for how histories are stored.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        dim: int = 64,
        *,
        layers: int = 1,
        max_len: int = 50,
        dropout: float = 0.0,
        init_std: float = 0.1,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items, dim, max_len, init_std=init_std, seed=seed)
        with seeded(seed + 1):
            self.gru = nn.GRU(
                dim, dim, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0
            )
        self.input_dropout = nn.Dropout(dropout)

    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        out, _ = self.gru(self.input_dropout(self.embed(inputs)))
        return out
