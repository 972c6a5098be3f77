"""Runs paper notebooks with papermill and records what they measured.

`run("APR", epsilon=0.5, profile="smoke")` resolves the work in the catalog, checks the parameters
against the notebook's `parameters` cell before anything starts, executes the notebook in a fresh kernel
of this interpreter (cwd papers/), and returns its `Record`. Runs are cached by (notebook source,
parameters, advrec version and source, data fingerprint). User runs go to runs/<id>/<param-hash>/ (or
$ADVREC_RUNS); only `canonical=True`, on a clean git tree, writes results/<id>/. `run_many` runs several
notebooks in parallel processes or on a Dask cluster; a failed or timed-out notebook is recorded as
failed with its error and the others go on.
"""

from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advrec import __version__
from advrec.catalog import Catalog, Work
from advrec.notebook_contract import PROFILES, declared_parameters, read_notebook
from advrec.results import (
    RECORD_PATH_ENV,
    RUNS_ENV,
    Record,
    RecordError,
    canonical_json,
    dirty_files,
    git_state,
    jsonable,
    load,
    new_record,
    now_iso,
    param_hash,
    write,
    write_bytes_atomic,
)

PathArg = str | os.PathLike[str]
KERNEL_NAME = "python3"
KERNEL_START_TIMEOUT_S = 300  # papermill default of 60 s was exceeded by parallel starts on a busy machine
_PACKAGE_DIR = Path(__file__).resolve().parent
_PRESENTATION = ("cli.py", "*commands.py", "site*.py")
_TAIL_BYTES = 20_000
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class RunFailed(RuntimeError):
    """A notebook run failed or timed out; `record` is the failed record (error, executed notebook)."""

    def __init__(self, record: Record) -> None:
        self.record = record
        where = f"; executed notebook: {record.notebook_path}" if record.notebook_path else ""
        super().__init__(f"{record.work_id}: {record.outcome}: {record.error} (record: {record.path}{where})")


@dataclass(frozen=True)
class RunSpec:
    """One validated run: which notebook, with which parameters, written where, under which cache key."""

    work_id: str
    notebook: Path
    papers_dir: Path
    catalog_root: Path
    parameters: dict[str, Any]
    cache_key: str
    target_dir: Path
    user_dir: Path  # runs/<id>/<param-hash>: user runs, and every failed run
    outputs: tuple[Path, ...]  # the results and runs folders: written by runs, so never "dirty"
    canonical: bool
    timeout: float | None

    @property
    def param_hash(self) -> str:
        return param_hash(self.parameters)


def run(work: str | Work, parameters: Mapping[str, Any] | None = None, *, profile: str | None = None,
        canonical: bool = False, force: bool = False, timeout: float | None = None, progress: bool = False,
        catalog: Catalog | PathArg | None = None, papers_dir: PathArg | None = None,
        results_dir: PathArg | None = None, runs_dir: PathArg | None = None,
        **params: Any) -> Record:
    """Run one work's notebook (or return its cached record) and return the record; raises `RunFailed`.

    Parameters come from `parameters` and keyword arguments (`epsilon=0.5`); `profile` sets the
    `profile` parameter. `catalog` is a Catalog or a catalog folder (default: the repository's);
    `papers_dir`, `results_dir` and `runs_dir` default to papers/, results/ and runs/ (or $ADVREC_RUNS)
    beside it. `progress` shows papermill's progress bar on stderr.
    """
    spec = prepare(work, {**(parameters or {}), **params}, profile=profile, canonical=canonical,
                   timeout=timeout, catalog=catalog, papers_dir=papers_dir, results_dir=results_dir,
                   runs_dir=runs_dir)
    record = execute(spec, force=force, progress=progress)
    if not record.ok:
        raise RunFailed(record)
    return record


