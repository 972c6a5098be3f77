"""Recommenders: every model is a `Recommender` (score pairs, score the catalogue); embedding models
expose perturbable tables. Train any of them with `advrec.training.fit`."""

from advrec.models.base import EmbeddingRecommender, Recommender
from advrec.models.biased_mf import BiasedMF
from advrec.models.cdae import CDAE
from advrec.models.gru4rec import GRU4Rec
from advrec.models.item_knn import ItemKNN
from advrec.models.lightgcn import LightGCN
from advrec.models.matrix_factorization import MatrixFactorization
from advrec.models.mult_vae import MultVAE
from advrec.models.ncf import GMF, MLP, NeuMF
from advrec.models.pitf import PITF
from advrec.models.popularity import ItemPop
from advrec.models.sasrec import SASRec
from advrec.models.vbpr import VBPR

__all__ = [
    "BiasedMF",
    "CDAE",
    "EmbeddingRecommender",
    "GMF",
    "GRU4Rec",
    "ItemKNN",
    "ItemPop",
    "LightGCN",
    "MLP",
    "MatrixFactorization",
    "MultVAE",
    "NeuMF",
    "PITF",
    "Recommender",
    "SASRec",
    "VBPR",
]
