"""Noise on any parameter or hidden activation of a recommender, adversarial or random (ACAE, FG-ACAE).

Yuan, Yao & Benatallah, "Adversarial Collaborative Auto-encoder for Top-N Recommendation", IJCNN 2019
(ACAE: adversarial noise on the encoder and decoder weights of CDAE) and "Adversarial Collaborative Neural
Network for Robust Recommendation", SIGIR 2019 (FG-ACAE: also on the user embedding and the hidden layer,
each noise factor with its own magnitude). Embedding-table attacks (`advrec.attacks`) reach only the
tables a model exposes; this module reaches every *site* of a network: a parameter name of the model
("item", "decoder.weight") or "<submodule>:input" for the activation entering a submodule ("decoder:input"
is CDAE's hidden layer). Noise is per row, as in `advrec.attacks`: each row of a weight matrix, embedding
table or batch of activations gets its own budget epsilon.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager

import torch
from torch import nn

from advrec.attacks.perturbation import direction, random_rows
from advrec.attacks.threat_model import NORMS
from advrec.models.base import Recommender
from advrec.training import Batch, Hook, LossFn

ACTIVATION = ":input"
# CDAE (advrec.models.CDAE): encoder weights W are its "item" table, the decoder is `decoder`.
ACAE_SITES = ("item", "decoder.weight")
FG_ACAE_SITES = ("item", "decoder.weight", "user", "decoder:input")
KINDS = ("adversarial", "random")


def _check_sites(model: nn.Module, sites: Mapping[str, object] | tuple[str, ...]) -> None:
    params = dict(model.named_parameters())
    modules = dict(model.named_modules())
    for site in sites:
        if site.endswith(ACTIVATION):
            if site[: -len(ACTIVATION)] not in modules or not site[: -len(ACTIVATION)]:
                raise KeyError(f"noise site {site!r}: no submodule {site[:-len(ACTIVATION)]!r} in "
                               f"{type(model).__name__}; submodules are {sorted(m for m in modules if m)}")
        elif site not in params:
            raise KeyError(f"noise site {site!r}: {type(model).__name__} has no such parameter; expected a "
                           f"parameter name {sorted(params)} or '<submodule>{ACTIVATION}'")


def _owner(model: nn.Module, site: str) -> tuple[nn.Module, str]:
    path, _, attr = site.rpartition(".")
    return (model.get_submodule(path) if path else model), attr


@contextmanager
def _shadowed(module: nn.Module, attr: str, value: torch.Tensor) -> Iterator[None]:
    # An instance attribute is found before nn.Module.__getattr__ looks in _parameters, so the module
    # reads `value` while its Parameter (and the optimizer's reference to it) stays untouched.
    module.__dict__[attr] = value
    try:
        yield
    finally:
        del module.__dict__[attr]


def _activation_hook(site: str, delta: torch.Tensor) -> Callable[..., tuple[torch.Tensor, ...]]:
    def add(module: nn.Module, args: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        if args[0].shape != delta.shape:
            raise ValueError(f"noise at {site!r} has shape {tuple(delta.shape)} but the activation has "
                             f"shape {tuple(args[0].shape)}; activation noise fits one batch only")
        return (args[0] + delta, *args[1:])

    return add


@contextmanager
def injected(model: nn.Module, deltas: Mapping[str, torch.Tensor]) -> Iterator[nn.Module]:
    """Within the block the model computes with param + delta at each parameter site and input + delta at
    each activation site; gradients still reach the original parameters (the deltas are constants)."""
    _check_sites(model, tuple(deltas))
    with ExitStack() as stack:
        for site, delta in deltas.items():
            if site.endswith(ACTIVATION):
                handle = model.get_submodule(site[: -len(ACTIVATION)]).register_forward_pre_hook(
                    _activation_hook(site, delta))
                stack.callback(handle.remove)
            else:
                module, attr = _owner(model, site)
                param = module._parameters[attr]
                if delta.shape != param.shape:
                    raise ValueError(f"noise at {site!r} has shape {tuple(delta.shape)}, expected "
                                     f"{tuple(param.shape)}")
                stack.enter_context(_shadowed(module, attr, param + delta))
        yield model


def _probe(model: nn.Module, loss_fn: LossFn, batch: Batch,
           sites: tuple[str, ...]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The loss with a zero, gradient-tracking noise leaf at every site (activation leaves get their
    shape from this forward pass)."""
    leaves: dict[str, torch.Tensor] = {}
    with ExitStack() as stack:
        for site in sites:
            if site.endswith(ACTIVATION):
                def zero(module: nn.Module, args: tuple[torch.Tensor, ...], site: str = site
                         ) -> tuple[torch.Tensor, ...]:
                    leaves[site] = torch.zeros_like(args[0], requires_grad=True)
                    return (args[0] + leaves[site], *args[1:])

                handle = model.get_submodule(site[: -len(ACTIVATION)]).register_forward_pre_hook(zero)
                stack.callback(handle.remove)
            else:
                module, attr = _owner(model, site)
                param = module._parameters[attr]
                leaves[site] = torch.zeros_like(param, requires_grad=True)
                stack.enter_context(_shadowed(module, attr, param + leaves[site]))
        with torch.enable_grad():
            loss = loss_fn(model, batch)  # type: ignore[arg-type]
    missing = [s for s in sites if s not in leaves]
    if missing:
        raise ValueError(f"noise site(s) {missing} were never reached by the loss's forward pass")
    return loss, leaves


