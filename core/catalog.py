"""The catalog of the survey's 76 works: load, validate, filter, export.

`catalog()` reads `catalog/works/*.yaml`, `vocabulary.yaml` and `references.bib`, checks every entry
against the schema of `catalog/README.md` and the vocabulary, and returns a `Catalog`. Every problem
is reported with the file, the field, the bad value and what was allowed. Nothing here imports torch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    import pandas as pd

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "catalog"
STATUSES = ("pending", "reproduced", "claims-hold", "claims-fail", "approximated", "not-executable")
YEAR_RANGE = (1990, 2030)

_TOP = ("id", "name", "title", "authors", "year", "bibkey", "code", "survey", "taxonomy", "threat_model",
        "claims", "reproduction")
_SURVEY = ("table", "row_id", "rows", "refs", "section", "reference", "notes")
_TAXONOMY = {
    2: {"objective": "one", "attack": "list", "defense": "list", "granularity": "list", "rec_class": "list",
        "predictor": "list", "loss": "list", "preference": "one", "metrics": "list", "domains": "list",
        "datasets": "list"},
    5: {"category": "one", "generator": "list", "discriminator": "list", "training": "list",
        "sampling": "list"},
}
_THREAT = ("knowledge", "capability", "budget", "goal")
_BUDGET = ("epsilon", "norm", "fake_profile_share", "filler_size", "iterations", "step_size", "other")
_CLAIM = ("id", "statement", "source", "kind", "reported")
_REPORTED = ("dataset", "protocol", "metric", "k", "model", "value", "table", "note")
_REPRODUCTION = ("notebook", "status", "datasets", "protocol", "deviations", "reason")
_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# Filter names: design-card aliases first, then every taxonomy field under its own name.
_FIELD_ALIASES = {
    "attack": ("attack",), "defense": ("defense",), "granularity": ("granularity",),
    "model": ("predictor", "generator", "discriminator"), "metric": ("metrics",), "metrics": ("metrics",),
    "dataset": ("datasets",), "datasets": ("datasets",), "domain": ("domains",), "domains": ("domains",),
    "objective": ("objective",), "category": ("category",), "generator": ("generator",),
    "discriminator": ("discriminator",), "training": ("training",), "sampling": ("sampling",),
    "rec_class": ("rec_class",), "predictor": ("predictor",), "loss": ("loss",),
    "preference": ("preference",),
}
_SPECIAL_FILTERS = ("year", "text", "status", "knowledge", "table", "id")


class CatalogError(ValueError):
    """A catalog file breaks the schema; the message names file, field, value and what is allowed."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in the catalog:\n" if len(self.problems) > 1 else ""
        super().__init__(head + "\n".join(self.problems))


@dataclass(frozen=True)
class Work:
    """One surveyed work: bibliography, the survey's taxonomy, threat model, claims, reproduction."""

    id: str
    name: str
    title: str
    authors: str
    year: int
    bibkey: str
    code: str | None
    survey: dict[str, Any]
    taxonomy: dict[str, Any]
    threat_model: dict[str, Any] | None
    claims: list[dict[str, Any]]
    reproduction: dict[str, Any]
    path: Path
    bibtex: str = field(default="", repr=False)

    @property
    def table(self) -> int:
        """The survey table the work belongs to: 2 (attack/defense) or 5 (GAN-based)."""
        return int(self.survey["table"])

    @property
    def status(self) -> str:
        return str(self.reproduction["status"])

    def to_dict(self) -> dict[str, Any]:
        """The entry as it is stored in YAML (without path and BibTeX)."""
        data = {key: getattr(self, key) for key in _TOP}
        if data["threat_model"] is None:
            del data["threat_model"]
        return data


