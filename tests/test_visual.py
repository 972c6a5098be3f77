"""Item content features: alignment to item ids, file formats, the torchvision gate, tag features."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from advrec.visual import align_features, extract_features, load_features, tag_features


def test_align_reorders_rows_by_id_and_matches_ids_by_string_form():
    feats = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    out = align_features([10, 20, 30], feats, ["30", 10])
    np.testing.assert_array_equal(out, [[3.0, 0.0], [1.0, 0.0]])
    assert out.dtype == np.float32


def test_align_missing_items_error_zero_or_mean():
    feats = np.array([[1.0, 2.0], [3.0, 6.0]])
    with pytest.raises(ValueError, match="1 of 2 items have no feature row.*ids 99"):
        align_features(["a", "b"], feats, ["a", "99"])
    np.testing.assert_array_equal(align_features(["a", "b"], feats, ["99", "b"], missing="zero"),
                                  [[0.0, 0.0], [3.0, 6.0]])
    np.testing.assert_array_equal(align_features(["a", "b"], feats, ["99"], missing="mean"), [[2.0, 4.0]])


def test_align_rejects_duplicates_bad_shapes_and_nan():
    with pytest.raises(ValueError, match="more than one feature row"):
        align_features([1, 1], np.zeros((2, 3)), [1])
    with pytest.raises(ValueError, match="one row per id"):
        align_features([1, 2], np.zeros((3, 3)), [1])
    with pytest.raises(ValueError, match="NaN"):
        align_features([1], np.array([[np.nan]]), [1])
    with pytest.raises(ValueError, match="missing must be one of"):
        align_features([1], np.zeros((1, 1)), [1], missing="drop")


def test_load_npz_npy_and_csv_with_and_without_header(tmp_path):
    feats = np.array([[0.5, 1.5], [2.5, 3.5]], dtype=np.float32)
    np.savez(tmp_path / "f.npz", ids=np.array([7, 8]), features=feats)
    np.testing.assert_array_equal(load_features(tmp_path / "f.npz", [8, 7]), feats[::-1])
    np.save(tmp_path / "f.npy", feats)
    np.testing.assert_array_equal(load_features(tmp_path / "f.npy", [8], ids=[7, 8]), feats[1:])
    with pytest.raises(ValueError, match="pass ids="):
        load_features(tmp_path / "f.npy", [8])
    (tmp_path / "h.csv").write_text("item,f0,f1\n7,0.5,1.5\n8,2.5,3.5\n")
    np.testing.assert_array_equal(load_features(tmp_path / "h.csv", ["8", "7"]), feats[::-1])
    (tmp_path / "n.tsv").write_text("7\t0.5\t1.5\n8\t2.5\t3.5\n")
    np.testing.assert_array_equal(load_features(tmp_path / "n.tsv", [7]), feats[:1])
    (tmp_path / "bad.csv").write_text("7,0.5,x\n")
    with pytest.raises(ValueError, match="row 1 .* not a number"):
        load_features(tmp_path / "bad.csv", [7])
    with pytest.raises(ValueError, match="unsupported feature file type"):
        load_features(_touch(tmp_path / "f.txt"), [7])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_features(tmp_path / "absent.npz", [7])


def _touch(path):
    path.write_text("")
    return path


@pytest.mark.skipif(importlib.util.find_spec("torchvision") is not None, reason="torchvision is installed")
def test_extract_features_without_torchvision_names_what_to_install():
    with pytest.raises(ImportError, match="pip install torchvision pillow"):
        extract_features({1: "a.jpg"}, [1])


def test_tag_features_hand_computed_rank_one_case():
    # items 0 and 1 carry the same single tag, item 2 none; tags "a" (2 items) and "b" (item 3 only).
    items = np.array([0, 1, 1, 3])
    tags = np.array(["a", "a", "a", "b"])
    out = tag_features(items, tags, n_items=4, dim=1)
    # tf-idf: item0 a=log2*log(3/2), item1 a=log3*log(3/2), item3 b=log2*log3; the top component is b
    # (largest singular value), so only item 3 has a non-zero row, normalised to +1.
    np.testing.assert_allclose(out[:, 0], [0.0, 0.0, 0.0, 1.0], atol=1e-6)


def test_tag_features_unit_rows_zero_for_untagged_and_deterministic():
    rng = np.random.default_rng(0)
    items = rng.integers(0, 30, 400)
    tags = rng.integers(0, 12, 400)
    items[items == 5] = 6  # item 5 has no tags
    out = tag_features(items, tags, n_items=30, dim=4, seed=3)
    norms = np.linalg.norm(out, axis=1)
    assert norms[5] == 0
    np.testing.assert_allclose(np.delete(norms, 5), 1.0, atol=1e-5)
    np.testing.assert_array_equal(out, tag_features(items, tags, n_items=30, dim=4, seed=3))
    with pytest.raises(ValueError, match="dim must be"):
        tag_features(items, tags, n_items=30, dim=12)
    with pytest.raises(ValueError, match="dense item ids"):
        tag_features(np.array([30]), np.array([0]), n_items=30, dim=1)
