"""GraphGAN (Wang et al., AAAI 2018): graph representation learning as a minimax game over node pairs.

For a root v_c, the generator G(v | v_c) is the *graph softmax* over the BFS tree of v_c (`graph_softmax`
in `advrec.gan.graph`), with node embeddings g_v and biases; the discriminator D(v, v_c) = sigmoid(d_v .
d_{v_c} + b_v) tells the root's true neighbours from nodes drawn from G. One epoch is `d_steps` passes of D
then `g_steps` passes of G over (a sample of) the roots:
- D, point-wise: per root, its training neighbours are positives and as many nodes drawn from G are
  negatives (drawn among the nodes that are not neighbours, as the official code skips 1-hop nodes when it
  samples for D); loss = mean BCE + reg_d * half the squared norms of the rows involved.
- G: per root, `n_samples` nodes are drawn from G(. | v_c) and G follows the REINFORCE gradient of
  E_G[log(1 + exp(f_D(v, v_c)))] = E_G[-log(1 - D(v, v_c))] (the paper's objective), with the exact
  log G(v | v_c) of the graph softmax (the official code instead scores node pairs within a window of the
  sampled walk with sigmoid(g_v . g_w + b_w)).
The official defaults: dimension 50, both players initialised from pre-trained embeddings, Adam with
learning rate 1e-3, L2 1e-5, 20 epochs of 30 D and 30 G passes, 20 samples per root.

A recommender on the user-item graph (`bipartite=True`, nodes = users then items) or a link predictor on a
node x node graph (`bipartite=False`); `full_scores` are inner products of the chosen player's embeddings,
as the official evaluation scores node pairs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from advrec.gan.graph import bfs_tree, bipartite_adjacency, graph_softmax, undirected_adjacency
from advrec.gan.samplers import reinforce_loss
from advrec.gan.trainer import (
    GANHistory,
    Validate,
    alternate,
    check_counts,
    check_finite,
    check_schedule,
    player_optimizers,
    torch_generator,
)
from advrec.models.base import EmbeddingRecommender, Recommender
from advrec.models.seeding import seeded
from advrec.models.train_matrix import train_matrix

_PLAYERS = ("generator", "discriminator")
_REWARDS = ("softplus", "sigmoid")


class NodeScorer(nn.Module):
    """Node embeddings e_v and biases b_v; f(a, b) = e_a . e_b + b_b (GraphGAN's G and D)."""

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.emb = nn.Parameter(table.clone().float())
        self.bias = nn.Parameter(torch.zeros(table.shape[0]))

    def score(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (self.emb[a] * self.emb[b]).sum(-1) + self.bias[b]

    def l2(self, nodes: torch.Tensor) -> torch.Tensor:
        """Half the summed squared norms of the rows (and biases) of `nodes`."""
        return (self.emb[nodes].pow(2).sum() + self.bias[nodes].pow(2).sum()) / 2


class GraphGAN(Recommender):
    """GraphGAN over the user-item graph (`bipartite=True`) or a node graph given as a square matrix.

    `g_init`/`d_init`: an [n_nodes, dim] array, a mapping with "user"/"item" tables (stacked as nodes), or an
    embedding model such as a BPR-MF; None starts from U(-init_delta, init_delta). `exclude_neighbors`
    draws D's negatives among non-neighbours of the root (the official code); `reward` "softplus" is the
    paper's log(1 + exp(f_D)), "sigmoid" is sigmoid(f_D).
    """

    def __init__(
        self, n_users: int, n_items: int, dim: int = 50, *, bipartite: bool = True,
        g_init: np.ndarray | Mapping[str, object] | Recommender | None = None,
        d_init: np.ndarray | Mapping[str, object] | Recommender | None = None, init_delta: float = 0.1,
        reward: str = "softplus", baseline: str | float | None = None, exclude_neighbors: bool = True,
        scorer: str = "generator", seed: int = 0,
    ) -> None:
        super().__init__(n_users, n_items)
        if not bipartite and n_users != n_items:
            raise ValueError(f"a node graph (bipartite=False) needs n_users == n_items, got {n_users} and "
                             f"{n_items}")
        if reward not in _REWARDS:
            raise ValueError(f"reward must be one of {_REWARDS}, got {reward!r}")
        if scorer not in _PLAYERS:
            raise ValueError(f"scorer must be one of {_PLAYERS}, got {scorer!r}")
        if dim <= 0 or init_delta < 0:
            raise ValueError(f"dim must be positive and init_delta >= 0, got {dim} and {init_delta}")
        self.bipartite, self.reward, self.baseline = bipartite, reward, baseline
        self.exclude_neighbors, self.scorer = exclude_neighbors, scorer
        self.n_nodes = n_users + n_items if bipartite else n_users
        self.generator = NodeScorer(self._table(g_init, dim, init_delta, seed, "g_init"))
        self.discriminator = NodeScorer(self._table(d_init, dim, init_delta, seed + 1, "d_init"))

    def _table(self, init: object, dim: int, delta: float, seed: int, name: str) -> torch.Tensor:
        if init is None:
            with seeded(seed):
                return (torch.rand(self.n_nodes, dim) * 2 - 1) * delta
        if isinstance(init, EmbeddingRecommender | Mapping):
            tables = init.embeddings() if isinstance(init, EmbeddingRecommender) else init
            if "user" not in tables or "item" not in tables:
                raise KeyError(f"{name} needs 'user' and 'item' tables, has {sorted(tables)}")
            parts = [np.asarray(_numpy(tables[k]), dtype=np.float32) for k in ("user", "item")]
            table = np.vstack(parts) if self.bipartite else parts[0]
        else:
            table = np.asarray(init, dtype=np.float32)
        if table.ndim != 2 or table.shape[0] != self.n_nodes:
            raise ValueError(f"{name} must give {self.n_nodes} node rows, got shape {table.shape}")
        return torch.as_tensor(table)

    def _player(self, player: str | None = None) -> NodeScorer:
        name = self.scorer if player is None else player
        if name not in _PLAYERS:
            raise ValueError(f"player must be one of {_PLAYERS}, got {name!r}")
        return self.generator if name == "generator" else self.discriminator

    def _item_nodes(self, items: torch.Tensor) -> torch.Tensor:
        return items + self.n_users if self.bipartite else items

    def score(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        emb = self._player().emb
        items = self._item_nodes(torch.as_tensor(items, device=self.device))
        return (emb[torch.as_tensor(users, device=self.device)] * emb[items]).sum(-1)

    def full_scores(self, users: torch.Tensor) -> torch.Tensor:
        emb = self._player().emb
        items = self._item_nodes(torch.arange(self.n_items, device=self.device))
        return emb[torch.as_tensor(users, device=self.device)] @ emb[items].T

    @torch.no_grad()
    def link_scores(self, pairs: np.ndarray, player: str | None = None) -> np.ndarray:
        """Inner products e_a . e_b of node pairs [(a, b), ...] (GraphGAN's link-prediction score)."""
        pairs = np.asarray(pairs, dtype=np.int64)
        if pairs.ndim != 2 or pairs.shape[1] != 2:
            raise ValueError(f"pairs must be an (E, 2) array of node ids, got shape {pairs.shape}")
        emb = self._player(player).emb
        a, b = (torch.as_tensor(pairs[:, k], device=self.device) for k in (0, 1))
        return (emb[a] * emb[b]).sum(-1).cpu().numpy()

    def graph(self, train: sp.spmatrix) -> sp.csr_matrix:
        """The symmetric node graph of `train` (the user-item graph, or the node matrix made undirected)."""
        csr = train_matrix(train, self, "train")
        return bipartite_adjacency(csr) if self.bipartite else undirected_adjacency(csr)

    def fit(
        self, train: sp.spmatrix, epochs: int = 20, g_steps: int = 30, d_steps: int = 30, *,
        roots: int | None = None, root_batch: int = 64, n_samples: int = 20, lr_g: float = 1e-3,
        lr_d: float = 1e-3, reg_g: float = 1e-5, reg_d: float = 1e-5, optimizer: str = "adam", seed: int = 0,
        validate: Validate | None = None,
    ) -> GANHistory:
        """Train D and G alternately on the graph of `train`; each pass visits `roots` nodes drawn at random
        (all non-isolated nodes when None) in batches of `root_batch`. Returns the history (g_loss: G's cost
        E_G[-reward]; d_loss: D's mean BCE)."""
        check_schedule(epochs, g_steps, d_steps, reg_g, reg_d, root_batch=root_batch, n_samples=n_samples)
        if roots is not None:
            check_counts(roots=roots)
        adj = self.graph(train)
        nodes = np.flatnonzero(np.diff(adj.indptr) > 0)
        if len(nodes) == 0:
            raise ValueError("train has no edge: GraphGAN needs a graph with at least one edge")
        rng = np.random.default_rng(seed)
        gen = torch_generator(seed, self.device)
        opt_g, opt_d = player_optimizers(self, optimizer, lr_g, lr_d)

        def d_pass(epoch: int) -> float:
            return self._d_pass(adj, self._roots(nodes, roots, rng), opt_d, root_batch, reg_d, gen, epoch)

        def g_pass(epoch: int) -> float:
            return self._g_pass(adj, self._roots(nodes, roots, rng), opt_g, root_batch, n_samples, reg_g, gen,
                                epoch)

        return alternate(self, epochs, d_steps, g_steps, d_pass, g_pass, validate)

    @staticmethod
    def _roots(nodes: np.ndarray, roots: int | None, rng: np.random.Generator) -> np.ndarray:
        order = rng.permutation(nodes)
        return order if roots is None else order[:roots]

    def _d_pass(self, adj: sp.csr_matrix, roots: np.ndarray, opt: torch.optim.Optimizer, batch: int,
                reg: float, gen: torch.Generator, epoch: int) -> float:
        dev, d = self.device, self.discriminator
        losses = []
        for start in range(0, len(roots), batch):
            chunk = roots[start:start + batch]
            with torch.no_grad():
                probs = graph_softmax(self.generator.emb, self.generator.bias,
                                      [bfs_tree(adj, r) for r in chunk]).exp()
            rows = adj[chunk]
            degree = np.diff(rows.indptr)
            owner = np.repeat(np.arange(len(chunk)), degree)
            if self.exclude_neighbors:
                probs[torch.as_tensor(owner, device=dev), torch.as_tensor(rows.indices, device=dev)] = 0.0
            ok = (probs.sum(dim=1) > 0).cpu().numpy() & (degree > 0)
            drawn = np.zeros((0, 0), dtype=np.int64)
            if ok.any():
                drawn = torch.multinomial(probs[torch.as_tensor(ok, device=dev)], int(degree[ok].max()),
                                          replacement=True, generator=gen).cpu().numpy()
            keep = np.arange(drawn.shape[1])[None, :] < degree[ok][:, None]
            neg_root = np.repeat(chunk[ok], degree[ok])
            a = torch.as_tensor(np.concatenate([chunk[owner], neg_root]), device=dev)
            b = torch.as_tensor(np.concatenate([rows.indices, drawn[keep]]), device=dev)
            labels = torch.cat([torch.ones(len(owner), device=dev), torch.zeros(len(neg_root), device=dev)])
            loss = F.binary_cross_entropy_with_logits(d.score(a, b), labels)
            losses.append(check_finite(loss.item(), "GraphGAN discriminator loss", epoch))
            opt.zero_grad()
            (loss + reg * d.l2(torch.cat([a, b]))).backward()
            opt.step()
        return float(np.mean(losses))

    def _g_pass(self, adj: sp.csr_matrix, roots: np.ndarray, opt: torch.optim.Optimizer, batch: int,
                n_samples: int, reg: float, gen: torch.Generator, epoch: int) -> float:
        dev, g = self.device, self.generator
        costs = []
        for start in range(0, len(roots), batch):
            chunk = roots[start:start + batch]
            log_g = graph_softmax(g.emb, g.bias, [bfs_tree(adj, r) for r in chunk])
            items = torch.multinomial(log_g.detach().exp(), n_samples, replacement=True, generator=gen)
            bu = torch.as_tensor(chunk, device=dev)
            with torch.no_grad():
                logits = self.discriminator.score(bu[:, None].expand_as(items), items)
                rewards = F.softplus(logits) if self.reward == "softplus" else torch.sigmoid(logits)
            loss = reinforce_loss(log_g.gather(1, items), rewards, self.baseline)
            costs.append(check_finite(-rewards.mean().item(), "GraphGAN generator cost", epoch) * len(chunk))
            opt.zero_grad()
            (loss + reg * g.l2(torch.cat([bu, items.reshape(-1)]))).backward()
            opt.step()
        return float(np.sum(costs) / len(roots))


def _numpy(value: object) -> object:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
