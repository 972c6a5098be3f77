"""advrec.gan.graph: adjacency building, BFS trees, GraphGAN's graph softmax against hand-computed walk
probabilities, the median-threshold link-prediction rule and the word2vec embedding reader."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from advrec.gan.graph import (
    bfs_tree,
    bipartite_adjacency,
    graph_softmax,
    link_prediction_correct,
    read_node_embeddings,
    undirected_adjacency,
)

# a tree 0-1, 0-2, 1-3, 1-4, 2-5 plus an isolated node 6
EDGES = np.array([[0, 1], [0, 2], [1, 3], [1, 4], [2, 5]])


def test_undirected_adjacency_is_symmetric_binary_without_self_loops() -> None:
    adj = undirected_adjacency(np.array([[0, 1], [1, 0], [2, 2], [1, 2]]), 4)
    dense = adj.toarray()
    assert dense.tolist() == [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    with pytest.raises(ValueError, match="square"):
        undirected_adjacency(sp.csr_matrix((2, 3)))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        undirected_adjacency(np.array([[0, 3]]), 3)


def test_bipartite_adjacency_puts_items_after_users() -> None:
    train = sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 0]]))
    adj = bipartite_adjacency(train).toarray()
    assert adj.shape == (5, 5)
    assert adj[0, 2] == adj[2, 0] == adj[0, 4] == adj[1, 3] == 1
    assert adj.sum() == 6


def test_bfs_tree_parents_and_depths() -> None:
    tree = bfs_tree(undirected_adjacency(EDGES, 7), 1)
    nodes = tree.nodes.tolist()
    assert nodes[0] == 1 and sorted(nodes) == [0, 1, 2, 3, 4, 5]
    parent_of = {nodes[i]: nodes[p] for i, p in enumerate(tree.parent) if p >= 0}
    assert parent_of == {0: 1, 3: 1, 4: 1, 2: 0, 5: 2}
    assert dict(zip(nodes, tree.depth.tolist(), strict=True)) == {1: 0, 0: 1, 3: 1, 4: 1, 2: 2, 5: 3}
    with pytest.raises(ValueError, match="root"):
        bfs_tree(undirected_adjacency(EDGES, 7), 7)


def test_graph_softmax_matches_the_walk_probabilities() -> None:
    adj = undirected_adjacency(EDGES, 7)
    emb = torch.tensor([[0.5, 0.0], [0.2, 1.0], [-0.3, 0.4], [1.0, 1.0], [0.0, -1.0], [0.7, 0.1], [1, 1]])
    bias = torch.tensor([0.1, -0.2, 0.0, 0.3, 0.0, 0.5, 0.0])

    def step(src: int, dst: int, options: list[int]) -> float:  # p(dst | src) over src's tree neighbours
        logits = [float(emb[src] @ emb[o] + bias[o]) for o in options]
        return math.exp(logits[options.index(dst)]) / sum(math.exp(x) for x in logits)

    log_g = graph_softmax(emb, bias, [bfs_tree(adj, 0), bfs_tree(adj, 6)])
    # root 0: walk 0 -> 1 -> 3, stop at the leaf 3 (its only neighbour is its parent)
    assert log_g[0, 3].exp().item() == pytest.approx(step(0, 1, [1, 2]) * step(1, 3, [0, 3, 4]), rel=1e-5)
    # stop at 1: walk 0 -> 1, then the step back to the parent 0
    assert log_g[0, 1].exp().item() == pytest.approx(step(0, 1, [1, 2]) * step(1, 0, [0, 3, 4]), rel=1e-5)
    assert log_g[0].exp().sum().item() == pytest.approx(1.0, abs=1e-6)
    assert math.isinf(log_g[0, 0].item()) and math.isinf(log_g[0, 6].item())
    assert torch.isinf(log_g[1]).all()  # an isolated root generates nothing


def test_graph_softmax_is_differentiable() -> None:
    adj = undirected_adjacency(EDGES, 7)
    emb = torch.randn(7, 3, requires_grad=True)
    graph_softmax(emb, None, [bfs_tree(adj, 2)])[0, 3].backward()
    assert torch.isfinite(emb.grad).all() and emb.grad[[1, 0, 2, 3]].abs().sum() > 0
    assert emb.grad[6].abs().sum() == 0
    with pytest.raises(ValueError, match="trees"):
        graph_softmax(emb, None, [])


def test_link_prediction_correct_uses_the_median_threshold() -> None:
    assert link_prediction_correct(np.array([3.0, 2.0]), np.array([1.0, 0.0])).tolist() == [True] * 4
    # median 1.5: positive 0 and negative 2 are misclassified
    assert link_prediction_correct(np.array([0.0, 3.0]), np.array([2.0, 1.0])).tolist() == [False, True,
                                                                                             False, True]
    with pytest.raises(ValueError, match="non-empty"):
        link_prediction_correct(np.array([]), np.array([1.0]))


def test_read_node_embeddings(tmp_path) -> None:
    path = tmp_path / "x.emb"
    path.write_text("2 3\n0 1 2 3\n2 -1 0 0.5\n")
    table, known = read_node_embeddings(path, 4)
    assert table.shape == (4, 3) and known.tolist() == [True, False, True, False]
    assert table[0].tolist() == [1, 2, 3] and table[2].tolist() == [-1, 0, 0.5]
    assert ((table[[1, 3]] >= 0) & (table[[1, 3]] < 1)).all()
    path.write_text("2 3\n0 1 2\n")
    with pytest.raises(ValueError, match="expected 2 lines"):
        read_node_embeddings(path, 4)
