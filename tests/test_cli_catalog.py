"""The catalog CLI: formats round-trip, errors are clear, and it answers without importing torch."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time

import pytest
import yaml

from advrec.catalog import catalog
from advrec.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_formats_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    expected = [w.id for w in catalog().filter(attack="FGSM")]
    code, out, _ = run(capsys, "list", "--attack", "FGSM", "--format", "csv")
    assert code == 0
    assert [row["id"] for row in csv.DictReader(io.StringIO(out))] == expected
    code, out, _ = run(capsys, "list", "--attack", "fgsm", "--format", "json")
    records = json.loads(out)
    assert [r["id"] for r in records] == expected
    assert all("FGSM" in r["taxonomy"]["attack"] for r in records)
    code, out, _ = run(capsys, "list", "--attack", "FGSM", "--format", "table")
    assert out.splitlines()[-1] == f"{len(expected)} work(s)"
    assert all(any(line.startswith(i + " ") for line in out.splitlines()) for i in expected)


def test_list_bibtex_parses(capsys: pytest.CaptureFixture[str]) -> None:
    import bibtexparser

    code, out, _ = run(capsys, "list", "--category", "fashion", "--format", "bibtex")
    library = bibtexparser.parse_string(out)
    assert code == 0 and not library.failed_blocks
    assert {e.key for e in library.entries} == {w.bibkey for w in catalog().filter(category="fashion")}


def test_list_repeated_field_is_any_of_and_year_range(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--attack", "FGSM", "--attack", "C&W", "--year", "2019-2020",
                       "--format", "json")
    ids = {r["id"] for r in json.loads(out)}
    assert ids == {w.id for w in catalog().filter(attack=["FGSM", "C&W"], year=(2019, 2020))}


def test_list_unknown_term_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "list", "--attack", "laser")
    assert code == 2 and "unknown attack term 'laser'" in err and "FGSM" in err


def test_show_yaml_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "APR")
    assert code == 0 and yaml.safe_load(out)["bibkey"] == catalog().get("apr").bibkey
    code, out, _ = run(capsys, "show", "irgan", "--format", "json")
    assert json.loads(out)["taxonomy"]["category"] == "collaborative"
    code, _, err = run(capsys, "show", "nope")
    assert code == 2 and "no work with id or name 'nope'" in err


def test_catalog_option(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    code, _, err = run(capsys, "list", "--catalog", str(tmp_path))
    assert code == 2 and "has no works/ subfolder" in err


@pytest.mark.parametrize("command", [[], ["list"], ["show"], ["validate"]])
def test_help_on_every_command(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: advrec" in capsys.readouterr().out


def test_list_does_not_import_torch_and_is_fast() -> None:
    code = ("import sys, time; t = time.perf_counter(); from advrec.cli import main; "
            "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()): main(['list'])\n"
            "print('torch' in sys.modules, time.perf_counter() - t)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    total = time.perf_counter() - start
    imported, seconds = out.split()
    assert imported == "False"
    assert float(seconds) < 1.0, f"advrec list took {seconds} s in-process ({total:.2f} s with start-up)"