def _check_budgets(epsilons: Mapping[str, float], norm: str) -> None:
    if not epsilons:
        raise ValueError("epsilons must name at least one noise site")
    for site, eps in epsilons.items():
        if not eps >= 0:
            raise ValueError(f"epsilon of site {site!r} must be >= 0, got {eps}")
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")


def adversarial_noise(model: nn.Module, loss_fn: LossFn, batch: Batch, epsilons: Mapping[str, float],
                      norm: str = "l2") -> dict[str, torch.Tensor]:
    """FGSM noise per site: epsilon_site * the per-row unit direction of the gradient of
    loss_fn(model, batch) wrt that site's noise (rows the loss does not read stay zero)."""
    _check_budgets(epsilons, norm)
    _check_sites(model, tuple(epsilons))
    loss, leaves = _probe(model, loss_fn, batch, tuple(epsilons))
    if loss.dim() != 0:
        raise ValueError(f"the loss must be a scalar, got shape {tuple(loss.shape)}")
    grads = torch.autograd.grad(loss, list(leaves.values()), allow_unused=True)
    return {site: (epsilons[site] * direction(g, norm) if g is not None else torch.zeros_like(leaf)).detach()
            for (site, leaf), g in zip(leaves.items(), grads, strict=True)}


def random_noise(model: nn.Module, loss_fn: LossFn, batch: Batch, epsilons: Mapping[str, float],
                 norm: str = "l2", generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """Random noise of the same per-row budget (every row on the epsilon sphere), the control that tells
    adversarial noise from mere noise; `batch` gives activation sites their shape."""
    _check_budgets(epsilons, norm)
    _check_sites(model, tuple(epsilons))
    with torch.no_grad():
        _, leaves = _probe(model, loss_fn, batch, tuple(epsilons))
    gen = generator if generator is not None else torch.Generator(device=leaves[next(iter(leaves))].device)
    return {site: random_rows(leaf.detach(), norm, float(epsilons[site]), gen, inside=False)
            for site, leaf in leaves.items()}


class NoiseInjection(Hook):
    """ACAE / FG-ACAE training hook: extra_loss = lam * loss_fn(model with noise at every site of `epsilons`).

    kind "adversarial" computes the noise per batch (FGSM at the batch's own random state, so dropout
    corruption is the same for the noise and for the noisy loss); kind "random" draws noise of the same
    budget (the paper's random-noise control). warmup_epochs: epochs of the same fit without the term.
    """

    def __init__(self, epsilons: Mapping[str, float], lam: float = 1.0, kind: str = "adversarial",
                 norm: str = "l2", warmup_epochs: int = 0, seed: int = 0) -> None:
        _check_budgets(epsilons, norm)
        if not lam >= 0:
            raise ValueError(f"lam must be >= 0, got {lam}")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if isinstance(warmup_epochs, bool) or not isinstance(warmup_epochs, int) or warmup_epochs < 0:
            raise ValueError(f"warmup_epochs must be a non-negative integer, got {warmup_epochs!r}")
        self.epsilons = {site: float(eps) for site, eps in epsilons.items()}
        self.lam = float(lam)
        self.kind = kind
        self.norm = norm
        self.warmup_epochs = warmup_epochs
        self.seed = int(seed)
        self._epoch = 0
        self._generator: torch.Generator | None = None

    def on_fit_start(self, model: Recommender, trainer: object) -> None:
        _check_sites(model, tuple(self.epsilons))
        self._epoch = 0
        self._generator = torch.Generator(device=model.device).manual_seed(self.seed)

    def extra_loss(self, model: Recommender, batch: Batch, loss_fn: LossFn) -> torch.Tensor | None:
        """lam * the batch loss under this batch's noise (None during warm-up or when lam is 0)."""
        if self._epoch < self.warmup_epochs or self.lam == 0:
            return None
        cuda = model.device.type == "cuda"
        state = torch.get_rng_state(), (torch.cuda.get_rng_state(model.device) if cuda else None)
        if self.kind == "adversarial":
            deltas = adversarial_noise(model, loss_fn, batch, self.epsilons, self.norm)
        else:
            deltas = random_noise(model, loss_fn, batch, self.epsilons, self.norm, self._generator)
        torch.set_rng_state(state[0])
        if cuda:
            torch.cuda.set_rng_state(state[1], model.device)
        with injected(model, deltas):
            return self.lam * loss_fn(model, batch)

    def on_epoch_end(self, model: Recommender, epoch: int, logs: dict[str, float]) -> None:
        self._epoch = epoch + 1

    def __repr__(self) -> str:
        return (f"NoiseInjection(epsilons={self.epsilons}, lam={self.lam}, kind={self.kind!r}, "
                f"norm={self.norm!r}, warmup_epochs={self.warmup_epochs}, seed={self.seed})")
