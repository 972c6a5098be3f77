"""Downloads against a local HTTP server, safe extraction, and the mirror -> cache -> download lookup."""

import hashlib
import io
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from advrec.data import ChecksumError, DatasetMissingError, UnsafeArchiveError, load_dataset
from advrec.data import registry as reg
from advrec.data.download import download, extract_archive, git_blob_id
from advrec.data.loading import fetch
from advrec.data.readers import READERS
from advrec.data.tabular import read_table

PAYLOAD = bytes(range(256)) * 40  # 10,240 bytes


class Server:
    """A 127.0.0.1 HTTP server serving `files`, honouring Range requests unless `ranges` is False."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.ranges = True
        self.requests: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append((self.path, self.headers.get("Range")))
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                rng = self.headers.get("Range")
                if rng and outer.ranges:
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                self.wfile.write(body[start:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server():
    s = Server()
    yield s
    s.close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_verifies_and_renames_atomically(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    dest = download(server.url + "/f.bin", tmp_path / "f.bin", sha256=sha(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]


def test_checksum_mismatch_raises_and_leaves_no_file(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    with pytest.raises(ChecksumError, match="expected sha256 " + "0" * 64):
        download(server.url + "/f.bin", tmp_path / "f.bin", sha256="0" * 64, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_resume_continues_a_partial_file_with_a_range_request(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:4000])
    download(server.url + "/f.bin", tmp_path / "f.bin", sha256=sha(PAYLOAD), progress=False)
    assert server.requests == [("/f.bin", "bytes=4000-")]
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD and not (tmp_path / "f.bin.part").exists()


def test_resume_restarts_when_the_server_ignores_ranges(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    server.ranges = False
    (tmp_path / "f.bin.part").write_bytes(b"garbage that must not survive")
    download(server.url + "/f.bin", tmp_path / "f.bin", sha256=sha(PAYLOAD), progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_complete_partial_file_is_verified_after_416(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD)
    download(server.url + "/f.bin", tmp_path / "f.bin", sha256=sha(PAYLOAD), progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_corrupt_partial_file_is_caught_by_the_checksum(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    (tmp_path / "f.bin.part").write_bytes(b"\xff" * 100)
    with pytest.raises(ChecksumError):
        download(server.url + "/f.bin", tmp_path / "f.bin", sha256=sha(PAYLOAD), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_git_blob_verification(server, tmp_path):
    # `echo 'hello world' | git hash-object --stdin` prints 3b18e512dba79e4c8300dd08aeb37f8e728b8dad.
    server.files["/h.txt"] = b"hello world\n"
    download(
        server.url + "/h.txt",
        tmp_path / "h.txt",
        git_blob="3b18e512dba79e4c8300dd08aeb37f8e728b8dad",
        progress=False,
    )
    assert git_blob_id(tmp_path / "h.txt") == "3b18e512dba79e4c8300dd08aeb37f8e728b8dad"
    with pytest.raises(ChecksumError, match="git blob id"):
        download(server.url + "/h.txt", tmp_path / "g.txt", git_blob="1" * 40, progress=False)


def test_unreachable_url_raises_missing(tmp_path):
    with pytest.raises(DatasetMissingError, match="could not download"):
        download("http://127.0.0.1:9/nothing", tmp_path / "x", progress=False, timeout=2)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_extraction_rejects_parent_escapes_before_writing_anything(tmp_path):
    archive = tmp_path / "evil.zip"
    archive.write_bytes(zip_bytes({"ok/a.txt": b"a", "ok/../../evil.txt": b"x"}))
    target = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match="escape"):
        extract_archive(archive, target)
    assert not (tmp_path / "evil.txt").exists() and list(target.iterdir()) == []


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt"])
def test_tar_extraction_rejects_unsafe_names(tmp_path, name):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        info = tarfile.TarInfo(name)
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(UnsafeArchiveError):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_tar_extraction_rejects_links(tmp_path):
    archive = tmp_path / "link.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo("data/passwd")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tf.addfile(info)
    with pytest.raises(UnsafeArchiveError, match="link"):
        extract_archive(archive, tmp_path / "out")


def test_extraction_strips_the_prefix_and_filters_members(tmp_path):
    archive = tmp_path / "ml.zip"
    archive.write_bytes(
        zip_bytes({"ml-100k/u.data": b"1\t1\t5\t0\n", "ml-100k/README": b"r", "other/x": b"x"})
    )
    written = extract_archive(archive, tmp_path / "out", prefix="ml-100k/", members={"u.data"})
    assert [p.name for p in written] == ["u.data"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["u.data"]


RATINGS = b"user,item,rating\n1,1,5\n1,2,3\n2,1,4\n"


@pytest.fixture()
def toy(server, monkeypatch, tmp_path):
    """A registered dataset 'toy-ratings' whose only file is served by the local server."""
    server.files["/toy/ratings.csv"] = RATINGS
    source = reg.Source(
        "toy",
        "Toy",
        "https://example.org/toy",
        "test data",
        {
            "ratings.csv": reg.SourceFile(
                "ratings.csv", len(RATINGS), sha(RATINGS), url=server.url + "/toy/ratings.csv"
            )
        },
    )
    spec = reg.DatasetSpec("toy-ratings", "dataset", source, "toy_csv", ("ratings.csv",), "toy ratings")
    monkeypatch.setitem(reg.REGISTRY, "toy-ratings", spec)
    monkeypatch.setitem(READERS, "toy_csv", lambda path: read_table(path))
    monkeypatch.setenv("ADVREC_DATA", str(tmp_path / "mirror"))
    monkeypatch.setenv("ADVREC_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ADVREC_OFFLINE", raising=False)
    return tmp_path


def test_lookup_prefers_the_mirror_then_the_cache_then_downloads(toy, server):
    mirror = toy / "mirror" / "toy"
    mirror.mkdir(parents=True)
    (mirror / "ratings.csv").write_bytes(RATINGS)
    d = load_dataset("toy-ratings", progress=False)
    assert len(d) == 3 and server.requests == []
    expected = hashlib.sha256(f"ratings.csv  {sha(RATINGS)}\n".encode()).hexdigest()
    assert d.checksum == expected and d.name == "toy-ratings"

    (mirror / "ratings.csv").unlink()
    assert len(load_dataset("toy-ratings", progress=False)) == 3
    assert server.requests == [("/toy/ratings.csv", None)]
    assert (toy / "cache" / "toy" / "ratings.csv").read_bytes() == RATINGS
    load_dataset("toy-ratings", progress=False)
    assert len(server.requests) == 1  # served from the cache the second time


def test_offline_missing_error_names_file_url_and_places(toy, server, monkeypatch):
    monkeypatch.setenv("ADVREC_OFFLINE", "1")
    with pytest.raises(DatasetMissingError) as err:
        load_dataset("toy-ratings")
    text = str(err.value)
    assert "'toy-ratings' is missing 1 file(s) (offline" in text
    assert "ratings.csv" in text and server.url + "/toy/ratings.csv" in text
    assert (
        str(toy / "mirror" / "toy" / "ratings.csv") in text
        and str(toy / "cache" / "toy" / "ratings.csv") in text
    )
    assert server.requests == []


def test_corrupt_local_copy_is_rejected(toy):
    mirror = toy / "mirror" / "toy"
    mirror.mkdir(parents=True)
    (mirror / "ratings.csv").write_bytes(RATINGS.replace(b"5", b"4"))
    with pytest.raises(ChecksumError, match="checksum mismatch"):
        load_dataset("toy-ratings")
    assert len(load_dataset("toy-ratings", verify=False)) == 3


def test_archive_source_is_downloaded_extracted_and_verified(server, monkeypatch, tmp_path):
    data = b"1\t1\t5\t881250949\n2\t1\t3\t881250950\n"
    server.files["/ml.zip"] = zip_bytes({"ml/u.data": data, "ml/README": b"readme"})
    source = reg.Source(
        "arch",
        "Archive",
        "https://example.org",
        "test",
        {"u.data": reg.SourceFile("u.data", len(data), sha(data))},
        reg.Archive(server.url + "/ml.zip", prefix="ml/"),
    )
    spec = reg.DatasetSpec("arch-data", "dataset", source, "toy_csv", ("u.data",), "archived")
    monkeypatch.setitem(reg.REGISTRY, "arch-data", spec)
    monkeypatch.setitem(READERS, "toy_csv", lambda path: read_table(path))
    monkeypatch.delenv("ADVREC_DATA", raising=False)
    paths = fetch("arch-data", cache=tmp_path / "c", download=True, progress=False)
    assert paths["u.data"] == tmp_path / "c" / "arch" / "u.data"
    assert (tmp_path / "c" / "arch" / "README").exists()
    assert not list((tmp_path / "c" / "arch" / ".downloads").iterdir())
    d = load_dataset("arch-data", cache=tmp_path / "c", download=False)
    assert np.array_equal(d.timestamps, [881250949, 881250950])


def test_archive_member_with_wrong_checksum_is_not_kept(server, monkeypatch, tmp_path):
    server.files["/bad.zip"] = zip_bytes({"u.data": b"1\t1\t5\t0\n"})
    source = reg.Source(
        "bad",
        "Bad",
        "https://example.org",
        "test",
        {"u.data": reg.SourceFile("u.data", 9, "0" * 64)},
        reg.Archive(server.url + "/bad.zip"),
    )
    monkeypatch.setitem(
        reg.REGISTRY, "bad-data", reg.DatasetSpec("bad-data", "dataset", source, "x", ("u.data",), "")
    )
    monkeypatch.delenv("ADVREC_DATA", raising=False)
    with pytest.raises(ChecksumError, match="u.data"):
        fetch("bad-data", cache=tmp_path / "c", download=True, progress=False)
    assert [p.name for p in (tmp_path / "c" / "bad").rglob("*") if p.is_file()] == []
