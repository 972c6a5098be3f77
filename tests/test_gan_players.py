"""Two-player plumbing: which player ranks, warm-start shape check, game checks and optimisers."""

from __future__ import annotations

import pytest
import torch

from advrec.gan.irgan import IRGAN
from advrec.gan.networks import LFMScorer
from advrec.gan.players import check_player_shape, check_scorer


def test_check_scorer_accepts_players_and_names_the_parameter() -> None:
    assert check_scorer("generator") == "generator"
    assert check_scorer("discriminator") == "discriminator"
    with pytest.raises(ValueError, match="scorer must be one of"):
        check_scorer("both")


def test_check_player_shape_names_the_player() -> None:
    player = LFMScorer(3, 4, 2, seed=0)
    assert check_player_shape(player, 3, 4, "g_init") is player
    with pytest.raises(ValueError, match=r"g_init has 3 users x 4 items, expected 3 x 5"):
        check_player_shape(player, 3, 5, "g_init")


def test_ranking_follows_the_scorer_attribute() -> None:
    model = IRGAN(4, 6, dim=3, seed=0)
    users = torch.arange(4)
    with torch.no_grad():
        model.discriminator.user.add_(1.0)
        g_scores = model.generator.full_scores(users)
        d_scores = model.discriminator.full_scores(users)
        assert torch.equal(model.full_scores(users), g_scores)
        model.scorer = "discriminator"
        assert torch.equal(model.full_scores(users), d_scores)
        assert torch.equal(model.score(users, torch.tensor([1, 2, 3, 4])), d_scores[users, [1, 2, 3, 4]])
        model.scorer = "neither"
        with pytest.raises(ValueError, match="scorer must be one of"):
            model.full_scores(users)


def test_check_schedule_names_the_bad_argument() -> None:
    from advrec.gan.trainer import check_schedule

    check_schedule(1, 0, 0, 0.0, 0.0, batch=1)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        check_schedule(0, 1, 1)
    with pytest.raises(ValueError, match="d_steps must be an integer >= 0"):
        check_schedule(1, 1, -1)
    with pytest.raises(ValueError, match="batch must be an integer >= 1"):
        check_schedule(1, 1, 1, batch=0)
    with pytest.raises(ValueError, match="reg_g and reg_d must be >= 0"):
        check_schedule(1, 1, 1, 0.0, -0.1)


def test_player_optimizers_cover_each_player_with_its_own_rate() -> None:
    from advrec.gan.trainer import player_optimizers

    model = IRGAN(3, 4, dim=2, seed=0)
    opt_g, opt_d = player_optimizers(model, "adam", 0.1, 0.2, weight_decay_d=0.5)
    assert [p for g in opt_g.param_groups for p in g["params"]] == list(model.generator.parameters())
    assert [p for g in opt_d.param_groups for p in g["params"]] == list(model.discriminator.parameters())
    assert (opt_g.param_groups[0]["lr"], opt_d.param_groups[0]["lr"]) == (0.1, 0.2)
    assert (opt_g.param_groups[0]["weight_decay"], opt_d.param_groups[0]["weight_decay"]) == (0.0, 0.5)


def test_critic_split_optimizers_cover_players_and_critics_once_in_module_order() -> None:
    from advrec.gan.trainer import critic_split_optimizers

    model = IRGAN(3, 4, dim=2, seed=0)
    critics = list(model.discriminator.parameters())
    opt_g, opt_d = critic_split_optimizers(model, critics, "sgd", 0.1, 0.2, weight_decay=0.5)
    assert opt_g.param_groups[0]["params"] == list(model.generator.parameters())
    assert opt_d.param_groups[0]["params"] == critics
    assert (opt_g.param_groups[0]["lr"], opt_d.param_groups[0]["lr"]) == (0.1, 0.2)
    assert opt_g.param_groups[0]["weight_decay"] == opt_d.param_groups[0]["weight_decay"] == 0.5
