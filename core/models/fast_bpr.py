"""Hogwild per-sample SGD for BPR-MF, with APR's adversarial term, compiled with numba.

The kernel writes straight into the memory of a `MatrixFactorization`'s tensors (numpy views of
them), draws its samples in blocks with its own counter-based generator (one stream per block, so the
samples do not depend on the number of threads), and checks sampled negatives against a packed
user x item bitset. With one thread an epoch is bitwise reproducible for a seed; with more, threads
update shared rows without locks (Hogwild, Niu et al. 2011) and runs are not reproducible.

BPR (Rendle et al., UAI 2009). For a sample (u, i, j) with p = P[u], d = Q[i] - Q[j],
x = p.d + b_i - b_j and loss l = -log sigmoid(x), the gradients are dl/dp = -s d, dl/dq_i = -s p,
dl/dq_j = s p, dl/db_i = -s, dl/db_j = s, with s = sigmoid(-x).

APR (He et al., SIGIR 2018), closed form. APR's FGSM perturbation normalises the loss gradient of each
embedding row to length epsilon; the positive factor s cancels, so per sample

    D_u = -eps d/|d|,   D_i = -eps p/|p|,   D_j = +eps p/|p|        (0 where the norm is 0).

The adversarial score is x~ = (p + D_u).(d + D_i - D_j) + b_i - b_j = (p - eps d^).(d - 2 eps p^) + b_i - b_j,
which expands to x~ = (p.d)(1 + 2 eps^2/(|p||d|)) - 2 eps |p| - eps |d| + b_i - b_j: no second pass over
the row. With the perturbation held constant (as APR does), the gradient of lambda * l(x~) is
-lambda s~ (d - 2 eps p^) for p, -lambda s~ (p - eps d^) for q_i, its opposite for q_j and -/+ lambda s~ for
b_i/b_j, where s~ = sigmoid(-x~). One SGD step with learning rate eta and L2 coefficient r, all terms at
the pre-step values, g = s and a = lambda s~:

    p   += eta (g d + a (d - 2 eps p^) - r p)
    q_i += eta (g p + a (p - eps d^) - r q_i)
    q_j += eta (-g p - a (p - eps d^) - r q_j)
    b_i += eta (g + a - r b_i),   b_j += eta (-g - a - r b_j)

which is exactly autograd's SGD step on l(x) + lambda l(x~) + r/2 (|p|^2 + |q_i|^2 + |q_j|^2 + b_i^2 + b_j^2)
for that sample. eps = 0 or lambda = 0 is plain BPR.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import scipy.sparse as sp
from numba import njit, prange

# numba's default threading layer here is OpenMP, whose workers keep spinning after a parallel region: every
# later PyTorch op in the process then runs up to ~60x slower (measured: 300 Adam steps of a 256 x 256 layer,
# 0.6 s -> 41 s of CPU after one epoch). The workqueue layer has no such workers, and with one thread it
# gives the same numbers whatever NUMBA_NUM_THREADS is (OpenMP's do not when NUMBA_NUM_THREADS > 1). An
# explicit NUMBA_THREADING_LAYER is respected.
if numba.config.THREADING_LAYER == "default":
    numba.config.THREADING_LAYER = "workqueue"

# Fast-math without reassociation: with it, a freshly compiled kernel and the same kernel loaded from numba's
# on-disk cache gave different APR updates (last digits), so a run's numbers depended on the cache's state.
_FASTMATH = {"nnan", "ninf", "nsz", "arcp", "afn", "contract"}

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TINY = 1e-38  # smallest sigmoid counted in the logged loss: a sample contributes at most 87.5


@njit(nogil=True, cache=True)
def _next(state: np.uint64) -> tuple[np.uint64, np.uint64]:
    """splitmix64: the next state and a 64-bit output."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return state, z ^ (z >> np.uint64(31))


