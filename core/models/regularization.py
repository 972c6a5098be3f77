"""The L2 penalty of the embedding rows a training batch touches (BPR's regulariser)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

ITEM_KEYS = ("items", "pos_items", "neg_items")


def batch_l2(
    batch: Mapping[str, torch.Tensor],
    user_tables: Sequence[torch.Tensor],
    item_tables: Sequence[torch.Tensor],
    other: Mapping[str, Sequence[torch.Tensor]] | None = None,
) -> torch.Tensor:
    """Half the squared L2 norm of the rows `batch` indexes, summed per sample and averaged over samples.

    User tables are indexed by batch["users"], item tables by every item key present ("items",
    "pos_items", "neg_items"), and `other[key]` tables by batch[key] (e.g. tags). Rows of 1-D tables
    (biases) count as scalars. With batch size 1 this is r/2 (|p_u|^2 + |q_i|^2 + |q_j|^2 + ...).
    """
    users = batch["users"]
    total = sum(table[users].pow(2).sum() for table in user_tables)
    for key in ITEM_KEYS:
        if key in batch:
            total = total + sum(table[batch[key]].pow(2).sum() for table in item_tables)
    for key, tables in (other or {}).items():
        total = total + sum(table[batch[key]].pow(2).sum() for table in tables)
    return 0.5 * total / len(users)
