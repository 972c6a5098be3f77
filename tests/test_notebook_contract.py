"""The notebook contract: the template and fixtures keep it; each way of breaking it is reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import advrec
from advrec.notebook_contract import ContractError, check_all, check_notebook, declared_parameters

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
PARAMS = 'profile = "smoke"\ndataset = "ml-100k"\nseeds = [0, 1]\ndevice = "cpu"\nepsilon = 0.5'
RECORDER = ('from advrec.results import Recorder\n'
            'rec = Recorder("demo", dict(profile=profile, dataset=dataset, seeds=seeds, device=device, '
            'epsilon=epsilon))')


def write(tmp_path: Path, cells: list, name: str = "demo") -> Path:
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    return path


def parameters(source: str = PARAMS):
    return new_code_cell(source, metadata={"tags": ["parameters"]})


def good_cells() -> list:
    return [new_markdown_cell("# Demo"), parameters(), new_code_cell(RECORDER),
            new_code_cell("rec.log_seed(0, {'HR@10': 0.5})"),
            new_code_cell("rec.finish(status='approximated')")]


def test_template_and_fixtures_keep_the_contract(repo: Path) -> None:
    assert check_notebook(repo / "papers" / "_template.ipynb") == []
    for name in ("fixture-ok", "fixture-crash", "fixture-slow"):
        assert check_notebook(FIXTURES / "papers" / f"{name}.ipynb") == []


def test_good_notebook_and_declared_parameters(tmp_path: Path) -> None:
    path = write(tmp_path, good_cells())
    assert check_notebook(path) == []
    assert declared_parameters(nbformat.read(path, as_version=4)) == {
        "profile": "smoke", "dataset": "ml-100k", "seeds": [0, 1], "device": "cpu", "epsilon": 0.5}


def test_ipython_magics_are_understood(tmp_path: Path) -> None:
    cells = good_cells()
    cells.insert(3, new_code_cell("%load_ext autoreload\n!echo hello\nx = 1"))
    assert check_notebook(write(tmp_path, cells)) == []


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c.insert(3, new_code_cell("def train(model):\n    return model")), "`def train` defines code"),
    (lambda c: c.insert(3, new_code_cell("if True:\n    class Model:\n        pass")),
     "`class Model` defines"),
    (lambda c: c.__setitem__(1, parameters(PARAMS.replace('device = "cpu"', ""))),
     "required parameter 'device' missing"),
    (lambda c: c.__setitem__(1, parameters(PARAMS.replace('"smoke"', '"quick"'))), "profile default 'quick'"),
    (lambda c: c.__setitem__(1, parameters(PARAMS.replace("[0, 1]", "[]"))), "seeds default []"),
    (lambda c: c.pop(), "the last code cell must write the record"),
    (lambda c: c.__setitem__(2, new_code_cell(RECORDER.replace(", epsilon=epsilon", ""))),
     "does not record declared parameter(s) epsilon"),
    (lambda c: c.__setitem__(2, new_code_cell(RECORDER.replace('"demo"', '"other"'))),
     "work id is 'other', expected the literal 'demo'"),
    (lambda c: c.__setitem__(2, new_code_cell("x = 1")), "expected one `Recorder('demo'"),
    (lambda c: c.__setitem__(3, new_code_cell("rec.log_seed(0, {'HR@10': 0.5}")), "syntax error"),
])
def test_each_breach_is_reported(tmp_path: Path, change, message: str) -> None:
    cells = good_cells()
    change(cells)
    problems = check_notebook(write(tmp_path, cells))
    assert any(message in p for p in problems), problems
    assert all(p.startswith(str(tmp_path / "demo.ipynb")) for p in problems)


def test_outputs_must_be_cleared(tmp_path: Path) -> None:
    cells = good_cells()
    cells[3].outputs = [new_output("stream", name="stdout", text="0.5\n")]
    problems = check_notebook(write(tmp_path, cells))
    assert len(problems) == 1 and "cell 3: has outputs" in problems[0]


@pytest.mark.parametrize(("source", "message"), [
    ("profile = 'smoke'\nprint(profile)", "only `name = literal` assignments"),
    ("profile = 'smoke'\nseeds = list(range(3))", "default of 'seeds' must be a literal"),
    ("profile = 'smoke'\nprofile = 'paper'", "'profile' is assigned twice"),
])
def test_parameters_cell_holds_literals_only(tmp_path: Path, source: str, message: str) -> None:
    cells = good_cells()
    cells[1] = parameters(source)
    problems = check_notebook(write(tmp_path, cells))
    assert len(problems) == 1 and message in problems[0]
    with pytest.raises(ContractError, match=message):
        declared_parameters(nbformat.read(tmp_path / "demo.ipynb", as_version=4))


def test_exactly_one_parameters_cell(tmp_path: Path) -> None:
    cells = good_cells()
    cells.insert(2, parameters("lr = 0.1"))
    assert "exactly one code cell tagged 'parameters', found 2" in check_notebook(write(tmp_path, cells))[0]
    cells = good_cells()
    cells[1].metadata = {}
    assert "found 0" in check_notebook(write(tmp_path, cells))[0]


def test_unreadable_or_missing_notebook(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text("{")
    assert "not a readable Jupyter notebook" in check_notebook(tmp_path / "broken.ipynb")[0]
    assert check_notebook(tmp_path / "absent.ipynb") == [f"{tmp_path / 'absent.ipynb'}: notebook missing"]


def test_check_all_against_the_catalog(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES, root)
    catalog = advrec.catalog(root / "catalog")
    assert check_all(catalog, root / "papers") == []  # fixture-pending has no notebook: allowed
    (root / "papers" / "fixture-crash.ipynb").unlink()
    shutil.copy(root / "papers" / "fixture-ok.ipynb", root / "papers" / "stray.ipynb")
    shutil.copy(root / "papers" / "fixture-ok.ipynb", root / "papers" / "_draft.ipynb")
    problems = check_all(catalog, root / "papers")
    assert len(problems) == 2, problems
    assert "reproduction.status is 'approximated' but its notebook" in problems[0]
    assert "fixture-crash.ipynb does not exist" in problems[0]
    assert "stray.ipynb: no catalog entry names this notebook" in problems[1]
