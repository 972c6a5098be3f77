"""The contract every paper notebook keeps, and its checker (wired into `advrec validate`).

A `papers/<id>.ipynb` notebook has exactly one code cell tagged `parameters` holding only
`name = literal` assignments (every knob with its default, at least `profile`, `dataset`, `seeds` and
`device`); composes the engine without defining any (no `def` or `class` in a code cell); creates
`Recorder("<id>", ...)` with every declared parameter; ends with a cell that writes the record
(`rec.finish(...)`); and is committed without outputs (its executed copy lives beside the record).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PROFILES = ("smoke", "default", "paper")
REQUIRED_PARAMETERS = ("profile", "dataset", "seeds", "device")
NO_NOTEBOOK_STATUSES = ("pending", "not-executable")


class ContractError(ValueError):
    """A notebook cannot be read or has no usable parameters cell; the message names file and cell."""


def read_notebook(path: str | os.PathLike[str]) -> Any:
    """The notebook at `path` as an nbformat v4 node; raises ContractError when it is not one."""
    import nbformat

    path = Path(path)
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise
    except Exception as err:  # nbformat raises several unrelated types for a broken file
        raise ContractError(f"{path}: not a readable Jupyter notebook: {err}") from None


def declared_parameters(notebook: Any, source: str | os.PathLike[str] = "notebook") -> dict[str, Any]:
    """The defaults of the cell tagged `parameters` ({name: literal value}); raises ContractError."""
    cells = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    code = [c for c in cells if c.cell_type == "code"]
    if len(cells) != 1 or len(code) != 1:
        raise ContractError(f"{source}: expected exactly one code cell tagged 'parameters', found "
                            f"{len(code)} code cell(s) among {len(cells)} tagged cell(s)")
    try:
        tree = ast.parse(code[0].source)
    except SyntaxError as err:
        raise ContractError(f"{source}: parameters cell: syntax error: {err.msg} "
                            f"(line {err.lineno})") from None
    values: dict[str, Any] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else (
            node.target if isinstance(node, ast.AnnAssign) and node.value is not None else None)
        if not isinstance(target, ast.Name):
            raise ContractError(f"{source}: parameters cell, line {node.lineno}: only `name = literal` "
                                "assignments are allowed there")
        try:
            value = ast.literal_eval(node.value)  # type: ignore[arg-type]
        except ValueError:
            raise ContractError(f"{source}: parameters cell, line {node.lineno}: the default of "
                                f"{target.id!r} must be a literal (number, string, bool, None, list, "
                                "dict)") from None
        if target.id in values:
            raise ContractError(f"{source}: parameters cell: {target.id!r} is assigned twice")
        values[target.id] = value
    return values


def check_notebook(path: str | os.PathLike[str], work_id: str | None = None) -> list[str]:
    """Every way the notebook at `path` breaks the contract (empty when it keeps it).

    `work_id` is the id the notebook must record under (default: the file's stem).
    """
    path = Path(path)
    work_id = work_id or path.stem
    try:
        notebook = read_notebook(path)
        parameters = declared_parameters(notebook, path)
    except FileNotFoundError:
        return [f"{path}: notebook missing"]
    except ContractError as err:
        return [str(err)]
    problems = [f"{path}: {p}" for p in _parameter_problems(parameters)]
    code_cells = [(i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code" and c.source.strip()]
    trees: list[tuple[int, ast.Module]] = []
    for index, cell in code_cells:
        if cell.get("outputs") or cell.get("execution_count") is not None:
            problems.append(f"{path}: cell {index}: has outputs; commit paper notebooks cleared "
                            "(the executed copy is written beside the record)")
        try:
            tree = _parse_cell(cell.source)
        except SyntaxError as err:
            problems.append(f"{path}: cell {index}: syntax error: {err.msg} (line {err.lineno})")
            continue
        trees.append((index, tree))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                kind = "class" if isinstance(node, ast.ClassDef) else "def"
                problems.append(f"{path}: cell {index}, line {node.lineno}: `{kind} {node.name}` defines "
                                "code in the notebook; engine code belongs in advrec (notebooks only "
                                "compose it)")
    problems += [f"{path}: {p}" for p in _recorder_problems(trees, parameters, work_id)]
    return problems


def check_all(catalog: Iterable[Any], papers_dir: str | os.PathLike[str]) -> list[str]:
    """Problems of every catalog entry's notebook, and of notebooks in `papers_dir` no entry names.

    An entry whose status is pending or not-executable may have no notebook yet; any other status needs
    one. Files starting with "_" (the template) are not paper notebooks.
    """
    papers_dir = Path(papers_dir)
    problems: list[str] = []
    named: set[str] = set()
    for work in catalog:
        name = Path(work.reproduction["notebook"]).name
        named.add(name)
        path = papers_dir / name
        if not path.is_file():
            if work.reproduction["status"] not in NO_NOTEBOOK_STATUSES:
                problems.append(f"{work.path}: reproduction.status is {work.reproduction['status']!r} "
                                f"but its notebook {path} does not exist")
            continue
        problems += check_notebook(path, work.id)
    if papers_dir.is_dir():
        for path in sorted(papers_dir.glob("*.ipynb")):
            if not path.name.startswith("_") and path.name not in named:
                problems.append(f"{path}: no catalog entry names this notebook (expected an entry with id "
                                f"{path.stem!r})")
    return problems


def _parameter_problems(parameters: dict[str, Any]) -> list[str]:
    problems = [f"parameters cell: required parameter {name!r} missing"
                for name in REQUIRED_PARAMETERS if name not in parameters]
    if "profile" in parameters and parameters["profile"] not in PROFILES:
        problems.append(f"parameters cell: profile default {parameters['profile']!r} is not one of "
                        f"{', '.join(PROFILES)}")
    seeds = parameters.get("seeds")
    if "seeds" in parameters and not (isinstance(seeds, list) and seeds and
                                      all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)):
        problems.append(f"parameters cell: seeds default {seeds!r} is not a non-empty list of integers")
    for name in ("dataset", "device"):
        if name in parameters and not isinstance(parameters[name], str):
            problems.append(f"parameters cell: {name} default {parameters[name]!r} is not a string")
    return problems


def _parse_cell(source: str) -> ast.Module:
    """A code cell's AST; IPython syntax (magics, shell escapes) is translated first when present."""
    try:
        return ast.parse(source)
    except SyntaxError:
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(source))


