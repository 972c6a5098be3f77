"""SASRec: self-attentive sequential recommendation (Kang & McAuley, ICDM 2018)."""

from __future__ import annotations

import math

import torch
from torch import nn

from advrec.models.seeding import seeded
from advrec.models.sequential import SequentialRecommender


class SASRec(SequentialRecommender):
    """Item + learned position embeddings -> causal pre-norm Transformer blocks -> the last position's
    state scored against the shared item table.

    Deviation from the paper: trained with full softmax cross-entropy (loss "next_item") instead of one
    sampled negative per position; see `SequentialRecommender` for how histories are stored.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        dim: int = 64,
        *,
        blocks: int = 2,
        heads: int = 1,
        max_len: int = 50,
        dropout: float = 0.2,
        init_std: float = 0.1,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items, dim, max_len, init_std=init_std, seed=seed)
        self.heads = int(heads)
        with seeded(seed + 1):
            self.position = nn.Parameter(torch.randn(max_len, dim) * init_std)
            layer = nn.TransformerEncoderLayer(
                dim, heads, dim_feedforward=dim, dropout=dropout, batch_first=True, norm_first=True
            )
            self.blocks = nn.TransformerEncoder(layer, blocks, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def _mask(self, inputs: torch.Tensor) -> torch.Tensor:
        """[B * heads, L, L] boolean mask (True = blocked): causal, padded keys blocked, the diagonal
        always open so that padded positions attend to themselves."""
        length = inputs.shape[1]
        idx = torch.arange(length, device=inputs.device)
        future = idx[None, :] > idx[:, None]
        padded_key = (inputs == 0)[:, None, :] & (idx[None, :] != idx[:, None])[None]
        return (future[None] | padded_key).repeat_interleave(self.heads, dim=0)

    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.shape[1] > self.max_len:
            raise ValueError(f"inputs are {inputs.shape[1]} long, more than max_len={self.max_len}")
        x = self.embed(inputs) * math.sqrt(self.item.shape[1]) + self.position[-inputs.shape[1] :]
        x = self.dropout(x) * (inputs > 0).unsqueeze(-1)
        return self.norm(self.blocks(x, mask=self._mask(inputs)))
