"""The dataset registry: per dataset or released split, its sources, checksums, licence, reader, statistics.

A `Source` is one folder of files as distributed (laid out as in the shared mirror, so `$ADVREC_DATA`
can point at a copy of it); a `DatasetSpec` names what a reader builds from some of those files. Several
specs share a source (ML-100K and its u1..u5 splits read the same folder).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .checksums import CHECKSUMS
from .errors import UnknownDatasetError


@dataclass(frozen=True)
class SourceFile:
    """One file of a source: where it lives in the folder, how to verify it, where to get it."""

    path: str
    size: int | None = None
    sha256: str | None = None
    git_blob: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Archive:
    """The official archive a source's files come in; `prefix` is the folder inside it holding them."""

    url: str
    prefix: str = ""
    sha256: str | None = None


@dataclass(frozen=True)
class Source:
    """A folder of files as distributed, with its provenance and terms of use."""

    folder: str
    title: str
    homepage: str
    licence: str
    files: Mapping[str, SourceFile]
    archive: Archive | None = None
    manual: str = ""

    def file(self, path: str) -> SourceFile:
        """The registered file `path` (a path relative to the folder)."""
        try:
            return self.files[path]
        except KeyError:
            raise UnknownDatasetError(
                f"file {path!r} is not registered in source {self.folder!r}; known: {sorted(self.files)}"
            ) from None

    def url_of(self, path: str) -> str | None:
        """Where `path` can be downloaded from: its own URL, else the source's archive (None: manual)."""
        own = self.file(path).url
        if own:
            return own
        return self.archive.url if self.archive else None


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset (`kind="dataset"`) or released split (`kind="split"`).

    `inputs` are the files of `source` the reader needs; `stats` are the published counts; `options` are
    passed to the reader; `protocol` names how a split was made.
    """

    name: str
    kind: str
    source: Source
    reader: str
    inputs: tuple[str, ...]
    description: str
    stats: Mapping[str, int] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    protocol: str = ""
    notes: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def licence(self) -> str:
        """The terms of use of the underlying source."""
        return self.source.licence


def _files(folder: str, url_base: str | None = None, urls: Mapping[str, str] | None = None) -> dict:
    out: dict[str, SourceFile] = {}
    for path, (size, sha, blob) in CHECKSUMS.get(folder, {}).items():
        url = (urls or {}).get(path) or (url_base + path if url_base else None)
        out[path] = SourceFile(path, size, sha, blob, url)
    return out


def _github(repo: str, commit: str, prefix: str = "") -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{prefix}"


_MOVIELENS = (
    "GroupLens terms: research use only; acknowledge and cite Harper & Konstan (TiiS 2015); no "
    "redistribution without permission; no commercial use"
)

ML100K = Source(
    "ml-100k",
    "MovieLens 100K",
    "https://grouplens.org/datasets/movielens/100k/",
    _MOVIELENS,
    _files("ml-100k"),
    Archive("https://files.grouplens.org/datasets/movielens/ml-100k.zip", prefix="ml-100k/"),
)
ML1M = Source(
    "ml-1m",
    "MovieLens 1M",
    "https://grouplens.org/datasets/movielens/1m/",
    _MOVIELENS,
    _files("ml-1m"),
    Archive("https://files.grouplens.org/datasets/movielens/ml-1m.zip", prefix="ml-1m/"),
)
FILMTRUST = Source(
    "filmtrust",
    "FilmTrust (LibRec)",
    "https://guoguibing.github.io/librec/datasets.html",
    "no licence stated; research use, cite Guo, Zhang & Yorke-Smith (IJCAI 2013)",
    _files("filmtrust"),
    Archive("https://guoguibing.github.io/librec/datasets/filmtrust.zip"),
)
CIAODVD = Source(
    "CiaoDVD",
    "CiaoDVD (LibRec)",
    "https://guoguibing.github.io/librec/datasets.html",
    "no licence stated; research use, cite Guo et al. (ASONAM 2014)",
    _files("CiaoDVD"),
    Archive("https://guoguibing.github.io/librec/datasets/CiaoDVD.zip"),
)
LASTFM = Source(
    "hetrec2011-lastfm-2k",
    "HetRec 2011 Last.fm 2K",
    "https://grouplens.org/datasets/hetrec-2011/",
    "non-commercial use only; acknowledge Last.fm and HetRec 2011",
    _files("hetrec2011-lastfm-2k"),
    Archive("https://files.grouplens.org/datasets/hetrec2011/hetrec2011-lastfm-2k.zip"),
)
AUSH = Source(
    "aush-shillingattack",
    "AUSH / Leg-UP released data (XMUDM/ShillingAttack)",
    "https://github.com/XMUDM/ShillingAttack",
    "repository GPL-3.0; underlying Amazon/FilmTrust/MovieLens/Yelp terms apply "
    "(MovieLens: no redistribution)",
    _files(
        "aush-shillingattack", _github("XMUDM/ShillingAttack", "c7311c55972ed88790a0044f947d08ee4c81b9e3")
    ),
)
CFGAN = Source(
    "cfgan-splits",
    "CFGAN released splits (via the ECIR 2022 replication study)",
    "https://github.com/fernandobperezm/ECIR2022-AnEvaluationStudyOfGANsForCF",
    "repository AGPL-3.0; MovieLens terms apply to ML100K (no redistribution); Ciao: cite the source",
    _files(
        "cfgan-splits",
        _github(
            "fernandobperezm/ECIR2022-AnEvaluationStudyOfGANsForCF",
            "4b773e123bc7d77acd222a0c5d3b295a3e7c8c39",
            "evaluation-cfgan/conferences/cikm/cfgan/original_source_code/datasets/",
        ),
    ),
)
_NCF = _github("hexiangnan/neural_collaborative_filtering", "4aab159e81c44b062c091bdaed0ab54ac632371f")
_APR = _github("hexiangnan/adversarial_personalized_ranking", "54f708f9fe4338cdb5ffe82205e69327bf22466a")
NCF_APR = Source(
    "ncf-apr",
    "NCF / APR pre-processed data (ml-1m, pinterest-20, yelp)",
    "https://github.com/hexiangnan/neural_collaborative_filtering",
    "NCF repository Apache-2.0, APR repository no licence; MovieLens (no redistribution), Pinterest "
    "(Geng et al. ICCV 2015) and Yelp dataset terms apply",
    _files(
        "ncf-apr",
        _NCF,
        urls={
            "Data/yelp.test.rating": _APR + "Data/yelp.test.rating",
            "Data/yelp.train.rating": _APR + "Data/yelp.train.rating",
            "Data/yelp.test.negative": _APR + "Data/yelp.test.negative",
        },
    ),
)
DPR = Source(
    "dpr-data",
    "DPR (SIGIR 2020) released splits, converted from the authors' pickles to TSV",
    "https://github.com/Zziwei/Item-Underrecommendation-Bias",
    "repository states no licence; MovieLens (no redistribution), Yelp dataset and Amazon review terms apply",
    _files("dpr-data"),
    manual=(
        "these TSV files are a conversion of the authors' pandas pickles (see dpr-data/PROVENANCE.md of the "
        "shared mirror); no official download holds them in this form"
    ),
)
IRGAN = Source(
    "irgan-data",
    "IRGAN (SIGIR 2017) MovieLens-100K item-recommendation split",
    "https://github.com/geek-ai/irgan",
    "repository states no licence; MovieLens terms apply (no redistribution)",
    _files("irgan-data", _github("geek-ai/irgan", "171aa3d4d487d1f99b6345959d4767ac3748f5da")),
)
COFIGAN = Source(
    "cofigan-data",
    "CoFiGAN (KBS 2020) ML100K copy-1 split",
    "https://github.com/LiuJiXiong/CoFiGAN",
    "repository MIT; MovieLens terms apply (no redistribution)",
    _files("cofigan-data", _github("LiuJiXiong/CoFiGAN", "7d5336c168794dfb4090745f82f812f87e760f8a")),
)
GANVAECF = Source(
    "gan-vae-cf-data",
    "GAN-VAE-CF / Long-Tail-GAN (CIKM 2018) Ask Ubuntu sample",
    "https://github.com/ash-shar/Long-Tail-GAN",
    "repository BSD-3-Clause; Stack Exchange content CC BY-SA",
    _files("gan-vae-cf-data", _github("ash-shar/Long-Tail-GAN", "19e39e63d4273ef6cc9355b089c97833f085253d")),
)
GRAPHGAN = Source(
    "graphgan-data",
    "GraphGAN (AAAI 2018) arXiv-GrQc link-prediction split",
    "https://github.com/hwwang55/GraphGAN",
    "repository MIT; SNAP ca-GrQc: cite Leskovec et al.",
    _files("graphgan-data", _github("hwwang55/GraphGAN", "3f1c3f7db6b8b5102eea899659d4c52f64c4288c")),
)
_APL = _github("ZhongchuanSun/APL", "a4b563790abb8681dce11b8d37afe3986c75b07a")
APL = Source(
    "apl",
    "APL (Sun et al.) released Gowalla and Yelp splits",
    "https://github.com/ZhongchuanSun/APL",
    "repository states no licence; Gowalla (SNAP) and Yelp dataset terms apply",
    {
        p: SourceFile(p, url=_APL + p)
        for p in (
            "data/Gowalla/Gowalla.train",
            "data/Gowalla/Gowalla.test",
            "data/Yelp/Yelp.train",
            "data/Yelp/Yelp.test",
        )
    },
)
GOWALLA = Source(
    "gowalla",
    "Gowalla check-ins (SNAP loc-gowalla)",
    "https://snap.stanford.edu/data/loc-gowalla.html",
    "SNAP: cite Cho, Myers & Leskovec (KDD 2011)",
    {
        "loc-gowalla_totalCheckins.txt.gz": SourceFile(
            "loc-gowalla_totalCheckins.txt.gz",
            url="https://snap.stanford.edu/data/loc-gowalla_totalCheckins.txt.gz",
        )
    },
)
YELP = Source(
    "yelp",
    "Yelp Open Dataset (reviews)",
    "https://www.yelp.com/dataset",
    "Yelp Dataset Terms of Use: non-commercial, academic use; no redistribution",
    {"yelp_academic_dataset_review.json": SourceFile("yelp_academic_dataset_review.json")},
    manual=(
        "the Yelp Open Dataset is distributed only after accepting its terms at "
        "https://www.yelp.com/dataset; "
        "download it there and extract yelp_academic_dataset_review.json"
    ),
)
_AMAZON_BASE = "http://snap.stanford.edu/data/amazon/productGraph/categoryFiles/"
AMAZON_CATEGORIES = (
    "Amazon_Instant_Video",
    "Apps_for_Android",
    "Automotive",
    "Baby",
    "Beauty",
    "Books",
    "CDs_and_Vinyl",
    "Cell_Phones_and_Accessories",
    "Clothing_Shoes_and_Jewelry",
    "Digital_Music",
    "Electronics",
    "Grocery_and_Gourmet_Food",
    "Health_and_Personal_Care",
    "Home_and_Kitchen",
    "Kindle_Store",
    "Movies_and_TV",
    "Musical_Instruments",
    "Office_Products",
    "Patio_Lawn_and_Garden",
    "Pet_Supplies",
    "Sports_and_Outdoors",
    "Tools_and_Home_Improvement",
    "Toys_and_Games",
    "Video_Games",
)
AMAZON = Source(
    "amazon-2014",
    "Amazon product reviews 2014 (McAuley et al.), per category",
    "https://jmcauley.ucsd.edu/data/amazon/",
    "research use; cite McAuley et al. (SIGIR 2015) and He & McAuley (WWW 2016)",
    {
        name: SourceFile(name, url=_AMAZON_BASE + name)
        for cat in AMAZON_CATEGORIES
        for name in (f"ratings_{cat}.csv", f"reviews_{cat}_5.json.gz")
    },
)

SOURCES: dict[str, Source] = {
    s.folder: s
    for s in (
        ML100K,
        ML1M,
        FILMTRUST,
        CIAODVD,
        LASTFM,
        AUSH,
        CFGAN,
        NCF_APR,
        DPR,
        IRGAN,
        COFIGAN,
        GANVAECF,
        GRAPHGAN,
        APL,
        GOWALLA,
        YELP,
        AMAZON,
    )
}

_ML100K_SIDE = ("u.user", "u.item", "u.genre", "u.occupation")


def _specs() -> list[DatasetSpec]:
    specs = [
        DatasetSpec(
            "ml-100k",
            "dataset",
            ML100K,
            "ml100k",
            ("u.data", *_ML100K_SIDE),
            "MovieLens 100K ratings (1-5, timestamps), user demographics and movie genres",
            {"interactions": 100_000, "users": 943, "items": 1_682},
            aliases=("movielens-100k", "ml100k"),
        ),
        DatasetSpec(
            "ml-1m",
            "dataset",
            ML1M,
            "ml1m",
            ("ratings.dat", "users.dat", "movies.dat"),
            "MovieLens 1M ratings (1-5, timestamps), user demographics and movie genres",
            {"interactions": 1_000_209, "users": 6_040, "items": 3_706},
            aliases=("movielens-1m", "ml1m"),
            notes="ratings.dat is absent from the shared mirror; verified by its git blob id after download",
        ),
        DatasetSpec(
            "filmtrust",
            "dataset",
            FILMTRUST,
            "filmtrust",
            ("ratings.txt", "trust.txt"),
            "FilmTrust ratings (0.5-4.0) with the directed trust network",
            {"interactions": 35_497, "users": 1_508, "items": 2_071, "trust": 1_853},
            notes="3 (user, item) pairs occur twice in the public file",
        ),
        DatasetSpec(
            "ciaodvd",
            "dataset",
            CIAODVD,
            "ciaodvd",
            ("movie-ratings.txt", "trusts.txt"),
            "CiaoDVD movie ratings (1-5, dates) with genre, review id and the trust network",
            {"interactions": 72_665, "users": 17_615, "items": 16_121, "trust": 40_133},
            aliases=("ciao",),
            notes="320 (user, item) pairs occur more than once in the public file",
        ),
        DatasetSpec(
            "lastfm-2k",
            "dataset",
            LASTFM,
            "lastfm",
            ("user_artists.dat", "artists.dat", "user_friends.dat", "tags.dat", "user_taggedartists.dat"),
            "HetRec 2011 Last.fm user-artist play counts, friends, artists and tag assignments",
            {
                "interactions": 92_834,
                "users": 1_892,
                "items": 17_632,
                "friends": 25_434,
                "tag_assignments": 186_479,
            },
            aliases=("hetrec2011-lastfm-2k", "lastfm"),
        ),
        DatasetSpec(
            "gowalla",
            "dataset",
            GOWALLA,
            "gowalla",
            ("loc-gowalla_totalCheckins.txt.gz",),
            "Gowalla location check-ins (user, location, time) from SNAP",
            {"interactions": 6_442_890},
        ),
        DatasetSpec(
            "yelp",
            "dataset",
            YELP,
            "yelp",
            ("yelp_academic_dataset_review.json",),
            "Yelp Open Dataset reviews as (user, business, stars, date)",
        ),
    ]
    for part in ("u1", "u2", "u3", "u4", "u5", "ua", "ub"):
        specs.append(
            DatasetSpec(
                f"ml-100k-{part}",
                "split",
                ML100K,
                "ml100k_split",
                (f"{part}.base", f"{part}.test", *_ML100K_SIDE),
                f"MovieLens 100K official split {part}.base / {part}.test (made by mku.sh)",
                {"interactions": 100_000, "users": 943, "items": 1_682},
                options={"part": part},
                protocol="ratio-80-20-random" if part[1].isdigit() else "10-per-user-test",
            )
        )
    aush = {
        "ml100k": ("ml100k", "target_users", 100_000, 943, 1_682),
        "filmtrust": ("filmTrust", "target_users", 28_797, 780, 721),
        "automotive": ("automotive", "target_users", 20_473, 2_928, 1_835),
        "yelp": ("yelp", "target_item", 119_237, 2_762, 10_477),
        "appandroid": ("AppAndroid", "target_item", 163_593, 5_880, 12_300),
        "groceryfood": ("GroceryFood", "target_item", 55_702, 1_777, 7_790),
        "toolhome": ("ToolHome", "target_item", 23_527, 891, 7_916),
    }
    for key, (folder, target, n, users, items) in aush.items():
        base = f"data/{folder}/{folder}"
        specs.append(
            DatasetSpec(
                f"aush-{key}",
                "split",
                AUSH,
                "aush",
                (f"{base}_train.dat", f"{base}_test.dat", f"{base}_selected_items", f"{base}_{target}"),
                f"AUSH/Leg-UP released {folder} train/test split with attack target items",
                {"interactions": n, "users": users, "items": items},
                protocol="released-train-test",
                notes=(
                    "ids kept as released (0-based, so target files stay valid): the id space spans the "
                    "largest id + 1 and some ids may have no rows; the published counts are distinct ids"
                ),
            )
        )
    specs += [
        DatasetSpec(
            "ncf-ml-1m",
            "split",
            NCF_APR,
            "ncf",
            ("Data/ml-1m.train.rating", "Data/ml-1m.test.rating", "Data/ml-1m.test.negative"),
            "NCF's MovieLens 1M leave-one-out split with 99 sampled test negatives per user",
            {"interactions": 1_000_209, "users": 6_040, "items": 3_706},
            protocol="leave-one-out-latest",
        ),
        DatasetSpec(
            "ncf-pinterest-20",
            "split",
            NCF_APR,
            "ncf",
            (
                "Data/pinterest-20.train.rating",
                "Data/pinterest-20.test.rating",
                "Data/pinterest-20.test.negative",
            ),
            "NCF's Pinterest (users with >= 20 pins) leave-one-out split with 99 test negatives per user",
            {"interactions": 1_500_809, "users": 55_187, "items": 9_916},
            protocol="leave-one-out-latest",
            aliases=("pinterest",),
        ),
        DatasetSpec(
            "apr-yelp",
            "split",
            NCF_APR,
            "ncf",
            ("Data/yelp.train.rating", "Data/yelp.test.rating", "Data/yelp.test.negative"),
            "APR's Yelp leave-one-out split with 999 test negatives per user",
            {"interactions": 730_791, "users": 25_677, "items": 25_815},
            protocol="leave-one-out-latest",
        ),
        DatasetSpec(
            "apl-gowalla",
            "split",
            APL,
            "apl",
            ("data/Gowalla/Gowalla.train", "data/Gowalla/Gowalla.test"),
            "APL's Gowalla train/test split (implicit check-ins)",
            {"interactions": 821_931, "users": 18_737, "items": 32_510},
            protocol="released-train-test",
        ),
        DatasetSpec(
            "apl-yelp",
            "split",
            APL,
            "apl",
            ("data/Yelp/Yelp.train", "data/Yelp/Yelp.test"),
            "APL's Yelp train/test split (implicit)",
            {"interactions": 731_671, "users": 25_677, "items": 25_815},
            protocol="released-train-test",
        ),
        DatasetSpec(
            "irgan-ml-100k",
            "split",
            IRGAN,
            "irgan",
            (
                "item_recommendation/ml-100k/movielens-100k-train.txt",
                "item_recommendation/ml-100k/movielens-100k-test.txt",
                "item_recommendation/ml-100k/model_dns_ori.user_embeddings.tsv",
                "item_recommendation/ml-100k/model_dns_ori.item_embeddings.tsv",
                "item_recommendation/ml-100k/model_dns_ori.item_bias.tsv",
            ),
            "IRGAN's MovieLens 100K split (= u1.base/u1.test, 0-based) with the pre-trained generator init",
            {"interactions": 100_000, "users": 943, "items": 1_682},
            protocol="released-train-test",
            notes="IRGAN's code keeps ratings > 3.99 as positives: use implicit=True, threshold=4",
        ),
        DatasetSpec(
            "cfgan-ciao",
            "split",
            CFGAN,
            "cfgan",
            ("Ciao/Ciao.train", "Ciao/Ciao.test"),
            "CFGAN's released Ciao train/test split",
            {"interactions": 16_821},
            protocol="released-train-test",
        ),
        DatasetSpec(
            "cfgan-ml100k",
            "split",
            CFGAN,
            "cfgan",
            ("ML100K/ML100K.train", "ML100K/ML100K.test"),
            "CFGAN's released MovieLens 100K train/test split",
            {"interactions": 99_963, "users": 943},
            protocol="released-train-test",
            aliases=("cfgan-ml-100k",),
        ),
        DatasetSpec(
            "cofigan-ml100k",
            "split",
            COFIGAN,
            "cofigan",
            ("dataset/ML100K-copy1-train", "dataset/ML100K-copy1-test"),
            "CoFiGAN's ML100K copy-1 split of the pairs rated 4-5 (implicit)",
            {"interactions": 54_434},
            protocol="released-train-test",
            aliases=("cofigan-ml-100k",),
        ),
        DatasetSpec(
            "gan-vae-cf-askubuntu",
            "split",
            GANVAECF,
            "ganvaecf",
            tuple(
                f"Dataset/Askubuntu_Sample/{f}"
                for f in (
                    "train_GAN.csv",
                    "validation_tr.csv",
                    "validation_te.csv",
                    "test_tr.csv",
                    "test_te.csv",
                    "profile2id.txt",
                    "item2id.txt",
                    "niche_items.txt",
                )
            ),
            "Long-Tail-GAN's Ask Ubuntu sample: training users plus held-out validation/test users "
            "with fold-in",
            {"interactions": 179_368 + 68_706 + 69_256},
            protocol="strong-generalisation",
            notes="train holds only the training users; fold-in items of held-out users are in split.side",
        ),
        DatasetSpec(
            "graphgan-ca-grqc",
            "split",
            GRAPHGAN,
            "graphgan",
            (
                "data/link_prediction/CA-GrQc_train.txt",
                "data/link_prediction/CA-GrQc_test.txt",
                "data/link_prediction/CA-GrQc_test_neg.txt",
            ),
            "GraphGAN's arXiv-GrQc link-prediction edges (node x node), with negative test pairs",
            {"interactions": 14_495, "users": 5_242, "items": 5_242},
            protocol="link-prediction",
        ),
    ]
    dpr = {
        "yelp-4": ("Yelp-4", 211_715, 8_263, 4_420),
        "amazon-4": ("Amazon-4", 118_453, 4_011, 2_765),
        "ml1m-2": ("ml1m-2", 215_550, 5_562, 543),
        "yelp-2": ("Yelp-2", 117_979, 6_310, 2_834),
        "amazon-2": ("Amazon-2", 85_574, 3_915, 2_549),
        "ml1m-6": ("ml1m-6", 526_490, 6_036, 1_481),
    }
    for key, (folder, n, users, items) in dpr.items():
        specs.append(
            DatasetSpec(
                f"dpr-{key}",
                "split",
                DPR,
                "dpr",
                tuple(
                    f"{folder}/{f}"
                    for f in (
                        "train.tsv",
                        "validation.tsv",
                        "test.tsv",
                        "users.tsv",
                        "items.tsv",
                        "groups.json",
                        "user_genre_count.tsv",
                    )
                ),
                f"DPR's released {folder} split (implicit) with item groups",
                {"interactions": n, "users": users, "items": items},
                protocol="released-train-valid-test",
                notes={
                    "ml1m-6": "train.tsv is not obtainable (the authors' training_df.pkl is missing "
                    "upstream)",
                    "amazon-2": "the released pickles are not the paper's Amazon-2 run "
                    "(3,915 vs 3,845 users)",
                }.get(key, ""),
            )
        )
    for cat in AMAZON_CATEGORIES:
        slug = cat.lower().replace("_", "-")
        specs.append(
            DatasetSpec(
                f"amazon-{slug}",
                "dataset",
                AMAZON,
                "amazon_ratings",
                (f"ratings_{cat}.csv",),
                f"Amazon 2014 {cat.replace('_', ' ')} ratings (user, item, rating, time)",
            )
        )
        specs.append(
            DatasetSpec(
                f"amazon-{slug}-5core",
                "dataset",
                AMAZON,
                "amazon_reviews",
                (f"reviews_{cat}_5.json.gz",),
                f"Amazon 2014 {cat.replace('_', ' ')} 5-core reviews (user, item, rating, time)",
                {"interactions": 20_473, "users": 2_928, "items": 1_835} if cat == "Automotive" else {},
            )
        )
    return specs


REGISTRY: dict[str, DatasetSpec] = {spec.name: spec for spec in _specs()}
_ALIASES: dict[str, str] = {alias: spec.name for spec in REGISTRY.values() for alias in spec.aliases}


def get_spec(name: str) -> DatasetSpec:
    """The registered spec called `name` (case-insensitive; aliases accepted)."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in REGISTRY:
        close = sorted(n for n in REGISTRY if key.split("-")[0] in n)[:8]
        hint = f"; similar: {', '.join(close)}" if close else ""
        raise UnknownDatasetError(
            f"unknown dataset {name!r}: not registered and not an existing file{hint} "
            f"(`advrec data list` shows every name)"
        )
    return REGISTRY[key]


def list_specs(kind: str | None = None) -> list[DatasetSpec]:
    """Every registered spec, optionally only datasets (`kind="dataset"`) or splits (`kind="split"`)."""
    if kind not in (None, "dataset", "split"):
        raise ValueError(f"kind must be None, 'dataset' or 'split', got {kind!r}")
    return [s for s in REGISTRY.values() if kind is None or s.kind == kind]
