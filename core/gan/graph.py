"""Graph pieces shared by the graph-based GAN recommenders (survey Section 3.3.1, Table 5 rows 17-20).

- `undirected_adjacency` / `bipartite_adjacency`: the node graph a model walks (an edge list or a user x item
  matrix as a symmetric, binary CSR matrix without self-loops).
- `bfs_tree` and `graph_softmax`: GraphGAN's generator (Wang et al., AAAI 2018). For a root v_c, the BFS
  tree T_c of the graph defines, at every tree node v, a softmax over v's tree neighbours N_c(v) (parent and
  children), p_c(w | v) = exp(g_w . g_v + b_w) / sum_{w' in N_c(v)} exp(g_w' . g_v + b_w'), and
  G(v | v_c) = prod_{edges (a -> b) on the path v_c -> v} p_c(b | a) * p_c(parent(v) | v). This is the law
  of the paper's random walk that goes down the tree and stops at v when the next step would go back up;
  it sums to 1 over the root's connected component. `graph_softmax` computes log G for every node exactly,
  vectorised over a batch of trees, and is differentiable in the embeddings.
- `link_prediction_correct` / `read_node_embeddings`: the released link-prediction protocol (median
  threshold on dot products) and the word2vec-format embedding files GraphGAN pre-trains with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import breadth_first_order


def undirected_adjacency(edges: np.ndarray | sp.spmatrix, n_nodes: int | None = None) -> sp.csr_matrix:
    """Symmetric binary CSR adjacency of an (E, 2) edge array or a square sparse matrix, no self-loops."""
    if sp.issparse(edges):
        if edges.shape[0] != edges.shape[1]:
            raise ValueError(f"a node x node matrix must be square, got shape {edges.shape}")
        coo = edges.tocoo()
        rows, cols, n = coo.row, coo.col, edges.shape[0]
    else:
        pairs = np.asarray(edges)
        if pairs.ndim != 2 or pairs.shape[1] != 2:
            raise ValueError(f"edges must be an (E, 2) array of node ids, got shape {pairs.shape}")
        rows, cols = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
        n = int(pairs.max()) + 1 if n_nodes is None and len(pairs) else int(n_nodes or 0)
    if n <= 0:
        raise ValueError("the graph has no nodes (pass n_nodes)")
    if len(rows) and (min(rows.min(), cols.min()) < 0 or max(rows.max(), cols.max()) >= n):
        raise ValueError(f"edge endpoints must be node ids in [0, {n}), got [{min(rows.min(), cols.min())}, "
                         f"{max(rows.max(), cols.max())}]")
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    data = np.ones(2 * len(rows), dtype=np.float32)
    adj = sp.csr_matrix((data, (np.concatenate([rows, cols]), np.concatenate([cols, rows]))), shape=(n, n))
    adj.data[:] = 1.0
    adj.sort_indices()
    return adj


def bipartite_adjacency(train: sp.spmatrix) -> sp.csr_matrix:
    """The user-item graph of a user x item matrix: nodes 0..n_users-1 are users, then the items."""
    if not sp.issparse(train):
        raise TypeError(f"train must be a scipy.sparse user x item matrix, got {type(train).__name__}")
    coo = train.tocoo()
    n_users, n_items = train.shape
    edges = np.stack([coo.row.astype(np.int64), coo.col.astype(np.int64) + n_users], axis=1)
    return undirected_adjacency(edges, n_users + n_items)


@dataclass(frozen=True)
class BFSTree:
    """The BFS tree of `root`: `nodes` in BFS order (root first), `parent[i]` the position in `nodes` of
    node i's parent (-1 for the root) and `depth[i]` its distance from the root."""

    root: int
    nodes: np.ndarray
    parent: np.ndarray
    depth: np.ndarray


def bfs_tree(adjacency: sp.csr_matrix, root: int) -> BFSTree:
    """The breadth-first-search tree of `root` over the symmetric `adjacency` (its connected component)."""
    n = adjacency.shape[0]
    if not 0 <= root < n:
        raise ValueError(f"root must be a node id in [0, {n}), got {root}")
    order, pred = breadth_first_order(adjacency, int(root), directed=True, return_predecessors=True)
    position = np.full(n, -1, dtype=np.int64)
    position[order] = np.arange(len(order))
    parent = np.full(len(order), -1, dtype=np.int64)
    parent[1:] = position[pred[order[1:]]]
    depth = np.zeros(len(order), dtype=np.int64)
    while len(order) > 1:  # one round per level: stable once every node counts its ancestors
        new = np.concatenate([[0], depth[parent[1:]] + 1])
        if np.array_equal(new, depth):
            break
        depth = new
    return BFSTree(int(root), order.astype(np.int64), parent, depth)