def _recorder_problems(trees: list[tuple[int, ast.Module]], parameters: dict[str, Any],
                       work_id: str) -> list[str]:
    recorders = [node for _, tree in trees for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and _call_name(node) == "Recorder"]
    problems: list[str] = []
    if len(recorders) != 1:
        problems.append(f"expected one `Recorder({work_id!r}, {{...parameters...}})` call "
                        f"(from advrec.results), found {len(recorders)}")
    else:
        call = recorders[0]
        first = call.args[0] if call.args else next(
            (k.value for k in call.keywords if k.arg == "work_id"), None)
        if not (isinstance(first, ast.Constant) and first.value == work_id):
            shown = ast.unparse(first) if first is not None else "nothing"
            problems.append(f"Recorder's work id is {shown}, expected the literal {work_id!r}")
        used = {n.id for n in ast.walk(call) if isinstance(n, ast.Name)}
        missing = [name for name in parameters if name not in used]
        if missing:
            problems.append(f"Recorder(...) does not record declared parameter(s) {', '.join(missing)}")
    last = trees[-1][1] if trees else None
    if last is None or not any(isinstance(n, ast.Call) and _call_name(n) == "finish" for n in ast.walk(last)):
        problems.append("the last code cell must write the record: `rec.finish(claims=..., status=...)`")
    return problems


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None