def run_many(works: Iterable[str | Work], parameters: Mapping[str, Any] | None = None, *,
             raw_parameters: Mapping[str, str] | None = None, profile: str | None = None, jobs: int = 1,
             timeout: float | None = None, force: bool = False, canonical: bool = False,
             scheduler: str | None = None, catalog: Catalog | PathArg | None = None,
             papers_dir: PathArg | None = None, results_dir: PathArg | None = None,
             runs_dir: PathArg | None = None) -> list[Record]:
    """Run several works (ids, names or Works) with `jobs` parallel processes, or on the Dask scheduler at
    `scheduler`; returns their records in order, failed ones included. `timeout` is per notebook.

    Every run's parameters are checked before any starts: one bad parameter stops the batch unrun.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    cat = load_catalog(catalog)
    specs = [prepare(work, parameters, raw_parameters=raw_parameters, profile=profile, canonical=canonical,
                     timeout=timeout, catalog=cat, papers_dir=papers_dir, results_dir=results_dir,
                     runs_dir=runs_dir) for work in works]
    if scheduler:
        return _run_on_dask(specs, scheduler, force)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda spec: execute(spec, force=force), specs))


def prepare(work: str | Work, parameters: Mapping[str, Any] | None = None, *,
            raw_parameters: Mapping[str, str] | None = None, profile: str | None = None,
            canonical: bool = False, timeout: float | None = None,
            catalog: Catalog | PathArg | None = None, papers_dir: PathArg | None = None,
            results_dir: PathArg | None = None, runs_dir: PathArg | None = None) -> RunSpec:
    """Resolve the work, check parameters against the notebook's declared ones, and say where the run goes.

    `raw_parameters` are command-line strings, parsed by the type of each parameter's default. Raises
    ValueError (unknown parameter, wrong type, dirty tree for a canonical run) before anything runs.
    """
    cat = load_catalog(catalog)
    entry = cat.get(work) if isinstance(work, str) else work
    root = Path(cat.root).parent
    papers = Path(papers_dir or root / "papers").resolve()
    notebook_path = papers / Path(entry.reproduction["notebook"]).name
    if not notebook_path.is_file():
        raise FileNotFoundError(f"{entry.name} ({entry.id}) has no notebook at {notebook_path} "
                                f"(status {entry.reproduction['status']})")
    notebook = read_notebook(notebook_path)
    declared = declared_parameters(notebook, notebook_path)
    overrides = dict(parameters or {})
    overrides.update(parse_raw_parameters(raw_parameters or {}, declared))
    if profile is not None:
        overrides["profile"] = profile
    effective = {**declared, **check_parameters(overrides, declared, entry.id)}
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
    runs = Path(runs_dir or os.environ.get(RUNS_ENV) or root / "runs").resolve()
    results = Path(results_dir or root / "results").resolve()
    user_dir = runs / entry.id / param_hash(effective)
    if canonical:
        dirty = dirty_files(papers, exclude=(results, runs))
        if dirty:
            raise ValueError(f"a canonical run needs a clean git tree (commit or stash first); uncommitted: "
                             f"{', '.join(dirty[:20])}{' ...' if len(dirty) > 20 else ''}")
    key = cache_key(notebook, effective, data_fingerprint(effective.get("dataset"), papers), entry.to_dict())
    return RunSpec(work_id=entry.id, notebook=notebook_path, papers_dir=papers, catalog_root=Path(cat.root),
                   parameters=effective, cache_key=key, user_dir=user_dir, outputs=(results, runs),
                   canonical=canonical, target_dir=results / entry.id if canonical else user_dir,
                   timeout=timeout)


def load_catalog(catalog: Catalog | PathArg | None = None) -> Catalog:
    """`catalog` itself when it is a Catalog, else the catalog in that folder (default: the repo's)."""
    if isinstance(catalog, Catalog):
        return catalog
    from advrec.catalog import catalog as load

    return load(catalog)


def select(catalog: Catalog | PathArg | None = None, filters: Mapping[str, Any] | None = None,
           papers_dir: PathArg | None = None) -> tuple[list[Work], list[Work]]:
    """Works matching `filters` (Catalog.filter criteria), split into (with a notebook, without one)."""
    cat = load_catalog(catalog).filter(**dict(filters or {}))
    papers = Path(papers_dir or Path(cat.root).parent / "papers")
    with_notebook: list[Work] = []
    without: list[Work] = []
    for work in cat:
        has = (papers / Path(work.reproduction["notebook"]).name).is_file()
        (with_notebook if has else without).append(work)
    return with_notebook, without


# -- parameters ------------------------------------------------------------------------------------


def check_parameters(overrides: Mapping[str, Any], declared: Mapping[str, Any],
                     work_id: str) -> dict[str, Any]:
    """`overrides` checked against the declared defaults: known names, values of the default's type
    (an int is accepted for a float), profile in smoke/default/paper; raises ValueError naming the key."""
    listing = ", ".join(f"{name}: {type(value).__name__} = {value!r}" for name, value in declared.items())
    checked: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in declared:
            raise ValueError(f"unknown parameter {key!r} for {work_id}; declared parameters: {listing}")
        checked[key] = _coerce(value, declared[key], f"parameter {key!r} of {work_id}", listing)
    if "profile" in checked and checked["profile"] not in PROFILES:
        raise ValueError(f"parameter 'profile' of {work_id}: expected one of {', '.join(PROFILES)}, "
                         f"got {checked['profile']!r}")
    return checked


def _coerce(value: Any, default: Any, where: str, listing: str) -> Any:
    def wrong(expected: str) -> ValueError:
        return ValueError(f"{where}: expected {expected} (the type of its default {default!r}), got "
                          f"{type(value).__name__} {value!r}; declared parameters: {listing}")

    if default is None:
        return jsonable(value, where)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise wrong("bool")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong("int")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong("float")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise wrong("str")
        return value
    if isinstance(default, list):
        if not isinstance(value, (list, tuple)):
            raise wrong("list")
        kinds = {type(item) for item in default}
        if len(kinds) == 1:
            return [_coerce(item, default[0], f"{where}[{i}]", listing) for i, item in enumerate(value)]
        return jsonable(list(value), where)
    if isinstance(default, dict):
        if not isinstance(value, Mapping):
            raise wrong("dict")
        return jsonable(dict(value), where)
    raise wrong(type(default).__name__)


def parse_raw_parameters(raw: Mapping[str, str], declared: Mapping[str, Any]) -> dict[str, Any]:
    """Command-line values as typed values: verbatim for string parameters, else read as YAML
    ("0.5", "true", "[0, 1, 2]"); type errors are left to `check_parameters`."""
    import yaml

    parsed: dict[str, Any] = {}
    for key, text in raw.items():
        if isinstance(declared.get(key), str):
            parsed[key] = text
            continue
        try:
            parsed[key] = yaml.safe_load(text)
        except yaml.YAMLError:
            parsed[key] = text
    return parsed


# -- cache key -------------------------------------------------------------------------------------


def cache_key(notebook: Any, parameters: Mapping[str, Any], data: str | None,
              entry: Mapping[str, Any] | None = None) -> str:
    """Hash of the notebook's cell sources, the parameters, advrec's version and engine source, the data
    fingerprint and the work's catalog entry (its claims and deviations feed the verdicts and status)."""
    cells = [[cell.cell_type, cell.source] for cell in notebook.cells]
    payload = {"notebook": cells, "parameters": jsonable(parameters, "parameters"), "advrec": __version__,
               "engine": engine_digest(), "data": data, "entry": jsonable(entry or {}, "entry")}
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:16]