class Catalog:
    """An ordered, filterable collection of works (Table 2 rows first, then Table 5, as printed)."""

    def __init__(self, works: Iterable[Work], vocabulary: Mapping[str, Any], root: Path,
                 bibliography: str = "") -> None:
        self._works = list(works)
        self.vocabulary = dict(vocabulary)
        self.root = root
        self._bibliography = bibliography
        self._by_key = {}
        for work in self._works:
            self._by_key[work.id.lower()] = work
            self._by_key.setdefault(work.name.lower(), work)

    def __len__(self) -> int:
        return len(self._works)

    def __iter__(self) -> Iterator[Work]:
        return iter(self._works)

    def __getitem__(self, key: str) -> Work:
        return self.get(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._by_key

    def __repr__(self) -> str:
        return f"Catalog({len(self)} works from {self.root})"

    @property
    def ids(self) -> list[str]:
        return [work.id for work in self._works]

    def get(self, key: str) -> Work:
        """The work with this id or survey name (case-insensitive), e.g. "APR" or "gan-pw-lstm"."""
        work = self._by_key.get(key.lower())
        if work is None:
            raise KeyError(f"no work with id or name {key!r}; known ids: {', '.join(self.ids)}")
        return work

    def filter(self, **criteria: Any) -> Catalog:
        """Works matching every criterion; a list value means any of its terms.

        Taxonomy fields (attack, defense, granularity, model, metric, dataset, objective, category,
        generator, discriminator, training, sampling, ...) match vocabulary terms case-insensitively;
        `year` takes an int, a list or an inclusive (low, high) tuple; `text` searches ids, names,
        titles and authors; `status`, `knowledge` and `table` match those attributes.
        """
        works = self._works
        for name, wanted in criteria.items():
            if wanted is None:
                continue
            predicate = self._predicate(name, wanted)
            works = [work for work in works if predicate(work)]
        return Catalog(works, self.vocabulary, self.root, self._bibliography)

    def to_frame(self) -> pd.DataFrame:
        """One row per work; list-valued taxonomy fields stay lists."""
        import pandas as pd

        rows = []
        for work in self._works:
            row: dict[str, Any] = {
                "id": work.id, "name": work.name, "title": work.title, "authors": work.authors,
                "year": work.year, "table": work.table, "section": work.survey["section"],
            }
            for table_fields in _TAXONOMY.values():
                for key in table_fields:
                    row[key] = work.taxonomy.get(key)
            row["knowledge"] = (work.threat_model or {}).get("knowledge")
            row["status"] = work.status
            row["n_claims"] = len(work.claims)
            row["bibkey"] = work.bibkey
            row["code"] = work.code
            row["notebook"] = work.reproduction["notebook"]
            rows.append(row)
        return pd.DataFrame(rows, columns=list(rows[0]) if rows else ["id"])

    def to_bibtex(self) -> str:
        """BibTeX of the works in this catalog, in catalog order, each key once."""
        seen: set[str] = set()
        chunks = []
        for work in self._works:
            if work.bibkey not in seen:
                seen.add(work.bibkey)
                chunks.append(work.bibtex)
        return "\n\n".join(chunks) + "\n"

    # -- filtering -------------------------------------------------------------------------------

    def _predicate(self, name: str, wanted: Any) -> Any:
        if name == "year":
            return _year_predicate(wanted)
        if name == "text":
            needle = str(wanted).lower()
            return lambda w: any(needle in s.lower() for s in (w.id, w.name, w.title, w.authors))
        if name == "table":
            tables = {int(t) for t in _as_list(wanted)}
            return lambda w: w.table in tables
        if name == "id":
            ids = {str(i).lower() for i in _as_list(wanted)}
            return lambda w: w.id in ids or w.name.lower() in ids
        if name == "status":
            terms = self._resolve_terms("status", _as_list(wanted), "status")
            return lambda w: w.status in terms
        if name == "knowledge":
            terms = self._resolve_terms("knowledge", _as_list(wanted), "knowledge")
            return lambda w: (w.threat_model or {}).get("knowledge") in terms
        if name in ("dataset", "datasets"):
            canon = self._resolve_datasets(_as_list(wanted))
            return lambda w: bool(canon & self._work_datasets(w))
        if name not in _FIELD_ALIASES:
            valid = sorted(set(_FIELD_ALIASES) | set(_SPECIAL_FILTERS))
            raise ValueError(f"unknown filter field {name!r}; valid fields: {', '.join(valid)}")
        keys = _FIELD_ALIASES[name]
        terms: set[str] = set()
        for key in keys:
            terms |= self._resolve_terms(key, _as_list(wanted), name, strict=len(keys) == 1)
        if not terms:
            allowed = sorted({t for key in keys for t in self._terms(key)})
            raise ValueError(f"unknown {name} term(s) {_as_list(wanted)!r}; "
                             f"valid terms: {', '.join(allowed)}")
        return lambda w: any(set(_as_list(w.taxonomy.get(key) or [])) & terms for key in keys)

    def _terms(self, key: str) -> list[str]:
        if key == "status" and "status" not in self.vocabulary.get("fields", {}):
            return list(STATUSES)
        return list(self.vocabulary.get("fields", {}).get(key, {}).get("terms", {}))

    def _resolve_terms(self, key: str, wanted: list[Any], label: str, strict: bool = True) -> set[str]:
        by_lower = {term.lower(): term for term in self._terms(key)}
        resolved = set()
        for value in wanted:
            term = by_lower.get(str(value).lower())
            if term is None and strict:
                raise ValueError(f"unknown {label} term {value!r}; "
                                 f"valid terms: {', '.join(self._terms(key))}")
            if term is not None:
                resolved.add(term)
        return resolved

    def _dataset_index(self) -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        names = self.vocabulary.get("dataset_names", {})
        for canonical, spec in names.items():
            spec = spec or {}
            for alias in [canonical, *spec.get("aliases", [])]:
                index.setdefault(_norm(alias), set()).add(canonical)
            family = spec.get("family")
            if family:
                index.setdefault(_norm(family), set()).add(canonical)
        for term, spec in self.vocabulary.get("fields", {}).get("datasets", {}).get("terms", {}).items():
            index.setdefault(_norm(term), set()).update((spec or {}).get("expands_to", []))
        return index

    def _resolve_datasets(self, wanted: list[Any]) -> set[str]:
        index = self._dataset_index()
        canon: set[str] = set()
        for value in wanted:
            hit = index.get(_norm(str(value)))
            if not hit:
                valid = sorted(self.vocabulary.get("dataset_names", {}))
                raise ValueError(f"unknown dataset {value!r}; valid datasets (or their aliases and families,"
                                 f" or Table 3's printed names): {', '.join(valid)}")
            canon |= hit
        return canon

    def _work_datasets(self, work: Work) -> set[str]:
        terms = self.vocabulary.get("fields", {}).get("datasets", {}).get("terms", {})
        names: set[str] = set()
        for printed in work.taxonomy.get("datasets") or []:
            names.update((terms.get(printed) or {}).get("expands_to", []))
        return names


def catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """Load and validate the catalog folder (default: $ADVREC_CATALOG, else the repository's catalog/)."""
    root = resolve_root(path)
    works, vocabulary, bib, problems = _load(root)
    if problems:
        raise CatalogError(problems)
    return Catalog(works, vocabulary, root, bib)


def validate(path: str | os.PathLike[str] | None = None) -> list[str]:
    """Every problem of the catalog folder as a list of messages (empty when it is valid)."""
    return _load(resolve_root(path))[3]


def resolve_root(path: str | os.PathLike[str] | None = None) -> Path:
    """The catalog folder: `path`, else $ADVREC_CATALOG, else the repository's catalog/."""
    root = Path(path or os.environ.get("ADVREC_CATALOG") or DEFAULT_ROOT)
    if not (root / "works").is_dir():
        raise FileNotFoundError(
            f"catalog folder {root} has no works/ subfolder; pass the folder holding works/, "
            "vocabulary.yaml and references.bib (advrec.catalog(path), --catalog DIR or $ADVREC_CATALOG)"
        )
    return root


def _load(root: Path) -> tuple[list[Work], dict[str, Any], str, list[str]]:
    problems: list[str] = []
    vocabulary = _read_yaml(root / "vocabulary.yaml", problems) or {}
    if not isinstance(vocabulary, dict) or not isinstance(vocabulary.get("fields"), dict):
        problems.append(f"{root / 'vocabulary.yaml'}: expected a mapping with a 'fields' mapping")
        vocabulary = {"fields": {}}
    bib_entries, bib_text = _read_bib(root / "references.bib", problems)
    works: list[Work] = []
    ids: dict[str, Path] = {}
    for path in sorted((root / "works").glob("*.yaml")):
        data = _read_yaml(path, problems)
        if data is None:
            continue
        ident = data.get("id") if isinstance(data, dict) else None
        if isinstance(ident, str) and ident in ids:
            problems.append(f"{path}: field 'id': duplicate id {ident!r}, already used by {ids[ident]}")
            continue
        if isinstance(ident, str):
            ids[ident] = path
        work = _EntryChecker(path, vocabulary, bib_entries, problems).check(data)
        if work is not None:
            works.append(work)
    works.sort(key=lambda w: (w.table, w.survey["row_id"], w.survey["refs"][0]))
    return works, vocabulary, bib_text, problems


def _read_yaml(path: Path, problems: list[str]) -> Any:
    if not path.is_file():
        problems.append(f"{path}: file missing")
        return None
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as err:
        problems.append(f"{path}: not valid YAML: {err}")
        return None


def _read_bib(path: Path, problems: list[str]) -> tuple[dict[str, str], str]:
    """BibTeX entries by key, as their source text; DOI, year and duplicate-key problems recorded."""
    import bibtexparser

    if not path.is_file():
        problems.append(f"{path}: file missing")
        return {}, ""
    text = path.read_text(encoding="utf-8")
    library = bibtexparser.parse_string(text)
    for block in library.failed_blocks:
        problems.append(f"{path}: unparsable BibTeX block starting {block.raw[:60]!r} "
                        f"({type(block).__name__})")
    entries: dict[str, str] = {}
    dois: dict[str, str] = {}
    for entry in library.entries:
        fields = {key.lower(): str(f.value) for key, f in entry.fields_dict.items()}
        for required in ("author", "title", "year"):
            if not fields.get(required):
                problems.append(f"{path}: entry {entry.key!r}: field {required!r} missing")
        if not any(fields.get(v) for v in ("journal", "booktitle", "publisher", "howpublished", "school",
                                           "institution", "venue")):
            problems.append(f"{path}: entry {entry.key!r}: no venue (journal, booktitle, publisher, ...)")
        year = fields.get("year", "")
        if year and not (year.isdigit() and YEAR_RANGE[0] <= int(year) <= YEAR_RANGE[1]):
            problems.append(f"{path}: entry {entry.key!r}: field 'year': bad value {year!r}; "
                            f"expected an integer in {YEAR_RANGE[0]}..{YEAR_RANGE[1]}")
        doi = fields.get("doi", "").strip().lower()
        if doi:
            if doi in dois:
                problems.append(f"{path}: entry {entry.key!r}: field 'doi': duplicate DOI {doi!r}, "
                                f"also in entry {dois[doi]!r}")
            dois[doi] = entry.key
        entries[entry.key] = entry.raw.strip()
    return entries, text


class _EntryChecker:
    """Checks one YAML entry; appends a message per problem and builds the Work when it is sound."""

    def __init__(self, path: Path, vocabulary: Mapping[str, Any], bib: Mapping[str, str],
                 problems: list[str]) -> None:
        self.path = path
        self.vocabulary = vocabulary
        self.bib = bib
        self.problems = problems
        self.start = len(problems)

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.path}: field {where!r}: {message}")

    def check(self, data: Any) -> Work | None:
        if not isinstance(data, dict):
            self.problems.append(f"{self.path}: expected a mapping of fields, got {type(data).__name__}")
            return None
        self._keys(data, "", _TOP, optional=("threat_model", "code"))
        ident = data.get("id")
        if not isinstance(ident, str) or not _ID_RE.match(ident):
            self.fail("id", f"bad value {ident!r}; expected a slug of [a-z0-9] words joined by '-'")
        elif ident != self.path.stem:
            self.fail("id", f"bad value {ident!r}; expected the file name's stem {self.path.stem!r}")
        for key in ("name", "title", "authors", "bibkey"):
            self._string(data, key)
        year = data.get("year")
        if not isinstance(year, int) or isinstance(year, bool) or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
            self.fail("year", f"bad value {year!r}; expected an integer in {YEAR_RANGE[0]}..{YEAR_RANGE[1]}")
        code = data.get("code")
        if code is not None and not (isinstance(code, str) and code.startswith(("http://", "https://"))):
            self.fail("code", f"bad value {code!r}; expected an http(s) URL or null")
        bibkey = data.get("bibkey")
        if isinstance(bibkey, str) and bibkey not in self.bib:
            self.fail("bibkey", f"dangling bibkey {bibkey!r}: no such entry in references.bib")
        table = self._survey(data.get("survey"))
        if table is not None:
            self._taxonomy(data.get("taxonomy"), table)
            self._threat(data.get("threat_model"), table)
        self._claims(data.get("claims"))
        self._reproduction(data.get("reproduction"), data.get("id"))
        if len(self.problems) > self.start:
            return None
        return Work(
            id=data["id"], name=data["name"], title=data["title"], authors=data["authors"], year=data["year"],
            bibkey=data["bibkey"], code=data.get("code"), survey=data["survey"], taxonomy=data["taxonomy"],
            threat_model=data.get("threat_model"), claims=data["claims"], reproduction=data["reproduction"],
            path=self.path, bibtex=self.bib[data["bibkey"]],
        )

    def _keys(self, data: Mapping[str, Any], where: str, allowed: Sequence[str],
              optional: Sequence[str] = ()) -> None:
        prefix = f"{where}." if where else ""
        for key in data:
            if key not in allowed:
                self.fail(f"{prefix}{key}", f"unknown field; allowed fields: {', '.join(allowed)}")
        for key in allowed:
            if key not in data and key not in optional:
                self.fail(f"{prefix}{key}", "required field missing")

    def _string(self, data: Mapping[str, Any], key: str, where: str = "", nullable: bool = False) -> None:
        value = data.get(key)
        if value is None and nullable:
            return
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{where}{key}", f"bad value {value!r}; expected a non-empty string")

    def _term(self, field_name: str, value: Any, where: str) -> None:
        terms = self.vocabulary.get("fields", {}).get(field_name, {}).get("terms", {})
        if value not in terms:
            self.fail(where, f"bad value {value!r}; allowed values: {', '.join(map(str, terms))}")

    def _survey(self, survey: Any) -> int | None:
        if not isinstance(survey, dict):
            self.fail("survey", f"expected a mapping, got {survey!r}")
            return None
        self._keys(survey, "survey", _SURVEY)
        table = survey.get("table")
        if table not in _TAXONOMY:
            self.fail("survey.table", f"bad value {table!r}; allowed values: 2, 5")
            return None
        refs = survey.get("refs")
        if not isinstance(refs, list) or not refs or not all(isinstance(r, int) for r in refs):
            self.fail("survey.refs", f"bad value {refs!r}; expected a non-empty list of reference numbers")
        rows = survey.get("rows")
        expected_rows = {"table2", "table3"} if table == 2 else {"table5"}
        if not isinstance(rows, dict) or set(rows) != expected_rows or not all(
                isinstance(v, int) and v > 0 for v in rows.values()):
            self.fail("survey.rows",
                      f"bad value {rows!r}; expected positive row numbers for {sorted(expected_rows)}")
        for key in ("row_id", "section", "reference"):
            self._string(survey, key, "survey.")
        self._string_list(survey.get("notes"), "survey.notes")
        return int(table)

    def _string_list(self, value: Any, where: str) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(where, f"bad value {value!r}; expected a list of non-empty strings")

    def _taxonomy(self, taxonomy: Any, table: int) -> None:
        if not isinstance(taxonomy, dict):
            self.fail("taxonomy", f"expected a mapping, got {taxonomy!r}")
            return
        spec = _TAXONOMY[table]
        self._keys(taxonomy, "taxonomy", list(spec))
        for key, arity in spec.items():
            if key not in taxonomy:
                continue
            value = taxonomy[key]
            where = f"taxonomy.{key}"
            if arity == "one":
                self._term(key, value, where)
            elif not isinstance(value, list):
                self.fail(where, f"bad value {value!r}; expected a list of terms (possibly empty)")
            else:
                if len(set(value)) != len(value):
                    self.fail(where, f"bad value {value!r}; a term is repeated")
                for item in value:
                    self._term(key, item, where)

    def _threat(self, threat: Any, table: int) -> None:
        if table == 5:
            if threat is not None:
                self.fail("threat_model", "GAN-based works (Table 5) have no threat model; remove the field")
            return
        if not isinstance(threat, dict):
            self.fail("threat_model", f"required for attack/defense works (Table 2); got {threat!r}")
            return
        self._keys(threat, "threat_model", _THREAT)
        self._term("knowledge", threat.get("knowledge"), "threat_model.knowledge")
        for key in ("capability", "goal"):
            self._string(threat, key, "threat_model.")
        budget = threat.get("budget")
        if not isinstance(budget, dict) or not budget:
            self.fail("threat_model.budget", f"bad value {budget!r}; expected a non-empty mapping")
        else:
            self._keys(budget, "threat_model.budget", _BUDGET, optional=_BUDGET)

    def _claims(self, claims: Any) -> None:
        if not isinstance(claims, list):
            self.fail("claims", f"bad value {claims!r}; expected a list of claims")
            return
        seen: set[str] = set()
        for i, claim in enumerate(claims):
            where = f"claims[{i}]"
            if not isinstance(claim, dict):
                self.fail(where, f"expected a mapping, got {claim!r}")
                continue
            self._keys(claim, where, _CLAIM)
            for key in ("id", "statement", "source"):
                self._string(claim, key, f"{where}.")
            if claim.get("id") in seen:
                self.fail(f"{where}.id", f"duplicate claim id {claim.get('id')!r}")
            seen.add(claim.get("id"))
            self._term("kind", claim.get("kind"), f"{where}.kind")
            reported = claim.get("reported")
            if not isinstance(reported, list):
                self.fail(f"{where}.reported", f"bad value {reported!r}; expected a list (possibly empty)")
                continue
            for j, value in enumerate(reported):
                rwhere = f"{where}.reported[{j}]"
                if not isinstance(value, dict):
                    self.fail(rwhere, f"expected a mapping, got {value!r}")
                    continue
                self._keys(value, rwhere, _REPORTED, optional=("protocol", "k", "model", "table", "note"))
                if not isinstance(value.get("value"), str):
                    self.fail(f"{rwhere}.value", f"bad value {value.get('value')!r}; expected the number as "
                                                 "printed, as a string")

    def _reproduction(self, repro: Any, ident: Any) -> None:
        if not isinstance(repro, dict):
            self.fail("reproduction", f"expected a mapping, got {repro!r}")
            return
        self._keys(repro, "reproduction", _REPRODUCTION)
        status = repro.get("status")
        if status not in STATUSES:
            self.fail("reproduction.status", f"bad value {status!r}; allowed values: {', '.join(STATUSES)}")
        notebook = repro.get("notebook")
        if notebook != f"papers/{ident}.ipynb":
            self.fail("reproduction.notebook", f"bad value {notebook!r}; expected 'papers/{ident}.ipynb'")
        self._string(repro, "protocol", "reproduction.", nullable=True)
        self._string_list(repro.get("deviations"), "reproduction.deviations")
        datasets = repro.get("datasets")
        if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
            self.fail("reproduction.datasets", f"bad value {datasets!r}; expected a list of dataset names")
        self._string(repro, "reason", "reproduction.", nullable=status != "not-executable")


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, set, frozenset)):
        return list(value)
    if isinstance(value, tuple):
        return list(value)
    return [value]


def _norm(text: str) -> str:
    return re.sub(r"[\s\-_.()/,]+", "", text.lower())


def _year_predicate(wanted: Any) -> Any:
    if isinstance(wanted, tuple):
        if len(wanted) != 2:
            raise ValueError(f"year range must be (low, high), got {wanted!r}")
        low, high = (int(v) for v in wanted)
        return lambda w: low <= w.year <= high
    years = set()
    for value in _as_list(wanted):
        try:
            years.add(int(value))
        except (TypeError, ValueError):
            raise ValueError("year must be an integer, a list of integers or a (low, high) tuple, "
                             f"got {value!r}") from None
    return lambda w: w.year in years
