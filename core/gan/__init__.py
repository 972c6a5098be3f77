"""GAN recommenders and the samplers that make discrete item generation trainable (survey Section 3).

Building blocks for Table 5's generator/discriminator classes, REINFORCE and Gumbel-softmax sampling
(Table 4), GAN losses, and the IRGAN, CFGAN and APL trainers with their per-epoch `GANHistory`. Every other
work's model lives in its own submodule, named after it, and is imported from there (e.g.
`from advrec.gan.lambdagan import LambdaGAN`), so importing the package does not load sixty models.
"""

from advrec.gan.apl import APL
from advrec.gan.cfgan import CFGAN
from advrec.gan.irgan import IRGAN
from advrec.gan.losses import (
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    pairwise_discriminator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from advrec.gan.networks import (
    TABLE5_BLOCKS,
    AutoEncoderNet,
    CNNNet,
    GRUNet,
    LFMScorer,
    LSTMNet,
    MLPNet,
    VAENet,
    VAEOutput,
    kl_divergence,
    make_activation,
)
from advrec.gan.samplers import (
    ImportanceSample,
    gumbel_softmax,
    importance_sample,
    partial_mask,
    reinforce_loss,
    zero_reconstruction_mask,
)
from advrec.gan.trainer import EpochRecord, GANHistory

__all__ = [
    "APL",
    "CFGAN",
    "IRGAN",
    "TABLE5_BLOCKS",
    "AutoEncoderNet",
    "CNNNet",
    "EpochRecord",
    "GANHistory",
    "GRUNet",
    "ImportanceSample",
    "LFMScorer",
    "LSTMNet",
    "MLPNet",
    "VAENet",
    "VAEOutput",
    "discriminator_loss",
    "generator_loss",
    "gradient_penalty",
    "gumbel_softmax",
    "importance_sample",
    "kl_divergence",
    "make_activation",
    "pairwise_discriminator_loss",
    "partial_mask",
    "reinforce_loss",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
    "zero_reconstruction_mask",
]