def engine_digest() -> str:
    """Hash of the advrec package's Python sources that can change a result (all but the CLI and the book
    generator), so an engine edit is a cache miss even without a version bump."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        rel = path.relative_to(_PACKAGE_DIR).as_posix()
        if not any(fnmatch.fnmatch(rel, pattern) for pattern in _PRESENTATION):
            digest.update(rel.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def data_fingerprint(dataset: Any, papers_dir: Path) -> str | None:
    """What identifies the run's data without reading it: for a file or folder (absolute, or relative to
    papers/) its names, sizes and modification times; for a registered dataset the registry's sha256 of
    each input (the loader refuses files that differ); None for anything else (e.g. synthetic data)."""
    if not isinstance(dataset, str) or not dataset:
        return None
    path = papers_dir / dataset
    if path.exists():
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        stats = [[f.relative_to(path).as_posix() if path.is_dir() else f.name, f.stat().st_size,
                  f.stat().st_mtime_ns] for f in files]
        return hashlib.sha256(canonical_json(stats).encode()).hexdigest()[:16]
    from advrec.data.errors import UnknownDatasetError
    from advrec.data.registry import get_spec

    try:
        spec = get_spec(dataset)
    except UnknownDatasetError:
        return None
    inputs = {rel: spec.source.file(rel).sha256 for rel in spec.inputs}
    return hashlib.sha256(canonical_json({"name": spec.name, "inputs": inputs}).encode()).hexdigest()[:16]


# -- execution -------------------------------------------------------------------------------------


def execute(spec: RunSpec, force: bool = False, progress: bool = False) -> Record:
    """Run `spec` (or return its cached record unless `force`); a failure gives a failed record, written
    to the user-run folder with the error and the executed notebook, never over a canonical record."""
    if not force:
        cached = cached_record(spec)
        if cached is not None:
            return cached
    spec.user_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=spec.user_dir))
    try:
        start, t0 = now_iso(), time.perf_counter()
        try:
            outcome, error = _papermill(spec, staging, progress)
            if outcome == "completed":
                return _publish(spec, staging, _accept(spec, staging), spec.target_dir)
        except (OSError, RecordError, ValueError, subprocess.SubprocessError) as err:
            outcome, error = "failed", f"{type(err).__name__}: {err}"
        data = new_record(spec.work_id, spec.parameters, outcome=outcome, error=error, start_time=start,
                          wall_time_s=time.perf_counter() - t0)
        data["provenance"]["peak_memory_mb"] = None  # the kernel's peak is unknown when it did not finish
        data["provenance"]["git"] = git_state(spec.papers_dir, spec.outputs)
        data["cache_key"] = spec.cache_key
        return _publish(spec, staging, data, spec.user_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def cached_record(spec: RunSpec) -> Record | None:
    """The completed record at the run's target with the same cache key, if any (marked `cached`)."""
    path = spec.target_dir / "record.json"
    if not path.is_file():
        return None
    try:
        record = load(path)
    except RecordError:
        return None
    if not record.ok or record.data["cache_key"] != spec.cache_key:
        return None
    return Record(record.data, record.path, cached=True)


