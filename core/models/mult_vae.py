"""Mult-VAE: variational auto-encoder with a multinomial likelihood (Liang et al., WWW 2018)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.models.base import EmbeddingRecommender
from advrec.models.seeding import seeded
from advrec.models.train_matrix import dense_rows, train_matrix


class MultVAE(EmbeddingRecommender):
    """Encoder: L2-normalised row -> dropout -> tanh layer -> (mu, log sigma^2); decoder: z -> tanh layer
    -> item logits (softmax over items).

    Trained with loss "multvae" (negative ELBO, KL weight annealed linearly to `beta_cap` over
    `anneal_steps` updates). `full_scores(users)` decodes the mean code of the users' training rows stored
    by `prepare(train)`. embeddings() = {"item": the decoder's output item table}.
    """

    default_loss = "multvae"

    def __init__(
        self,
        n_users: int,
        n_items: int,
        hidden: int = 600,
        latent: int = 200,
        *,
        dropout: float = 0.5,
        beta_cap: float = 0.2,
        anneal_steps: int = 20000,
        seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.dropout = float(dropout)
        self.beta_cap = float(beta_cap)
        self.anneal_steps = int(anneal_steps)
        with seeded(seed):
            self.encoder = nn.Linear(n_items, hidden)
            self.code = nn.Linear(hidden, 2 * latent)
            self.decoder = nn.Linear(latent, hidden)
            out = nn.Linear(hidden, n_items)
        self.item = nn.Parameter(out.weight.detach().clone())
        self.item_bias = nn.Parameter(out.bias.detach().clone())
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))
        self.interactions: sp.csr_matrix = sp.csr_matrix((n_users, n_items), dtype=np.float32)

    def prepare(self, train: sp.csr_matrix) -> None:
        """Store the training matrix whose rows are the model's input."""
        self.interactions = train_matrix(train, self)

    def embeddings(self) -> dict[str, torch.Tensor]:
        return {"item": self.item}

    @property
    def beta(self) -> float:
        """The current KL weight: min(beta_cap, updates / anneal_steps)."""
        return min(self.beta_cap, float(self.updates) / max(self.anneal_steps, 1))

    def forward_rows(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(logits, mu, logvar) for input rows; samples z in training mode, uses z = mu otherwise."""
        x = F.dropout(F.normalize(rows, dim=1), self.dropout, self.training)
        mu, logvar = self.code(torch.tanh(self.encoder(x))).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        logits = F.linear(torch.tanh(self.decoder(z)), self.table("item"), self.item_bias)
        return logits, mu, logvar

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        rows = torch.from_numpy(dense_rows(self.interactions, users.cpu().numpy())).to(self.item.device)
        return self.forward_rows(rows)[0]

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.full_scores(users).gather(1, items.view(-1, 1)).squeeze(1)


def multvae_loss(model: MultVAE, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Negative ELBO: multinomial log-likelihood of the row plus beta * KL(q(z|x) || N(0, I)); each call in
    training mode advances the KL annealing by one update."""
    rows = batch["rows"]
    logits, mu, logvar = model.forward_rows(rows)
    nll = -(F.log_softmax(logits, dim=1) * rows).sum(dim=1).mean()
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1).mean()
    beta = model.beta
    if model.training:
        model.updates += 1
    return nll + beta * kl
