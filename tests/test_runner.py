"""The runner on fixture notebooks and a fixture catalog: end to end, cache, parameters, failures, timeout,
parallel runs, canonical records, the CLI and a local Dask cluster. Seven notebook executions in all."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest

from advrec import cli, results, runner
from advrec.run_commands import format_table
from advrec.runner import RunFailed

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
DEFAULTS = {"profile": "smoke", "dataset": "synthetic", "seeds": [0, 1, 2], "device": "cpu", "epsilon": 0.5,
            "label": "base"}
T_975_DF2 = 4.302652729911275  # Student t quantile 0.975 with 2 degrees of freedom
ENGINE_DIGEST = runner.engine_digest  # the real one; the tests below run with a fixed digest


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), "-c", "user.email=tests@advrec", "-c", "user.name=tests",
                           *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed git checkout holding the fixture catalog and papers (runs/ ignored)."""
    root = tmp_path_factory.mktemp("runner") / "repo"
    shutil.copytree(FIXTURES, root)
    (root / ".gitignore").write_text("runs/\n")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "fixtures")
    return root


@pytest.fixture(scope="module", autouse=True)
def _fixed_engine() -> Any:
    """A fixed engine digest, so that edits to advrec's sources during the tests change no cache key."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "engine_digest", lambda: "test-engine")
        yield


@pytest.fixture(autouse=True)
def _no_run_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(results.RUNS_ENV, raising=False)
    monkeypatch.delenv(results.RECORD_PATH_ENV, raising=False)


@pytest.fixture(scope="module")
def first_run(repo: Path) -> results.Record:
    """fixture-ok run once with its defaults (execution 1)."""
    return runner.run("fixture-ok", profile="smoke", catalog=repo / "catalog")


@pytest.fixture()
def no_kernel(monkeypatch: pytest.MonkeyPatch) -> list[runner.RunSpec]:
    """Replace notebook execution by a stub that records its calls and reports a failure."""
    calls: list[runner.RunSpec] = []

    def stub(spec: runner.RunSpec, staging: Path, progress: bool) -> tuple[str, str]:
        calls.append(spec)
        return "failed", "stub: no kernel in this test"

    monkeypatch.setattr(runner, "_papermill", stub)
    return calls


def test_end_to_end_smoke_run(first_run: results.Record, repo: Path) -> None:
    folder = repo / "runs" / "fixture-ok" / results.param_hash(DEFAULTS)
    assert first_run.ok and not first_run.cached
    assert first_run.path == folder / "record.json"
    assert first_run.parameters == DEFAULTS
    assert first_run.per_seed == {0: {"A/score": pytest.approx(0.35), "B/score": pytest.approx(0.20)},
                                  1: {"A/score": pytest.approx(0.36), "B/score": pytest.approx(0.22)},
                                  2: {"A/score": pytest.approx(0.37), "B/score": pytest.approx(0.24)}}
    half = T_975_DF2 * 0.01 / math.sqrt(3)
    a = first_run.aggregate["A/score"]
    assert (a["mean"], a["lo"], a["hi"], a["n"]) == (pytest.approx(0.36), pytest.approx(0.36 - half),
                                                     pytest.approx(0.36 + half), 3)
    assert [(c["claim_id"], c["verdict"]) for c in first_run.claims] == [
        ("c1", "holds"), ("c2", "holds"), ("c3", "not-checked")]
    assert first_run.status == "claims-hold"  # numbers hold, but on synthetic data (a stated deviation)
    assert first_run.data["output"] == {"label": "base"}
    prov = first_run.provenance
    assert prov["dataset"] == {"name": "synthetic", "checksum": "0" * 64,
                               "split_fingerprint": "fixture-split"}
    assert prov["git"] == {"commit": _git(repo, "rev-parse", "HEAD"), "dirty": False}
    assert first_run.data["cache_key"] == runner.prepare("fixture-ok", catalog=repo / "catalog").cache_key
    executed = nbformat.read(first_run.notebook_path, as_version=4)
    assert executed.metadata.papermill.parameters == DEFAULTS
    assert (folder / "figures" / "scores.png").read_bytes() == b"\x89PNG\r\n\x1a\nfixture"
    assert sorted(p.name for p in folder.iterdir()) == ["figures", "fixture-ok.ipynb", "record.json"]
    assert not (repo / "results").exists()


def test_cache_hit_and_force(first_run: results.Record, repo: Path, no_kernel: list) -> None:
    again = runner.run("FIXTURE-ok", catalog=repo / "catalog")  # id or name, any case
    by_name = runner.run("Fixture-OK", parameters={"epsilon": 0.5}, catalog=repo / "catalog")
    assert again.cached and by_name.cached and no_kernel == []
    assert again.data == first_run.data
    other = runner.prepare("fixture-ok", {"epsilon": 0.25}, catalog=repo / "catalog")
    assert other.cache_key != first_run.data["cache_key"] and runner.cached_record(other) is None
    # a completed record with the run's key is a hit; --force runs anyway
    spec = runner.prepare("fixture-ok", {"label": "force"}, catalog=repo / "catalog")
    data = json.loads(json.dumps(first_run.data))
    data["cache_key"] = spec.cache_key
    results.write(data, spec.target_dir / "record.json")
    assert runner.execute(spec).cached and no_kernel == []
    forced = runner.execute(spec, force=True)
    assert no_kernel == [spec] and forced.outcome == "failed" and not forced.cached


def test_engine_digest_follows_engine_sources_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"evaluation.py": "a = 1", "models/mf.py": "b = 1", "site_pages.py": "c = 1", "cli.py": "d = 1",
             "run_commands.py": "e = 1"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(runner, "_PACKAGE_DIR", tmp_path)
    before = ENGINE_DIGEST()
    for name in ("site_pages.py", "cli.py", "run_commands.py"):
        (tmp_path / name).write_text("changed = True")
    assert ENGINE_DIGEST() == before
    (tmp_path / "models" / "mf.py").write_text("b = 2")
    assert ENGINE_DIGEST() != before


def test_cache_key_inputs() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    key = runner.cache_key(nb, {"a": 1}, "data1", {"id": "w"})
    assert key == runner.cache_key(nb, {"a": 1}, "data1", {"id": "w"})
    assert key != runner.cache_key(nb, {"a": 2}, "data1", {"id": "w"})
    assert key != runner.cache_key(nb, {"a": 1}, "data2", {"id": "w"})
    assert key != runner.cache_key(nb, {"a": 1}, "data1", {"id": "w", "claims": []})
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="ignored")]
    assert key == runner.cache_key(nb, {"a": 1}, "data1", {"id": "w"})
    nb.cells[0].source = "x = 2"
    assert key != runner.cache_key(nb, {"a": 1}, "data1", {"id": "w"})


def test_bad_parameters_stop_before_running(repo: Path, no_kernel: list) -> None:
    cat = repo / "catalog"
    declared = ("declared parameters: profile: str = 'smoke', dataset: str = 'synthetic', seeds: list = "
                "[0, 1, 2], device: str = 'cpu', epsilon: float = 0.5, label: str = 'base'")
    with pytest.raises(ValueError, match=f"unknown parameter 'eps' for fixture-ok; {re.escape(declared)}"):
        runner.run("fixture-ok", eps=0.1, catalog=cat)
    with pytest.raises(ValueError, match=r"parameter 'epsilon' of fixture-ok: expected float \(the type of "
                                         r"its default 0.5\), got str 'big'"):
        runner.run("fixture-ok", epsilon="big", catalog=cat)
    with pytest.raises(ValueError, match=r"parameter 'seeds' of fixture-ok\[1\]: expected int"):
        runner.run("fixture-ok", seeds=[0, "1"], catalog=cat)
    with pytest.raises(ValueError, match="expected one of smoke, default, paper, got 'fast'"):
        runner.run("fixture-ok", profile="fast", catalog=cat)
    with pytest.raises(ValueError, match="expected bool"):
        runner.check_parameters({"flag": 1}, {"flag": False}, "w")
    assert no_kernel == []
    spec = runner.prepare("fixture-ok", {"epsilon": 1}, catalog=cat)
    assert spec.parameters["epsilon"] == 1.0 and isinstance(spec.parameters["epsilon"], float)
    assert spec.param_hash == runner.prepare("fixture-ok", {"epsilon": 1.0}, catalog=cat).param_hash
    raw = runner.prepare("fixture-ok", raw_parameters={"epsilon": "0.25", "seeds": "[4, 5]", "label": "123"},
                         catalog=cat)
    assert raw.parameters == {**DEFAULTS, "epsilon": 0.25, "seeds": [4, 5], "label": "123"}


def test_unknown_work_and_missing_notebook(repo: Path) -> None:
    with pytest.raises(KeyError, match="no work with id or name 'nope'"):
        runner.prepare("nope", catalog=repo / "catalog")
    with pytest.raises(FileNotFoundError, match=r"Fixture-Pending \(fixture-pending\) has no notebook"):
        runner.prepare("fixture-pending", catalog=repo / "catalog")


def test_a_failure_raises_with_its_record(repo: Path, no_kernel: list) -> None:
    with pytest.raises(RunFailed, match="fixture-ok: failed: stub: no kernel in this test") as info:
        runner.run("fixture-ok", label="fails", catalog=repo / "catalog")
    on_disk = results.load(info.value.record.path)
    assert on_disk.outcome == "failed" and on_disk.error == "stub: no kernel in this test"
    assert on_disk.parameters["label"] == "fails" and on_disk.data["cache_key"]
    assert not (repo / "results").exists()


def test_canonical_needs_a_clean_tree(first_run: results.Record, repo: Path) -> None:
    scratch = repo / "papers" / "scratch.txt"
    scratch.write_text("uncommitted")
    with pytest.raises(ValueError, match=r"needs a clean git tree .*; uncommitted: papers/scratch.txt"):
        runner.prepare("fixture-ok", canonical=True, catalog=repo / "catalog")
    scratch.unlink()
    user_record = first_run.path.read_bytes()
    record = runner.run("fixture-ok", canonical=True, catalog=repo / "catalog")  # execution 2
    assert record.path == repo / "results" / "fixture-ok" / "record.json"
    assert record.notebook_path == repo / "results" / "fixture-ok" / "fixture-ok.ipynb"
    assert sorted(p.name for p in record.path.parent.iterdir()) == ["figures", "fixture-ok.ipynb",
                                                                     "record.json"]
    assert record.provenance["git"] == {"commit": _git(repo, "rev-parse", "HEAD"), "dirty": False}
    assert first_run.path.read_bytes() == user_record
    # results/ itself is not "dirty" for the next canonical run; the same run is now a cache hit
    assert runner.run("fixture-ok", canonical=True, catalog=repo / "catalog").cached


def test_parallel_runs_and_a_crash(repo: Path) -> None:
    records = runner.run_many(["fixture-ok", "fixture-ok", "fixture-crash"], profile="default", jobs=3,
                              force=True, catalog=repo / "catalog")  # executions 3-5
    ok1, ok2, crash = records
    assert ok1.ok and ok2.ok and ok1.path == ok2.path
    assert ok1.data["provenance"]["start_time"] and ok1.data is not ok2.data
    on_disk = results.load(ok1.path)
    assert on_disk.data in (ok1.data, ok2.data)
    nbformat.read(on_disk.notebook_path, as_version=4)
    assert not [p.name for p in ok1.path.parent.iterdir() if p.name.startswith(".")]  # no temp, no staging
    assert crash.outcome == "failed"
    assert crash.error.startswith("ValueError: fixture failure: the data could not be read")
    assert results.load(crash.path).outcome == "failed" and crash.notebook_path.is_file()
    assert "2 completed, 1 failed" in format_table(records, [])


def test_cli_timeout_and_summary(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", "--filter", "id=fixture-slow", "--timeout", "5", "--catalog", str(repo / "catalog")]
    rc = cli.main(args)  # execution 6
    out = capsys.readouterr().out
    assert rc == 1
    assert "fixture-slow" in out and "timed-out" in out and "timed out after 5 s" in out
    assert "0 completed, 1 failed" in out
    record = results.load(repo / "runs" / "fixture-slow" / results.param_hash(
        {"profile": "smoke", "dataset": "synthetic", "seeds": [0, 1, 2], "device": "cpu"}) / "record.json")
    assert record.outcome == "timed-out" and record.provenance["wall_time_s"] < 60


def test_cli_single_run(first_run: results.Record, repo: Path, no_kernel: list,
                        capsys: pytest.CaptureFixture[str]) -> None:
    cat = ["--catalog", str(repo / "catalog")]
    assert cli.main(["run", "fixture-ok", "--json", *cat]) == 0
    assert json.loads(capsys.readouterr().out) == first_run.data
    assert cli.main(["run", "fixture-ok", "-p", "epsilon", "0.5", *cat]) == 0
    out = capsys.readouterr().out
    assert "fixture-ok: completed (cached), status claims-hold" in out
    assert "c1: holds" in out and f"record:   {first_run.path}" in out
    assert cli.main(["run", "fixture-ok", "-p", "eps", "1", *cat]) == 2
    assert "unknown parameter 'eps'" in capsys.readouterr().err
    assert cli.main(["run", *cat]) == 2
    assert "give a work ID" in capsys.readouterr().err
    assert no_kernel == []


def test_dask_cluster(repo: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="needs dask distributed (advrec[distributed])")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        records = runner.run_many(["fixture-ok"], {"label": "dask"}, scheduler=cluster.scheduler_address,
                                  catalog=repo / "catalog")  # execution 7
    assert [r.outcome for r in records] == ["completed"]
    assert records[0].data["output"] == {"label": "dask"}
    assert results.load(records[0].path).data == records[0].data


def test_parameters_reach_papermill_with_their_types() -> None:
    import yaml

    params = {"reg": 1e-05, "eps": 0.5, "big": 1e20, "n": 3, "name": "ε-run", "none": None, "flag": True,
              "nested": {"a": [1e-07, 2]}}
    # papermill reads its -f file with YAML: 1e-05 written as JSON would come back as the string "1e-05"
    assert yaml.safe_load(json.dumps(params))["reg"] == "1e-05"
    assert yaml.safe_load(runner.parameters_yaml(params)) == params


def test_sigterm_unwinds_so_the_notebook_is_stopped() -> None:
    import os
    import signal
    import time

    previous = signal.getsignal(signal.SIGTERM)
    try:
        cli.exit_on_sigterm()
        # SystemExit runs the runner's `finally`, which kills papermill's process group
        with pytest.raises(SystemExit) as stopped:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        assert stopped.value.code == 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