def parameters_yaml(parameters: Mapping[str, Any]) -> str:
    """The parameters as the YAML papermill's `-f` reads: JSON would hand floats such as 1e-05 (no dot) to
    YAML, which reads them as strings; YAML's own dump writes 1.0e-05."""
    import yaml

    return yaml.safe_dump(dict(parameters), allow_unicode=True, sort_keys=True)


def _papermill(spec: RunSpec, staging: Path, progress: bool) -> tuple[str, str | None]:
    """Execute the notebook in a child process (its own process group); (outcome, error)."""
    kernel_dir = staging / "jupyter" / "kernels" / KERNEL_NAME
    kernel_dir.mkdir(parents=True)
    (kernel_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"advrec ({sys.executable})", "language": "python",
    }))
    params_file = staging / "parameters.yaml"
    params_file.write_text(parameters_yaml(spec.parameters), encoding="utf-8")
    executed = staging / f"{spec.work_id}.ipynb"
    jupyter_path = os.pathsep.join(p for p in (str(staging / "jupyter"), os.environ.get("JUPYTER_PATH")) if p)
    env = {**os.environ, RECORD_PATH_ENV: str(staging / "record.json"),
           "ADVREC_CATALOG": str(spec.catalog_root), "JUPYTER_PATH": jupyter_path}
    cmd = [sys.executable, "-m", "papermill", str(spec.notebook), str(executed), "-f", str(params_file),
           "-k", KERNEL_NAME, "--cwd", str(spec.papers_dir), "--log-level", "WARNING",
           "--start-timeout", str(KERNEL_START_TIMEOUT_S),
           "--progress-bar" if progress else "--no-progress-bar"]
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    tail = bytearray()
    reader = threading.Thread(target=_pump, args=(proc.stdout, tail, progress), daemon=True)
    reader.start()
    try:
        returncode = proc.wait(timeout=spec.timeout)
    except subprocess.TimeoutExpired:
        return "timed-out", f"timed out after {spec.timeout:g} s; the notebook was stopped"
    finally:
        if proc.poll() is None:
            _kill(proc)
        reader.join(timeout=5)
    if returncode == 0:
        return "completed", None
    return "failed", _error_message(executed, tail.decode("utf-8", "replace"))