@njit(nogil=True, cache=True)
def _below(r: np.uint64, n: int) -> int:
    """A value in [0, n) from the top 32 bits of r (multiply-shift; n < 2**32)."""
    return np.int64(((r >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(nogil=True, cache=True)
def _fill_bitset(bits: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> None:
    for k in range(rows.shape[0]):
        c = cols[k]
        bits[rows[k], c >> 6] |= np.uint64(1) << np.uint64(c & 63)


def seen_bitset(train: sp.csr_matrix) -> np.ndarray:
    """Packed [n_users, ceil(n_items / 64)] uint64 bitset: bit (u, i) is set when u interacted with i."""
    n_users, n_items = train.shape
    bits = np.zeros((n_users, (n_items + 63) // 64), dtype=np.uint64)
    rows = np.repeat(np.arange(n_users, dtype=np.int64), np.diff(train.indptr))
    _fill_bitset(bits, rows, train.indices.astype(np.int64))
    return bits


@njit(nogil=True, cache=True)
def draw_block(
    seed: np.uint64,
    block: int,
    size: int,
    rows_of: np.ndarray,
    items: np.ndarray,
    bits: np.ndarray,
    n_items: int,
    users_out: np.ndarray,
    pos_out: np.ndarray,
    neg_out: np.ndarray,
) -> None:
    """Fill `size` samples of block `block`: a training interaction drawn uniformly (with replacement)
    and a negative drawn uniformly among the items the user has not interacted with."""
    state = np.uint64(seed) ^ (np.uint64(block) * _MIX2)
    state, _ = _next(state)
    nnz = items.shape[0]
    for s in range(size):
        state, r = _next(state)
        k = _below(r, nnz)
        u = rows_of[k]
        while True:
            state, r = _next(state)
            j = _below(r, n_items)
            if not (bits[u, j >> 6] >> np.uint64(j & 63)) & np.uint64(1):
                break
        users_out[s] = u
        pos_out[s] = items[k]
        neg_out[s] = j


@njit(nogil=True, fastmath=_FASTMATH, cache=True, inline="always")
def _sigmoids(x: np.float32) -> tuple[np.float32, np.float32]:
    """(sigmoid(x), sigmoid(-x)) in float32 from one exponential, without overflow."""
    one = np.float32(1.0)
    e = np.float32(math.exp(-abs(x)))
    r = one / (one + e)
    if x >= 0.0:
        return r, e * r
    return e * r, r


@njit(nogil=True, fastmath=_FASTMATH, cache=True, inline="always")
def sgd_step(
    P: np.ndarray,
    Q: np.ndarray,
    B: np.ndarray,
    use_bias: bool,
    u: int,
    i: int,
    j: int,
    lr: float,
    reg: float,
    eps: float,
    lam: float,
) -> tuple[np.float32, np.float32]:
    """One SGD step of BPR (+ APR when eps > 0 and lam > 0) on sample (u, i, j), in place, in float32;
    returns sigmoid(x) and sigmoid(x~) before the step (their -log are the sample's two losses)."""
    lr = np.float32(lr)
    reg = np.float32(reg)
    p = P[u]
    q_i = Q[i]
    q_j = Q[j]
    x = np.float32(0.0)
    for k in range(p.shape[0]):
        x += p[k] * (q_i[k] - q_j[k])
    margin = np.float32(0.0)
    if use_bias:
        margin = B[i] - B[j]
    fit, g = _sigmoids(x + margin)
    fit_adv = np.float32(1.0)
    a = np.float32(0.0)
    sp_ = np.float32(0.0)  # eps / |p|
    sd = np.float32(0.0)  # eps / |d|
    if eps > 0.0 and lam > 0.0:
        pp = np.float32(0.0)
        dd = np.float32(0.0)
        for k in range(p.shape[0]):
            dk = q_i[k] - q_j[k]
            pp += p[k] * p[k]
            dd += dk * dk
        if pp > 0.0:
            sp_ = np.float32(eps / math.sqrt(pp))
        if dd > 0.0:
            sd = np.float32(eps / math.sqrt(dd))
        x_adv = (
            x * (np.float32(1.0) + np.float32(2.0) * sp_ * sd) - np.float32(2.0) * sp_ * pp - sd * dd + margin
        )
        fit_adv, s_adv = _sigmoids(x_adv)
        a = np.float32(lam * s_adv)
    if a == 0.0:
        for k in range(p.shape[0]):
            pk = p[k]
            qi = q_i[k]
            qj = q_j[k]
            p[k] = pk + lr * (g * (qi - qj) - reg * pk)
            q_i[k] = qi + lr * (g * pk - reg * qi)
            q_j[k] = qj + lr * (-g * pk - reg * qj)
    else:
        two_sp = np.float32(2.0) * sp_
        for k in range(p.shape[0]):
            pk = p[k]
            qi = q_i[k]
            qj = q_j[k]
            dk = qi - qj
            w = g * pk + a * (pk - sd * dk)
            p[k] = pk + lr * (g * dk + a * (dk - two_sp * pk) - reg * pk)
            q_i[k] = qi + lr * (w - reg * qi)
            q_j[k] = qj + lr * (-w - reg * qj)
    if use_bias:
        bi = B[i]
        bj = B[j]
        B[i] = bi + lr * (g + a - reg * bi)
        B[j] = bj + lr * (-g - a - reg * bj)
    return fit, fit_adv


@njit(parallel=True, nogil=True, fastmath=_FASTMATH, cache=True)
def _epoch(
    P: np.ndarray,
    Q: np.ndarray,
    B: np.ndarray,
    use_bias: bool,
    rows_of: np.ndarray,
    items: np.ndarray,
    bits: np.ndarray,
    n_samples: int,
    block: int,
    seed: np.uint64,
    lr: float,
    reg: float,
    eps: float,
    lam: float,
) -> float:
    n_blocks = (n_samples + block - 1) // block
    n_items = Q.shape[0]
    totals = np.zeros(n_blocks)
    for b in prange(n_blocks):
        size = min(block, n_samples - b * block)
        us = np.empty(size, np.int64)
        pos = np.empty(size, np.int64)
        neg = np.empty(size, np.int64)
        draw_block(seed, b, size, rows_of, items, bits, n_items, us, pos, neg)
        # Losses are -log of products of sigmoids over groups of 4 samples: one log per group.
        acc = 0.0
        acc_adv = 0.0
        prod = 1.0
        prod_adv = 1.0
        for s in range(size):
            fit, fit_adv = sgd_step(P, Q, B, use_bias, us[s], pos[s], neg[s], lr, reg, eps, lam)
            prod *= max(fit, _TINY)
            prod_adv *= max(fit_adv, _TINY)
            if s % 4 == 3 or s == size - 1:
                acc -= math.log(prod)
                acc_adv -= math.log(prod_adv)
                prod = 1.0
                prod_adv = 1.0
        acc += lam * acc_adv
        totals[b] = acc
    return totals.sum() / max(n_samples, 1)


class FastBPRData:
    """A training matrix prepared for the kernel: the user of each interaction, its item, the bitset."""

    def __init__(self, train: sp.csr_matrix) -> None:
        csr = sp.csr_matrix(train)
        csr.sum_duplicates()
        n_users, n_items = csr.shape
        if n_items >= 2**32:
            raise ValueError(f"the fast engine supports fewer than 2**32 items, got {n_items}")
        counts = np.diff(csr.indptr)
        full = np.flatnonzero(counts >= n_items)
        if len(full):
            raise ValueError(f"user {int(full[0])} has interacted with every item: no negative to sample")
        if csr.nnz == 0:
            raise ValueError("train has no interactions")
        self.n_users, self.n_items = n_users, n_items
        self.rows_of = np.repeat(np.arange(n_users, dtype=np.int32), counts)
        self.items = csr.indices.astype(np.int32)
        self.bits = seen_bitset(csr)

    @property
    def nnz(self) -> int:
        return int(self.items.shape[0])


def run_epoch(
    user: np.ndarray,
    item: np.ndarray,
    bias: np.ndarray | None,
    data: FastBPRData,
    *,
    lr: float,
    reg: float,
    epsilon: float = 0.0,
    adv_lambda: float = 0.0,
    seed: int = 0,
    threads: int = 1,
    block: int = 4096,
    n_samples: int | None = None,
) -> float:
    """One epoch (`n_samples`, default one per interaction) of Hogwild SGD on float32 arrays `user`
    [n_users, dim], `item` [n_items, dim] and `bias` [n_items] (or None), updated in place; returns the
    mean per-sample loss before each step (BPR + adv_lambda * adversarial loss, L2 term excluded).
    `threads` > 1 makes the run non-reproducible (Hogwild)."""
    for name, arr in (("user", user), ("item", item)):
        if arr.dtype != np.float32 or arr.ndim != 2 or not arr.flags.c_contiguous:
            raise ValueError(f"{name} must be a C-contiguous float32 matrix, got {arr.dtype} {arr.shape}")
    if user.shape != (data.n_users, item.shape[1]) or item.shape[0] != data.n_items:
        raise ValueError(
            f"embeddings {user.shape} / {item.shape} do not match the training matrix "
            f"({data.n_users} users, {data.n_items} items)"
        )
    if bias is None:
        bias_arr = np.zeros(0, dtype=np.float32)
    else:
        if bias.dtype != np.float32 or bias.shape != (data.n_items,):
            raise ValueError(
                f"bias must be float32 of shape ({data.n_items},), got {bias.dtype} {bias.shape}"
            )
        bias_arr = bias
    max_threads = numba.config.NUMBA_NUM_THREADS
    if not 1 <= threads <= max_threads:
        raise ValueError(f"threads must be in [1, {max_threads}] (NUMBA_NUM_THREADS), got {threads}")
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        return float(
            _epoch(
                user,
                item,
                bias_arr,
                bias is not None,
                data.rows_of,
                data.items,
                data.bits,
                data.nnz if n_samples is None else int(n_samples),
                int(block),
                np.uint64(seed),
                float(lr),
                float(reg),
                float(epsilon),
                float(adv_lambda),
            )
        )
    finally:
        numba.set_num_threads(previous)
