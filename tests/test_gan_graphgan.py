"""advrec.gan.graphgan: GraphGAN's scoring, initialisation checks and a short adversarial fit on a graph of
two planted communities, where the discriminator must learn to score true edges above non-edges."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.graph import undirected_adjacency
from advrec.gan.graphgan import GraphGAN


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _communities(n: int = 20, seed: int = 0) -> sp.csr_matrix:
    """Two dense communities of n/2 nodes (edge probability 0.5 inside), joined by a single edge."""
    rng = np.random.default_rng(seed)
    half = n // 2
    pairs = [(a, b) for block in (range(half), range(half, n)) for a in block for b in block
             if a < b and rng.random() < 0.5]
    pairs.append((0, half))
    return undirected_adjacency(np.array(pairs), n)


def test_scores_are_inner_products_of_node_embeddings() -> None:
    table = np.arange(5 * 2, dtype=np.float32).reshape(5, 2) / 10
    model = GraphGAN(2, 3, dim=2, g_init=table, d_init=table)
    scores = model.full_scores(torch.tensor([1])).detach().numpy()
    expected = table[1] @ table[2:].T  # items are nodes 2, 3, 4 of the user-item graph
    np.testing.assert_allclose(scores[0], expected, rtol=1e-6)
    np.testing.assert_allclose(model.link_scores(np.array([[0, 4]])), [table[0] @ table[4]], rtol=1e-6)
    mf = {"user": table[:2], "item": table[2:]}
    np.testing.assert_allclose(GraphGAN(2, 3, dim=2, g_init=mf).generator.emb.detach().numpy(), table)


def test_bad_arguments_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="g_init"):
        GraphGAN(2, 3, dim=2, g_init=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="n_users == n_items"):
        GraphGAN(3, 4, bipartite=False)
    with pytest.raises(ValueError, match="reward"):
        GraphGAN(3, 3, reward="log")
    with pytest.raises(ValueError, match="epochs"):
        GraphGAN(3, 3, bipartite=False).fit(sp.csr_matrix(np.eye(3)), epochs=0)


def test_fit_teaches_the_discriminator_the_edges() -> None:
    adj = _communities()
    n = adj.shape[0]
    model = GraphGAN(n, n, dim=8, bipartite=False, init_delta=0.3, seed=0)
    seen = []
    history = model.fit(adj, epochs=6, g_steps=1, d_steps=3, root_batch=8, n_samples=5, lr_g=0.02, lr_d=0.05,
                        seed=0, validate=lambda m: seen.append(1) or {"x": 1.0})
    assert len(history) == 6 and len(seen) == 7  # before training and after each epoch
    assert all(math.isfinite(x) for x in history.g_loss + history.d_loss)
    edges = np.stack(sp.triu(adj, 1).nonzero(), axis=1)
    non_edges = np.array([(a, b) for a in range(n) for b in range(a + 1, n) if adj[a, b] == 0])
    d_edges = model.link_scores(edges, "discriminator").mean()
    d_non = model.link_scores(non_edges, "discriminator").mean()
    assert d_edges > d_non + 0.5
