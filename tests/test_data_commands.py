"""The `advrec data` subcommands, driven through an argparse parser built the way core/cli.py does."""

import argparse
import json
import subprocess
import sys

import pytest

from advrec.data import DatasetMissingError
from advrec.data.commands import register


def run(argv, capsys):
    parser = argparse.ArgumentParser(prog="advrec")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def empty_mirror(monkeypatch, tmp_path):
    monkeypatch.setenv("ADVREC_DATA", str(tmp_path / "mirror"))
    monkeypatch.setenv("ADVREC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ADVREC_OFFLINE", "1")
    return tmp_path


def test_stats_of_a_user_file_as_json(empty_mirror, capsys):
    path = empty_mirror / "r.csv"
    path.write_text("user,item,rating,timestamp\n1,1,5,10\n1,2,3,20\n2,1,4,30\n")
    code, out, _ = run(["data", "stats", str(path), "--json"], capsys)
    stats = json.loads(out)
    assert code == 0
    assert (stats["n_users"], stats["n_items"], stats["n_interactions"]) == (2, 2, 3)
    assert stats["density"] == pytest.approx(0.75) and (stats["value_min"], stats["value_max"]) == (3.0, 5.0)
    assert len(stats["checksum"]) == 64


def test_stats_as_text(empty_mirror, capsys):
    path = empty_mirror / "r.tsv"
    path.write_text("1\t1\n2\t1\n")
    code, out, _ = run(["data", "stats", str(path)], capsys)
    assert code == 0 and "interactions" in out and "density          1.000000" in out


def test_list_reports_status_and_licence(empty_mirror, capsys):
    folder = empty_mirror / "mirror" / "filmtrust"
    folder.mkdir(parents=True)
    (folder / "ratings.txt").write_text("1 1 2\n")
    code, out, _ = run(["data", "list", "--json"], capsys)
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0
    assert rows["filmtrust"]["status"] == "partial" and rows["ml-100k"]["status"] == "missing"
    assert rows["ml-100k"]["interactions"] == 100_000 and "redistribut" in rows["ml-100k"]["licence"]
    code, out, _ = run(["data", "list", "--kind", "split"], capsys)
    names = [line.split()[0] for line in out.splitlines()[1:]]
    assert out.startswith("NAME") and "aush-automotive" in names and "ml-100k" not in names


def test_fetch_offline_raises_the_missing_error(empty_mirror, capsys):
    with pytest.raises(DatasetMissingError, match="ratings.txt"):
        run(["data", "fetch", "filmtrust"], capsys)


def test_bare_data_command_prints_help(capsys):
    code, out, _ = run(["data"], capsys)
    assert code == 2 and "list" in out and "fetch" in out


def test_registration_stays_light():
    code = (
        "import sys, advrec.data.commands; "
        "print(sorted({'pandas', 'numpy', 'scipy', 'torch'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
