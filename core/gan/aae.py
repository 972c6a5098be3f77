"""Adversarial auto-encoder recommender (Vagliano, Galke, Mai and Scherp, RecSys Challenge 2018; after
Makhzani et al. 2016's adversarial auto-encoders), used there for automatic playlist continuation.

An auto-encoder reconstructs a user's (playlist's) item set from a code; a discriminator on the code
space tells codes from samples of a prior (a standard Gaussian), and the encoder also learns to fool it,
so the codes are regularised towards the prior. Each batch makes three steps, as in the authors' code:
reconstruction (binary cross-entropy of the decoder's output), the discriminator (prior samples real,
codes fake) and the encoder as generator (codes judged real). Items are ranked by the decoder's output
for the user's stored training row; `adversarial=False` gives the plain auto-encoder ablation.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from advrec.gan.losses import discriminator_loss, generator_loss
from advrec.gan.networks import MLPNet
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    check_counts,
    check_finite,
    make_optimizer,
    mean_or_nan,
    run_validate,
    torch_generator,
)
from advrec.models.base import Recommender
from advrec.models.seeding import seeded
from advrec.models.train_matrix import dense_rows, train_matrix


class AdversarialAutoEncoder(Recommender):
    """AAE recommender: three-layer encoder n_items -> hidden -> hidden -> code, decoder code -> hidden ->
    hidden -> n_items (logits), code discriminator code -> hidden -> hidden -> 1, as in the authors' code
    (hidden 100, code 50, ReLU, dropout 0.2 after each hidden layer, L1-normalised inputs, Adam with
    learning rate 0.001 for all three steps, batch 100)."""

    def __init__(
        self, n_users: int, n_items: int, hidden: int = 100, code: int = 50, *, dropout: float = 0.2,
        adversarial: bool = True, normalize_inputs: bool = True, seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if hidden <= 0 or code <= 0:
            raise ValueError(f"hidden and code must be positive, got {hidden} and {code}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.adversarial, self.normalize_inputs, self.dropout = adversarial, normalize_inputs, float(dropout)
        self.code_dim = int(code)
        with seeded(seed):
            self.encoder = MLPNet(n_items, code, hidden=(hidden, hidden), dropout=dropout)
            self.decoder = MLPNet(code, n_items, hidden=(hidden, hidden), dropout=dropout)
            self.critic = MLPNet(code, 1, hidden=(hidden, hidden), dropout=dropout)
        self.interactions: sp.csr_matrix = sp.csr_matrix((n_users, n_items), dtype=np.float32)

    def prepare(self, train: sp.spmatrix) -> None:
        """Store the training matrix whose rows are the model's input."""
        self.interactions = train_matrix(train, self)

    def encode(self, rows: torch.Tensor) -> torch.Tensor:
        """Codes of binary item rows (L1-normalised first when `normalize_inputs`)."""
        return self.encoder(F.normalize(rows, p=1, dim=1) if self.normalize_inputs else rows)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        rows = torch.from_numpy(dense_rows(self.interactions, users.cpu().numpy())).to(self.device)
        return self.decoder(self.encode(rows))

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.full_scores(users).gather(1, items.view(-1, 1)).squeeze(1)

    def fit(
        self, train: sp.spmatrix, epochs: int = 20, *, batch_size: int = 100, lr: float = 1e-3,
        lr_gen: float = 1e-3, lr_disc: float = 1e-3, seed: int = 0, validate: Validate | None = None,
    ) -> GANHistory:
        """Train on the user x item matrix `train` (any stored entry is an observed item); returns the
        history (g_loss: the encoder's generator loss, NaN when not adversarial; d_loss: the code
        discriminator's loss; validation metrics include the mean reconstruction loss)."""
        check_counts(epochs=epochs, batch_size=batch_size)
        self.prepare(train)
        users = np.flatnonzero(np.diff(self.interactions.indptr) > 0)
        if len(users) == 0:
            raise ValueError("train has no user with an observed item")
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_rec = make_optimizer("adam", [*self.encoder.parameters(), *self.decoder.parameters()], lr)
        opt_gen = make_optimizer("adam", self.encoder.parameters(), lr_gen)
        opt_disc = make_optimizer("adam", self.critic.parameters(), lr_disc)
        history = GANHistory(initial=run_validate(validate, self))
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            self.train()
            rec_losses, g_losses, d_losses = [], [], []
            order = rng.permutation(users)
            for lo in range(0, len(order), batch_size):
                batch = dense_rows(self.interactions, order[lo:lo + batch_size])
                rows = torch.from_numpy(batch).to(self.device)
                loss = F.binary_cross_entropy_with_logits(self.decoder(self.encode(rows)), rows)
                rec_losses.append(check_finite(loss.item(), "AAE reconstruction loss", epoch))
                opt_rec.zero_grad()
                loss.backward()
                opt_rec.step()
                if not self.adversarial:
                    continue
                prior = torch.randn(len(rows), self.code_dim, generator=gen, device=self.device)
                d_loss = discriminator_loss(self.critic(prior), self.critic(self.encode(rows).detach()))
                d_losses.append(check_finite(d_loss.item(), "AAE discriminator loss", epoch))
                opt_disc.zero_grad()
                d_loss.backward()
                opt_disc.step()
                g_loss = generator_loss(self.critic(self.encode(rows)))
                g_losses.append(check_finite(g_loss.item(), "AAE generator loss", epoch))
                opt_gen.zero_grad()
                g_loss.backward()
                opt_gen.step()
            metrics = {"reconstruction": mean_or_nan(rec_losses), **run_validate(validate, self)}
            history.record(mean_or_nan(g_losses), mean_or_nan(d_losses), metrics, time.perf_counter() - start)
        self.eval()
        return history