def _pump(stream: Any, tail: bytearray, progress: bool) -> None:
    """Copy the child's output to our stderr (when showing progress) and keep its last bytes."""
    for chunk in iter(lambda: stream.read1(4096), b""):
        if progress:
            sys.stderr.buffer.write(chunk)
            sys.stderr.flush()
        tail.extend(chunk)
        del tail[:-_TAIL_BYTES]


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop papermill's process group; its kernel exits on its own once its parent is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _error_message(executed: Path, log: str) -> str:
    """The first error of the executed notebook ("Name: value (in the cell starting ...)"), else the log's
    tail."""
    if executed.is_file():
        with contextlib.suppress(ValueError, OSError):
            cells = json.loads(executed.read_text(encoding="utf-8")).get("cells", [])
            for cell in cells:
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error":
                        value = _ANSI.sub("", str(output.get("evalue")))
                        source = "".join(cell.get("source", "")).strip().splitlines() or [""]
                        return f"{output.get('ename')}: {value} (in the cell starting {source[0][:60]!r})"
    lines = [line.strip() for line in _ANSI.sub("", log).replace("\r", "\n").splitlines() if line.strip()]
    return " | ".join(lines[-5:]) or "papermill failed without output"


def _accept(spec: RunSpec, staging: Path) -> dict[str, Any]:
    """The record the notebook wrote, checked against the run (work id, parameters) and given its key."""
    path = staging / "record.json"
    if not path.is_file():
        raise ValueError("the notebook ran to the end without writing its record; its last cell must call "
                         "rec.finish(...)")
    record = load(path)
    if record.work_id != spec.work_id:
        raise ValueError(f"the notebook recorded work id {record.work_id!r}, expected {spec.work_id!r}")
    if canonical_json(record.parameters) != canonical_json(spec.parameters):
        raise ValueError(f"the notebook recorded parameters {canonical_json(record.parameters)} but ran with "
                         f"{canonical_json(spec.parameters)}; pass every parameter to Recorder(...)")
    data = dict(record.data)
    data["cache_key"] = spec.cache_key
    data["provenance"]["git"] = git_state(spec.papers_dir, spec.outputs)  # run outputs are not changes
    return data


def _publish(spec: RunSpec, staging: Path, data: dict[str, Any], folder: Path) -> Record:
    """Move the executed notebook (and figures of a completed run) into `folder`, then write the record;
    under a lock on the folder, so parallel runs of the same work never mix their files."""
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        if data["outcome"] == "completed":
            for figure in sorted((staging / "figures").glob("*")):
                write_bytes_atomic(folder / "figures" / figure.name, figure.read_bytes())
        executed = staging / f"{spec.work_id}.ipynb"
        if executed.is_file():
            write_bytes_atomic(folder / executed.name, executed.read_bytes())
            data["notebook"] = executed.name
        return write(data, folder / "record.json")


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (no lock file left behind in results/)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _run_on_dask(specs: Sequence[RunSpec], scheduler: str, force: bool) -> list[Record]:
    """Run the specs as tasks on a Dask distributed cluster (workers must see the same files)."""
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("--scheduler needs Dask distributed: pip install 'advrec[distributed]'") from None
    with Client(scheduler) as client:
        futures = [client.submit(execute, spec, force, pure=False) for spec in specs]
        return list(client.gather(futures))
