"""A user's own CSV/TSV: separator, header and columns detected across the layouts people have."""

import gzip
import hashlib

import numpy as np
import pytest

from advrec.data import FormatError, load_dataset, read_table
from advrec.data.tabular import describe_columns, sniff_header, sniff_separator


def write(tmp_path, name, text, mode="w"):
    path = tmp_path / name
    if mode == "gz":
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def test_csv_with_movielens_latest_header(tmp_path):
    path = write(
        tmp_path,
        "ratings.csv",
        "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n7,31,4.0,1260759185\n",
    )
    d = read_table(path)
    assert (len(d), d.n_users, d.n_items) == (3, 2, 2)
    assert d.user_ids.tolist() == [1, 7] and d.item_ids.tolist() == [31, 1029]
    assert d.values.tolist() == [2.5, 3.0, 4.0]
    assert d.timestamps.tolist() == [1260759144, 1260759179, 1260759185]
    assert d.checksum == hashlib.sha256(path.read_bytes()).hexdigest()


def test_headerless_tab_file_uses_positional_columns(tmp_path):
    path = write(
        tmp_path, "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n"
    )
    info = describe_columns(path)
    assert info == {
        "sep": "\t",
        "header": False,
        "columns": {"user": "0", "item": "1", "rating": "2", "timestamp": "3"},
    }
    d = read_table(path)
    assert d.user_ids.tolist() == [22, 186, 196] and d.values.tolist() == [3.0, 3.0, 1.0]


def test_double_colon_separator(tmp_path):
    path = write(
        tmp_path, "ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n"
    )
    d = read_table(path)
    assert describe_columns(path)["sep"] == "::"
    assert (d.n_users, d.n_items, d.values.tolist()) == (2, 2, [5.0, 3.0, 4.0])


def test_semicolon_header_with_snake_case_names_and_reordered_columns(tmp_path):
    path = write(tmp_path, "export.csv", "score;item_id;user_id\n5;i1;u1\n1;i2;u1\n3;i1;u2\n")
    d = read_table(path)
    assert d.user_ids.tolist() == ["u1", "u2"] and d.item_ids.tolist() == ["i1", "i2"]
    assert d.values.tolist() == [5.0, 1.0, 3.0] and d.timestamps is None


def test_space_separated_pairs_are_implicit(tmp_path):
    path = write(tmp_path, "pairs.txt", "1 242\n1  150\n2 77\n")
    d = read_table(path)
    assert d.values.tolist() == [1.0, 1.0, 1.0] and d.item_ids.tolist() == [77, 150, 242]


def test_pipe_separated_iso_dates_become_unix_seconds(tmp_path):
    path = write(tmp_path, "log.psv", "user|item|date\na|x|2020-01-01T00:00:00Z\nb|x|2020-01-02\n")
    d = read_table(path)
    assert d.timestamps.tolist() == [1577836800, 1577836800 + 86400]


def test_amazon_style_string_ids_without_header(tmp_path):
    path = write(
        tmp_path,
        "ratings_Beauty.csv",
        "A39HTATAQ9V7YF,0205616461,5.0,1369699200\nA3JM6GV9MNOF9X,0558925278,3.0,1355443200\n",
    )
    d = read_table(path)
    assert describe_columns(path)["header"] is False
    # "0205616461" stays a string id: leading zeros matter in ASINs.
    assert d.item_ids.tolist() == ["0205616461", "0558925278"]


def test_quoted_fields_may_contain_the_separator(tmp_path):
    path = write(tmp_path, "q.csv", 'user,item,rating\n1,"a,b",5\n2,c,4\n')
    assert read_table(path).item_ids.tolist() == ["a,b", "c"]


def test_gzip_file(tmp_path):
    path = write(tmp_path, "ratings.csv.gz", "user_id,item_id\n1,2\n3,4\n", mode="gz")
    assert len(read_table(path)) == 2


def test_unknown_names_need_an_explicit_mapping(tmp_path):
    path = write(tmp_path, "odd.csv", "who,what,how_much\n1,10,2\n2,10,5\n")
    with pytest.raises(FormatError, match="no user column recognised"):
        read_table(path)
    d = read_table(path, columns={"user": "who", "item": "what", "rating": 2})
    assert d.values.tolist() == [2.0, 5.0]
    with pytest.raises(ValueError, match="'whom' is not a column"):
        read_table(path, columns={"user": "whom", "item": "what"})


def test_explicit_separator_and_header_override_sniffing(tmp_path):
    path = write(tmp_path, "x.txt", "1\t2\n3\t4\n")
    d = read_table(path, sep="\t", header=True, columns={"user": "1", "item": "2"})
    assert len(d) == 1 and d.user_ids.tolist() == [3]


def test_bad_rating_and_empty_id_raise_with_location(tmp_path):
    with pytest.raises(FormatError, match="non-numeric rating 'five'"):
        read_table(write(tmp_path, "a.csv", "user,item,rating\n1,2,five\n1,3,4\n"))
    with pytest.raises(FormatError, match="line 3: empty item id"):
        read_table(write(tmp_path, "b.csv", "user,item,rating\n1,2,3\n1,,4\n"))


def test_sniffers_on_samples():
    assert sniff_separator(["a,b;c", "d,e;f"]) == ","
    assert sniff_separator(["a;b,c", "d;e"]) == ";"
    with pytest.raises(FormatError, match="could not detect the separator"):
        sniff_separator(["abc", "def"])
    assert sniff_header([["uid", "sid"], ["1", "2"]]) is True
    assert sniff_header([["x", "1"], ["y", "2"]]) is False
    assert sniff_header([["count", "5"], ["3", "4"]]) is True


def test_load_dataset_accepts_a_path_and_implicit_threshold(tmp_path):
    path = write(tmp_path, "r.csv", "user,item,rating\n1,1,5\n1,2,2\n2,1,4\n")
    d = load_dataset(path, implicit=True, threshold=4)
    assert len(d) == 2 and np.all(d.values == 1) and d.n_items == 2
    with pytest.raises(ValueError, match="threshold only applies"):
        load_dataset(path, threshold=4)
    with pytest.raises(FileNotFoundError, match="not found"):
        load_dataset(tmp_path / "absent.csv")


def test_latin1_file_falls_back_from_utf8(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("user,item,rating\nJosé,Amélie,5\nZoë,Amélie,4\n".encode("latin-1"))
    d = read_table(path)
    assert d.user_ids.tolist() == ["José", "Zoë"] and d.item_ids.tolist() == ["Amélie"]