def graph_softmax(
    embeddings: torch.Tensor, bias: torch.Tensor | None, trees: Sequence[BFSTree],
) -> torch.Tensor:
    """log G(v | root) of GraphGAN's graph softmax for every node, one row per tree: [len(trees), n_nodes].

    Nodes outside a root's component, and the root itself, get -inf; each row's exp sums to 1 (or is all
    zero for an isolated root). Differentiable in `embeddings` [n_nodes, dim] and `bias` [n_nodes].
    """
    if not trees:
        raise ValueError("trees must hold at least one BFSTree")
    n_nodes = embeddings.shape[0]
    dev = embeddings.device
    sizes = [len(t.nodes) for t in trees]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    node = torch.as_tensor(np.concatenate([t.nodes for t in trees]), device=dev)
    row = torch.as_tensor(np.repeat(np.arange(len(trees)), sizes), device=dev)
    parent = np.concatenate([np.where(t.parent >= 0, t.parent + o, -1) for t, o in zip(trees, offsets,
                                                                                         strict=True)])
    child_pos = torch.as_tensor(np.flatnonzero(parent >= 0), device=dev)
    parent_pos = torch.as_tensor(parent[parent >= 0], device=dev)
    total = len(parent)
    out = torch.full((len(trees), n_nodes), -math.inf, device=dev, dtype=embeddings.dtype)
    if len(child_pos) == 0:
        return out
    c, p = node[child_pos], node[parent_pos]
    dot = (embeddings[c] * embeddings[p]).sum(-1)
    down = dot if bias is None else dot + bias[c]  # logit of stepping p -> c, seen from p
    up = dot if bias is None else dot + bias[p]  # logit of stepping c -> p, seen from c
    source = torch.cat([parent_pos, child_pos])
    logits = torch.cat([down, up])
    peak = torch.full((total,), -math.inf, device=dev, dtype=logits.dtype)
    peak = peak.scatter_reduce(0, source, logits.detach(), reduce="amax")
    summed = torch.zeros(total, device=dev, dtype=logits.dtype).index_add(0, source,
                                                                          (logits - peak[source]).exp())
    log_norm = peak + summed.clamp_min(1e-30).log()
    log_down = torch.zeros(total, device=dev, dtype=logits.dtype).index_put((child_pos,),
                                                                            down - log_norm[parent_pos])
    log_up = up - log_norm[child_pos]
    # log of the probability of walking from the root down to each node: sum of log_down over its ancestors,
    # accumulated by pointer jumping (ceil(log2(depth)) rounds); roots point to themselves with 0
    ancestor = torch.arange(total, device=dev).index_put((child_pos,), parent_pos)
    acc = log_down
    for _ in range(max(1, int(max(int(t.depth.max()) for t in trees)).bit_length())):
        acc = acc + acc[ancestor]
        ancestor = ancestor[ancestor]
    log_g = acc[child_pos] + log_up
    return out.index_put((row[child_pos], c), log_g)


def link_prediction_correct(positive: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """Per pair, whether the median-threshold rule classifies it right (GraphGAN's link-prediction accuracy):
    the threshold is the median of all scores, pairs above it are predicted edges. Returns a bool array,
    positives first; its mean is the accuracy."""
    positive, negative = np.asarray(positive, dtype=float), np.asarray(negative, dtype=float)
    if positive.ndim != 1 or negative.ndim != 1 or not len(positive) or not len(negative):
        raise ValueError("positive and negative must be non-empty 1-D arrays of pair scores")
    threshold = np.median(np.concatenate([positive, negative]))
    return np.concatenate([positive >= threshold, negative < threshold])


def read_node_embeddings(path: str | Path, n_nodes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A word2vec text file (header "count dim", then "node v1 ... vdim") as an [n_nodes, dim] array, and
    the bool mask of nodes it had; nodes missing from the file get U(0, 1) values (as GraphGAN's code)."""
    path = Path(path)
    lines = path.read_text().split("\n")
    try:
        count, dim = (int(x) for x in lines[0].split())
    except ValueError as err:
        raise ValueError(f"{path}: the first line must be 'count dim', got {lines[0][:60]!r}") from err
    rows = [line.split() for line in lines[1:] if line.strip()]
    if len(rows) != count or any(len(r) != dim + 1 for r in rows):
        raise ValueError(f"{path}: expected {count} lines of a node id and {dim} values")
    ids = np.array([int(r[0]) for r in rows], dtype=np.int64)
    if len(ids) and (ids.min() < 0 or ids.max() >= n_nodes):
        raise ValueError(f"{path}: node ids must be in [0, {n_nodes}), got [{ids.min()}, {ids.max()}]")
    table = np.random.default_rng(seed).random((n_nodes, dim)).astype(np.float32)
    table[ids] = np.array([r[1:] for r in rows], dtype=np.float32)
    known = np.zeros(n_nodes, dtype=bool)
    known[ids] = True
    return table, known
