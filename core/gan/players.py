"""What two-player GAN recommenders share about their players: which one ranks (`scorer`), and the check
that a player warm-started from pre-trained embeddings fits the model's users x items."""

from __future__ import annotations

import torch
from torch import nn

SCORERS = ("generator", "discriminator")


def check_scorer(scorer: str) -> str:
    """Return `scorer` if it names a player ("generator" or "discriminator"); raise otherwise."""
    if scorer not in SCORERS:
        raise ValueError(f"scorer must be one of {SCORERS}, got {scorer!r}")
    return scorer


def check_player_shape(player: nn.Module, n_users: int, n_items: int, name: str) -> nn.Module:
    """Return `player` if it scores `n_users` x `n_items`; `name` (e.g. "g_init") names it in the error."""
    if (player.n_users, player.n_items) != (n_users, n_items):
        raise ValueError(f"{name} has {player.n_users} users x {player.n_items} items, expected "
                         f"{n_users} x {n_items}")
    return player


class RankedByPlayer:
    """Mixin for a recommender with `generator` and `discriminator` scorers: it ranks with the one that
    `self.scorer` names, so the same trained game can be evaluated through either player."""

    scorer: str
    generator: nn.Module
    discriminator: nn.Module

    def ranking_player(self) -> nn.Module:
        """The player whose scores rank items (re-checked: `scorer` is a plain, settable attribute)."""
        return self.generator if check_scorer(self.scorer) == "generator" else self.discriminator

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.ranking_player().score(users, items)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        return self.ranking_player().full_scores(users)
