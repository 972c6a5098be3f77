"""The threat model an attack declares: what the adversary knows, may change, and wants.

Terms follow the survey (Deldjoo et al., ACM CSUR 2021, Sec. 3): knowledge is white-, gray- or black-box;
the capability and budget bound what is perturbed (epsilon under a norm) or injected (fake profiles).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

KNOWLEDGE = ("white-box", "gray-box", "black-box")
NORMS = ("l2", "linf")


@dataclass(frozen=True)
class ThreatModel:
    """What an attack assumes about the adversary; every attack object exposes one as `threat_model`."""

    knowledge: str
    capability: str
    norm: str | None
    epsilon: float | None
    target: str
    goal: str
    fake_share: float | None = None
    filler_size: float | None = None
    iterations: int | None = None

    def __post_init__(self) -> None:
        if self.knowledge not in KNOWLEDGE:
            raise ValueError(f"knowledge must be one of {KNOWLEDGE}, got {self.knowledge!r}")
        if self.norm is not None and self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS} or None, got {self.norm!r}")
        if self.epsilon is not None and self.epsilon < 0:
            raise ValueError(f"epsilon must be >= 0, got {self.epsilon}")

    def as_dict(self) -> dict[str, Any]:
        """Plain dict of the fields, for result records."""
        return asdict(self)
