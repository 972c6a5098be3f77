"""The catalog: counts against the survey, fidelity to the transcription, filters, validation errors."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

import advrec
from advrec.catalog import Catalog, CatalogError, catalog, validate

# Table 5 category sizes as printed in the survey (16 + 4 + 11 + 8 + 2 + 7 + 5 = 53 rows).
TABLE5_CATEGORIES = {
    "collaborative": 16, "graph-based-collaborative": 4, "hybrid-collaborative": 11,
    "context-aware-temporal": 8, "context-aware-geographical": 2, "cross-domain": 7, "fashion": 5,
}
# survey_tables.yaml field name -> catalog taxonomy field name.
TRANSCRIPTION_FIELDS = {
    "objective": "objective", "attack_model": "attack", "defense_model": "defense",
    "attack_granularity": "granularity", "rec_class": "rec_class", "predictor": "predictor", "loss": "loss",
    "pref_type": "preference", "metrics": "metrics", "domains": "domains", "datasets": "datasets",
    "category": "category", "generator": "generator", "discriminator": "discriminator",
    "training": "training",
}


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return catalog()


def test_76_works_split_as_in_the_survey(cat: Catalog) -> None:
    assert len(cat) == 76
    assert Counter(w.table for w in cat) == {2: 23, 5: 53}
    table2_rows = {w.survey["row_id"] for w in cat if w.table == 2}
    assert len(table2_rows) == 22
    assert Counter(w.taxonomy["category"] for w in cat if w.table == 5) == TABLE5_CATEGORIES
    assert [w.id for w in cat.filter(text="VAR [")] == ["var-9", "var-10"]


def test_every_security_work_has_a_threat_model_and_gan_work_none(cat: Catalog) -> None:
    for work in cat:
        if work.table == 2:
            assert work.threat_model
            assert work.threat_model["knowledge"] in {"white-box", "gray-box", "black-box"}
        else:
            assert work.threat_model is None


def test_taxonomy_equals_the_transcription(cat: Catalog, reference_dir: Path) -> None:
    records = yaml.safe_load((reference_dir / "survey_tables.yaml").read_text())["records"]
    by_row = {}
    for work in cat:
        by_row.setdefault(work.survey["row_id"], []).append(work)
    rows = [r for r in records if r["table"] != "Table 4"]
    assert len(rows) == 75
    for record in rows:
        works = by_row[record["id"]]
        assert len(works) == len(record["survey_ref_numbers"])
        for work in works:
            assert work.survey["refs"][0] in record["survey_ref_numbers"]
            assert work.year == record["year"]
            for src, dst in TRANSCRIPTION_FIELDS.items():
                if src in record:
                    assert work.taxonomy[dst] == record[src], (work.id, dst)


def test_reported_numbers_come_from_reported_yaml(cat: Catalog, reference_dir: Path) -> None:
    reported = yaml.safe_load((reference_dir / "reported.yaml").read_text())
    printed = {(str(r["dataset"]), str(r["metric"]), str(r.get("model")), str(r["value"]))
               for paper in reported for r in paper.get("results") or []}
    ours = [(str(v["dataset"]), str(v["metric"]), str(v.get("model")), v["value"])
            for w in cat for c in w.claims for v in c["reported"]]
    assert ours, "no reported numbers attached to any claim"
    assert set(ours) <= printed
    assert printed <= set(ours), "a reported number of reported.yaml is attached to no claim"


def test_get_by_id_or_name(cat: Catalog) -> None:
    assert cat.get("APR").id == "apr"
    assert cat.get("apr") is cat.get("Apr")
    assert cat.get("GAN-PW/LSTM").id == "gan-pw-lstm"
    assert "apr" in cat and "nope" not in cat
    with pytest.raises(KeyError, match="known ids"):
        cat.get("nope")


def test_filters(cat: Catalog) -> None:
    fgsm = {w.id for w in cat.filter(attack="fgsm")}
    assert {"apr", "amr", "var-9", "var-10"} <= fgsm
    assert all("FGSM" in cat.get(i).taxonomy["attack"] for i in fgsm)
    both = cat.filter(attack="FGSM", defense="adversarial-training")
    assert {w.id for w in both} <= fgsm
    assert all("adversarial-training" in w.taxonomy["defense"] for w in both)
    anyof = {w.id for w in cat.filter(attack=["FGSM", "C&W"])}
    assert anyof == {w.id for w in cat if {"FGSM", "C&W"} & set(w.taxonomy.get("attack", []))}
    lstm = {w.id for w in cat.filter(generator="LSTM")}
    assert "gan-pw-lstm" in lstm and all("LSTM" in cat.get(i).taxonomy["generator"] for i in lstm)
    model = {w.id for w in cat.filter(model="LSTM")}
    assert lstm <= model
    assert {w.year for w in cat.filter(year=(2019, 2020))} <= {2019, 2020}
    assert len(cat.filter(year=(2019, 2020))) == sum(1 for w in cat if 2019 <= w.year <= 2020)
    assert [w.id for w in cat.filter(text="adversarial personalized ranking for")] == ["apr"]
    fair = cat.filter(objective="Bias-Fairness")
    assert {w.id for w in fair} == {w.id for w in cat if w.taxonomy.get("objective") == "bias-fairness"}
    assert len(cat.filter(category="fashion")) == 5


def test_dataset_filter_understands_printed_names_and_aliases(cat: Catalog) -> None:
    ml1m = {w.id for w in cat.filter(dataset="ML-1M")}
    printed_1m = {w.id for w in cat if any("1M" in d for d in w.taxonomy.get("datasets", []))}
    assert printed_1m and printed_1m <= ml1m
    assert ml1m == {w.id for w in cat.filter(dataset="MovieLens 1M")}
    assert {w.id for w in cat.filter(dataset="yelp")} >= {"apr"}
    assert {"apr"} <= {w.id for w in cat.filter(attack="FGSM", dataset="Gowalla")}


def test_filter_errors_list_the_valid_choices(cat: Catalog) -> None:
    with pytest.raises(ValueError, match="unknown filter field 'colour'.*attack"):
        cat.filter(colour="red")
    with pytest.raises(ValueError, match="unknown attack term 'PGDX'.*FGSM"):
        cat.filter(attack="PGDX")
    with pytest.raises(ValueError, match="unknown dataset 'Netflix-9'"):
        cat.filter(dataset="Netflix-9")


def test_to_frame_keeps_lists(cat: Catalog) -> None:
    frame = cat.to_frame()
    assert len(frame) == 76 and frame["id"].is_unique
    apr = frame.set_index("id").loc["apr"]
    assert apr["attack"] == ["FGSM"] and apr["granularity"] == ["user-embedding", "item-embedding"]


def test_to_bibtex_parses_with_bibtexparser(cat: Catalog) -> None:
    import bibtexparser

    library = bibtexparser.parse_string(cat.filter(attack="FGSM").to_bibtex())
    assert not library.failed_blocks
    assert {e.key for e in library.entries} == {w.bibkey for w in cat.filter(attack="FGSM")}
    whole = bibtexparser.parse_string(cat.to_bibtex())
    assert len(whole.entries) == len({w.bibkey for w in cat})


def test_lazy_api() -> None:
    assert isinstance(advrec.catalog(), Catalog)


# -- validation of malformed input ------------------------------------------------------------------

@pytest.fixture()
def mini(tmp_path: Path, repo: Path) -> Path:
    """A catalog folder with the real vocabulary and bibliography and two real entries."""
    root = tmp_path / "catalog"
    (root / "works").mkdir(parents=True)
    for name in ("vocabulary.yaml", "references.bib"):
        shutil.copy(repo / "catalog" / name, root / name)
    for ident in ("apr", "irgan"):
        shutil.copy(repo / "catalog" / "works" / f"{ident}.yaml", root / "works" / f"{ident}.yaml")
    return root


def _edit(root: Path, ident: str, change) -> None:
    path = root / "works" / f"{ident}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_mini_catalog_is_valid(mini: Path) -> None:
    assert validate(mini) == []
    assert catalog(mini).ids == ["apr", "irgan"]


@pytest.mark.parametrize(
    ("ident", "change", "expected"),
    [
        ("apr", lambda d: d["taxonomy"].update(attack=["FGSM", "PGDX"]),
         r"apr\.yaml: field 'taxonomy\.attack': bad value 'PGDX'; allowed values: FGSM, C&W, others"),
        ("irgan", lambda d: d["taxonomy"].update(generator=["Transformer"]),
         r"irgan\.yaml: field 'taxonomy\.generator': bad value 'Transformer'; allowed values: LFM"),
        ("apr", lambda d: d.update(colour="red"),
         r"apr\.yaml: field 'colour': unknown field; allowed fields: id"),
        ("apr", lambda d: d.pop("title"), r"apr\.yaml: field 'title': required field missing"),
        ("apr", lambda d: d.update(year=1850),
         r"apr\.yaml: field 'year': bad value 1850; expected an integer"),
        ("apr", lambda d: d.update(year="2018"), r"field 'year': bad value '2018'"),
        ("apr", lambda d: d.update(bibkey="nobody2099"), r"field 'bibkey': dangling bibkey 'nobody2099'"),
        ("apr", lambda d: d["threat_model"].update(knowledge="grey"),
         r"field 'threat_model\.knowledge': bad value 'grey'; allowed values: white-box"),
        ("apr", lambda d: d.pop("threat_model"), r"field 'threat_model': required for attack/defense works"),
        ("irgan", lambda d: d.update(threat_model={"knowledge": "white-box"}), r"have no threat model"),
        ("apr", lambda d: d["reproduction"].update(status="done"),
         r"field 'reproduction\.status': bad value 'done'; allowed values: pending, reproduced"),
        ("apr", lambda d: d["reproduction"].update(status="not-executable", reason=None),
         r"field 'reproduction\.reason': bad value None; expected a non-empty string"),
        ("apr", lambda d: d["claims"][0].update(kind="vibes"),
         r"field 'claims\[0\]\.kind': bad value 'vibes'"),
        ("apr", lambda d: d.update(id="APR"), r"field 'id': bad value 'APR'; expected a slug"),
        ("apr", lambda d: d["survey"].update(table=3),
         r"field 'survey\.table': bad value 3; allowed values: 2, 5"),
    ],
)
def test_malformed_entries_name_file_field_value_and_allowed(mini: Path, ident, change, expected) -> None:
    _edit(mini, ident, change)
    with pytest.raises(CatalogError, match=expected):
        catalog(mini)
    assert validate(mini)


def test_duplicate_ids(mini: Path) -> None:
    shutil.copy(mini / "works" / "apr.yaml", mini / "works" / "apr-copy.yaml")
    problems = validate(mini)
    assert any("field 'id': duplicate id 'apr', already used by" in p for p in problems)


def test_duplicate_dois_and_bad_bib_years(mini: Path) -> None:
    bib = (mini / "references.bib").read_text()
    doi = "10.1145/3209978.3209981"
    assert doi in bib
    bib += ("\n@misc{clone2018,\n  author = {Nobody},\n  title = {Clone},\n  howpublished = {x},\n"
            f"  year = {{20x8}},\n  doi = {{{doi}}}\n}}\n")
    (mini / "references.bib").write_text(bib)
    problems = "\n".join(validate(mini))
    assert f"entry 'clone2018': field 'doi': duplicate DOI '{doi}'" in problems
    assert "entry 'clone2018': field 'year': bad value '20x8'" in problems


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="has no works/ subfolder"):
        catalog(tmp_path)
