"""Result records: what one run of a paper notebook measured, and everything needed to trust it.

A record (`record.json`) holds the metrics per seed and aggregated (mean and 95% CI), each claim's
verdict, the work's status, and the run's provenance (git commit, packages, hardware, parameters and
their hash, data checksum, split fingerprint, seeds, times, memory). Records are validated against
`SCHEMA` on write and on read, and written atomically (temp file in the same folder, then rename), so
a crash leaves the previous record intact. Notebooks write theirs through `Recorder`.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import os
import platform
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from advrec.catalog import STATUSES

SCHEMA_VERSION = 1
VERDICTS = ("holds", "fails", "inconclusive", "not-comparable", "not-checked")
OUTCOMES = ("completed", "failed", "timed-out")
PACKAGES = ("advrec", "torch", "numpy", "scipy", "pandas", "numba", "papermill")
RECORD_PATH_ENV = "ADVREC_RECORD_PATH"
RUNS_ENV = "ADVREC_RUNS"

_PACKAGE_DIR = Path(__file__).resolve().parent
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_STRING_OR_NULL = {"type": ["string", "null"]}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "advrec result record",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema_version", "work_id", "outcome", "error", "status", "metrics", "claims", "output",
                 "figures", "notebook", "cache_key", "provenance"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "work_id": {"type": "string", "minLength": 1},
        "outcome": {"enum": list(OUTCOMES)},
        "error": _STRING_OR_NULL,
        "status": {"enum": [*STATUSES, None]},
        "metrics": {
            "type": "object",
            "additionalProperties": False,
            "required": ["per_seed", "aggregate"],
            "properties": {
                "per_seed": {
                    "type": "object",
                    "propertyNames": {"pattern": "^-?[0-9]+$"},
                    "additionalProperties": {"type": "object", "additionalProperties": {"type": "number"}},
                },
                "aggregate": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["mean", "lo", "hi", "std", "n"],
                        "properties": {"mean": {"type": "number"}, "lo": _NUMBER_OR_NULL,
                                       "hi": _NUMBER_OR_NULL, "std": _NUMBER_OR_NULL,
                                       "n": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["claim_id", "verdict", "explanation", "numbers"],
                "properties": {
                    "claim_id": {"type": "string", "minLength": 1},
                    "verdict": {"enum": list(VERDICTS)},
                    "explanation": {"type": "string", "minLength": 1},
                    "numbers": {"type": "object",
                                "additionalProperties": {"type": ["number", "string", "boolean", "null"]}},
                },
            },
        },
        "output": {"type": "object"},
        "figures": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "path", "caption"],
                "properties": {"name": {"type": "string"}, "path": {"type": "string"},
                               "caption": {"type": "string"}},
            },
        },
        "notebook": _STRING_OR_NULL,
        "cache_key": _STRING_OR_NULL,
        "provenance": {
            "type": "object",
            "additionalProperties": False,
            "required": ["git", "packages", "python", "os", "cpu", "cpu_count", "gpu", "parameters",
                         "param_hash", "dataset", "seeds", "start_time", "wall_time_s", "peak_memory_mb"],
            "properties": {
                "git": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["commit", "dirty"],
                    "properties": {"commit": _STRING_OR_NULL, "dirty": {"type": ["boolean", "null"]}},
                },
                "packages": {"type": "object", "additionalProperties": _STRING_OR_NULL},
                "python": {"type": "string"},
                "os": {"type": "string"},
                "cpu": {"type": "string"},
                "cpu_count": {"type": ["integer", "null"]},
                "gpu": _STRING_OR_NULL,
                "parameters": {"type": "object"},
                "param_hash": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                "dataset": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "required": ["name", "checksum", "split_fingerprint"],
                    "properties": {"name": {"type": "string"}, "checksum": _STRING_OR_NULL,
                                   "split_fingerprint": _STRING_OR_NULL},
                },
                "seeds": {"type": "array", "items": {"type": "integer"}},
                "start_time": {"type": "string"},
                "wall_time_s": {"type": "number", "minimum": 0},
                "peak_memory_mb": _NUMBER_OR_NULL,
            },
        },
    },
}


class RecordError(ValueError):
    """A record breaks the schema; the message names the file (if any) and the offending field."""


@dataclass(frozen=True)
class Record:
    """A validated result record: `data` is the JSON document, `path` its file (read or written)."""

    data: dict[str, Any]
    path: Path | None = None
    cached: bool = False

    @property
    def work_id(self) -> str:
        return str(self.data["work_id"])

    @property
    def outcome(self) -> str:
        return str(self.data["outcome"])

    @property
    def ok(self) -> bool:
        """Whether the notebook ran to completion."""
        return self.data["outcome"] == "completed"

    @property
    def error(self) -> str | None:
        return self.data["error"]

    @property
    def status(self) -> str | None:
        return self.data["status"]

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.data["provenance"]["parameters"])

    @property
    def param_hash(self) -> str:
        return str(self.data["provenance"]["param_hash"])

    @property
    def per_seed(self) -> dict[int, dict[str, float]]:
        """Metrics by seed (int keys), each a {metric key: value} mapping."""
        return {int(seed): dict(values) for seed, values in self.data["metrics"]["per_seed"].items()}

    @property
    def aggregate(self) -> dict[str, dict[str, Any]]:
        """Metric key -> {mean, lo, hi, std, n} over seeds (lo/hi: 95% CI, null with a single seed)."""
        return {key: dict(value) for key, value in self.data["metrics"]["aggregate"].items()}

    @property
    def claims(self) -> list[dict[str, Any]]:
        return [dict(verdict) for verdict in self.data["claims"]]

    @property
    def provenance(self) -> dict[str, Any]:
        return dict(self.data["provenance"])

    @property
    def notebook_path(self) -> Path | None:
        """The executed notebook beside the record, when the runner wrote one."""
        if self.data["notebook"] is None or self.path is None:
            return None
        return self.path.parent / self.data["notebook"]

    def to_json(self) -> str:
        return json.dumps(self.data, indent=2, ensure_ascii=False) + "\n"


def validate(data: Mapping[str, Any], source: str | os.PathLike[str] | None = None) -> None:
    """Raise `RecordError` naming the field when `data` does not follow `SCHEMA`."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        where = f"record {source}" if source else "record"
        lines = [f"{where}: field {'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                 for e in errors[:5]]
        raise RecordError("\n".join(lines))


def load(path: str | os.PathLike[str]) -> Record:
    """Read and validate a record file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RecordError(f"record {path}: not valid JSON: {err}") from None
    validate(data, path)
    return Record(data, path)


def write(record: Record | Mapping[str, Any], path: str | os.PathLike[str]) -> Record:
    """Validate and write a record atomically; returns it bound to `path`."""
    data = dict(record.data if isinstance(record, Record) else record)
    path = Path(path)
    validate(data, path)
    record = Record(data, path)
    write_bytes_atomic(path, record.to_json().encode("utf-8"))
    return record


def write_bytes_atomic(path: str | os.PathLike[str], payload: bytes) -> None:
    """Write `payload` to `path` through a temp file in the same folder and a rename; never a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for any file
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def canonical_json(value: Any) -> str:
    """The JSON text hashed for parameters and cache keys: sorted keys, no spaces, lists for tuples."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def param_hash(parameters: Mapping[str, Any]) -> str:
    """A 16-hex-digit hash of the parameters (their canonical JSON)."""
    return hashlib.sha256(canonical_json(jsonable(parameters, "parameters")).encode()).hexdigest()[:16]


def jsonable(value: Any, where: str) -> Any:
    """`value` as plain JSON data (tuples -> lists, numpy scalars -> numbers); raises naming `where`."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: keys must be strings, got {key!r}")
            out[key] = jsonable(item, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [jsonable(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return jsonable(value.item(), where)
    raise TypeError(f"{where}: {type(value).__name__} value {value!r} is not JSON data "
                    "(use str, int, float, bool, None, lists and mappings)")


def repo_root() -> Path:
    """The checkout holding the advrec sources when it is one (an editable install), else the cwd."""
    parent = _PACKAGE_DIR.parent
    return parent if (parent / "pyproject.toml").is_file() else Path.cwd()


def runs_dir() -> Path:
    """Where user runs go: $ADVREC_RUNS, else runs/ under the repository root."""
    env = os.environ.get(RUNS_ENV)
    return Path(env) if env else repo_root() / "runs"


def default_record_path(work_id: str, parameters: Mapping[str, Any]) -> Path:
    """$ADVREC_RECORD_PATH when the runner set it, else runs/<id>/<param-hash>/record.json."""
    env = os.environ.get(RECORD_PATH_ENV)
    return Path(env) if env else runs_dir() / work_id / param_hash(parameters) / "record.json"


def aggregate(per_seed: Mapping[int, Mapping[str, float]]) -> dict[str, dict[str, Any]]:
    """Per metric over seeds: mean, 95% Student-t CI (lo, hi), std and n; CI and std null for one seed."""
    from advrec.evaluation import aggregate as aggregate_seeds

    if not per_seed:
        return {}
    return {key: {"mean": value["mean"], "lo": _finite_or_none(value["ci_low"]),
                  "hi": _finite_or_none(value["ci_high"]), "std": _finite_or_none(value["std"]),
                  "n": value["n"]}
            for key, value in aggregate_seeds(per_seed).items()}


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def git_state(path: str | os.PathLike[str] | None = None,
              exclude: Iterable[str | os.PathLike[str]] = ()) -> dict[str, Any]:
    """{commit, dirty} of the git checkout holding `path` (default: the working directory, where a notebook
    runs: papers/), changes under the `exclude` folders not counted; nulls outside git."""
    where = Path(path or Path.cwd())
    try:
        dirty: bool | None = bool(dirty_files(where, exclude))
    except ValueError:
        dirty = None
    return {"commit": _git(str(where), "rev-parse", "HEAD"), "dirty": dirty}


def dirty_files(path: str | os.PathLike[str], exclude: Iterable[str | os.PathLike[str]] = ()) -> list[str]:
    """Changed, staged or untracked (not ignored) files of the checkout holding `path`, relative to its top,
    leaving out those under the `exclude` folders; raises outside git."""
    status = _git(str(path), "-c", "core.quotepath=off", "status", "--porcelain", strip=False)
    top = _git(str(path), "rev-parse", "--show-toplevel")
    if status is None or top is None:
        raise ValueError(f"{path} is not inside a git checkout; a canonical run needs one (commit first)")
    skip = []
    for folder in exclude:
        folder = Path(folder).resolve()
        if folder.is_relative_to(Path(top).resolve()):
            skip.append(folder.relative_to(Path(top).resolve()).as_posix().rstrip("/") + "/")
    files = [line[3:] for line in status.splitlines() if line.strip()]
    return [f for f in files if not any((f.rstrip("/") + "/").startswith(s) for s in skip)]


def _git(where: str, *args: str, strip: bool = True) -> str | None:
    """git's stdout (stripped unless `strip` is False: porcelain status lines start with a status column
    that may be a space), or None when git fails."""
    try:
        done = subprocess.run(["git", "-C", where, *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() if strip else done.stdout


def environment(start_time: str, wall_time_s: float) -> dict[str, Any]:
    """Provenance that does not depend on the run's inputs: git (of the working directory), packages,
    python, OS, CPU/GPU, times and this process's peak memory."""
    return {
        "git": git_state(),
        "packages": {name: _version(name) for name in PACKAGES},
        "python": sys.version.split()[0],
        "os": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "gpu": _gpu_name(),
        "start_time": start_time,
        "wall_time_s": round(max(wall_time_s, 0.0), 3),
        "peak_memory_mb": _peak_memory_mb(),
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gpu_name() -> str | None:
    """The CUDA device's name when torch is already loaded and sees one (never imports torch itself)."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    return str(torch.cuda.get_device_name(torch.cuda.current_device()))


def _peak_memory_mb() -> float:
    """Peak resident memory of this process (MiB); ru_maxrss is KiB on Linux, bytes on macOS."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return round(peak / scale, 1)


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_record(work_id: str, parameters: Mapping[str, Any], *, outcome: str = "completed",
               error: str | None = None, start_time: str | None = None,
               wall_time_s: float = 0.0) -> dict[str, Any]:
    """A record document with empty metrics and the current environment's provenance."""
    params = jsonable(parameters, "parameters")
    return {
        "schema_version": SCHEMA_VERSION,
        "work_id": work_id,
        "outcome": outcome,
        "error": error,
        "status": None,
        "metrics": {"per_seed": {}, "aggregate": {}},
        "claims": [],
        "output": {},
        "figures": [],
        "notebook": None,
        "cache_key": None,
        "provenance": {
            **environment(start_time or now_iso(), wall_time_s),
            "parameters": params,
            "param_hash": param_hash(params),
            "dataset": None,
            "seeds": [],
        },
    }


class Recorder:
    """Collects one notebook run's metrics, data identity and figures, and writes its record at `finish`.

    `Recorder(work_id, parameters)` starts the clock; `log_seed(seed, {"BPR-MF/NDCG@10": v})` adds metrics;
    `log_users(seed, {key: per-user array})` keeps per-user values for paired claim checks (in memory only:
    the record keeps the verdicts' numbers, not the arrays); `finish(claims=..., status=...)` writes
    the record to $ADVREC_RECORD_PATH (set by `advrec run`), else runs/<id>/<param-hash>/record.json.
    """

    def __init__(self, work_id: str, parameters: Mapping[str, Any]) -> None:
        if not isinstance(work_id, str) or not work_id:
            raise ValueError(f"work_id must be a non-empty string, got {work_id!r}")
        if not isinstance(parameters, Mapping):
            raise TypeError(f"parameters must be a mapping of the notebook's parameters, got {parameters!r}")
        self.work_id = work_id
        self.parameters = jsonable(parameters, "parameters")
        self.path = default_record_path(work_id, self.parameters)
        self._start_time = now_iso()
        self._t0 = time.perf_counter()
        self._per_seed: dict[int, dict[str, float]] = {}
        self._per_user: dict[int, dict[str, Any]] = {}
        self._dataset: dict[str, Any] | None = None
        self._figures: list[dict[str, str]] = []

    @property
    def per_seed(self) -> dict[int, dict[str, float]]:
        return {seed: dict(values) for seed, values in self._per_seed.items()}

    @property
    def per_user(self) -> dict[int, dict[str, Any]]:
        return {seed: dict(values) for seed, values in self._per_user.items()}

    def log_seed(self, seed: int, metrics: Mapping[str, float]) -> None:
        """Add (or overwrite) metric values of one seed; keys may name the model, e.g. "APR/NDCG@100"."""
        seed = _seed(seed)
        checked = {}
        for key, value in metrics.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if not math.isfinite(number):
                raise ValueError(f"metric {key!r} of seed {seed}: expected a finite number, got {value!r}")
            checked[_metric_key(key)] = number
        self._per_seed.setdefault(seed, {}).update(checked)

    def log_users(self, seed: int, metrics: Mapping[str, Iterable[float]]) -> None:
        """Keep per-user metric values of one seed, for claims paired over users."""
        import numpy as np

        seed = _seed(seed)
        checked = {_metric_key(key): np.asarray(array, dtype=float).ravel() for key, array in metrics.items()}
        self._per_user.setdefault(seed, {}).update(checked)

    def set_data(self, dataset: str, checksum: str | None = None,
                 split_fingerprint: str | None = None) -> None:
        """Record which data the run used: dataset name, its checksum, and the split's fingerprint."""
        if not isinstance(dataset, str) or not dataset:
            raise ValueError(f"dataset must be a non-empty name, got {dataset!r}")
        self._dataset = {"name": dataset, "checksum": checksum, "split_fingerprint": split_fingerprint}

    def add_figure(self, name: str, figure: Any, caption: str = "") -> Path:
        """Save a matplotlib figure (or copy an image file) as figures/<name>.png beside the record."""
        if not name or not all(c.isalnum() or c in "-_" for c in name):
            raise ValueError(f"figure name must be letters, digits, '-' or '_', got {name!r}")
        target = self.path.parent / "figures" / f"{name}.png"
        if hasattr(figure, "savefig"):
            import io

            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
            payload = buffer.getvalue()
        else:
            source = Path(figure)
            if not source.is_file():
                raise FileNotFoundError(f"figure {name!r}: {source} is not a file or a matplotlib figure")
            payload = source.read_bytes()
        write_bytes_atomic(target, payload)
        self._figures = [f for f in self._figures if f["name"] != name]
        self._figures.append({"name": name, "path": f"figures/{name}.png", "caption": caption})
        return target

    def finish(self, claims: Iterable[Any] = (), status: str | None = None,
               output: Mapping[str, Any] | None = None) -> Record:
        """Aggregate, attach verdicts, status and outputs, and write the record atomically; returns it."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        data = new_record(self.work_id, self.parameters, start_time=self._start_time,
                          wall_time_s=time.perf_counter() - self._t0)
        data["status"] = status
        data["metrics"] = {
            "per_seed": {str(seed): dict(values) for seed, values in sorted(self._per_seed.items())},
            "aggregate": aggregate(self._per_seed),
        }
        data["claims"] = [jsonable(c.to_dict() if hasattr(c, "to_dict") else c, "claims") for c in claims]
        data["output"] = jsonable(output or {}, "output")
        data["figures"] = list(self._figures)
        data["provenance"]["dataset"] = self._dataset
        data["provenance"]["seeds"] = sorted(self._per_seed)
        return write(data, self.path)


def _seed(seed: Any) -> int:
    try:
        if isinstance(seed, bool):
            raise TypeError
        return operator.index(seed)
    except TypeError:
        raise TypeError(f"seed must be an integer, got {seed!r}") from None


def _metric_key(key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"metric key must be a non-empty string such as 'APR/NDCG@10', got {key!r}")
    return key
