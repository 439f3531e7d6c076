"""fastconv.datasets.cifar10: the real subset (directory, archive, Keras cache layouts), a file://
download with MD5 check, corrupt and unsafe archives, unsafe pickles, missing data, bad arguments."""

import gzip
import io
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest

from fastconv.datasets import cifar10
from fastconv.datasets._pickle import UnsafePickleError, safe_load
from tests.datasets.conftest import file_url

N_TRAIN, N_TEST = 4660, 932  # the shared subset: 932 images per batch


@pytest.fixture(scope="module")
def reference(subset_root):
    """The subset decoded the way the data's README says (trusted local files, plain pickle)."""
    def batch(name):
        with open(subset_root / "cifar-10-batches-py" / name, "rb") as f:
            d = pickle.load(f, encoding="bytes")
        return d[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), np.array(d[b"labels"])
    parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = batch("test_batch")
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), x_test, y_test)


def assert_is_subset(result, reference):
    (x_train, y_train), (x_test, y_test) = result
    assert x_train.shape == (N_TRAIN, 32, 32, 3) and x_train.dtype == np.uint8
    assert x_test.shape == (N_TEST, 32, 32, 3) and x_test.dtype == np.uint8
    assert y_train.shape == (N_TRAIN, 1) and y_train.dtype == np.uint8
    assert y_test.shape == (N_TEST, 1) and y_test.dtype == np.uint8
    np.testing.assert_array_equal(x_train, reference[0])
    np.testing.assert_array_equal(y_train[:, 0], reference[1])
    np.testing.assert_array_equal(x_test, reference[2])
    np.testing.assert_array_equal(y_test[:, 0], reference[3])


def test_real_subset_directory(isolated, subset_root, reference):
    result = cifar10.load_data(path=subset_root)
    assert_is_subset(result, reference)
    (x_train, y_train), _ = result
    assert set(np.unique(y_train)) == set(range(10))
    assert x_train.flags.c_contiguous
    # the first training image of the release is a frog (label 6), its top-left pixel (59, 62, 63)
    assert y_train[0, 0] == 6 and cifar10.CLASS_NAMES[6] == "frog"
    np.testing.assert_array_equal(x_train[0, 0, 0], [59, 62, 63])


def test_path_may_be_the_batches_directory_itself(isolated, subset_root, reference):
    assert_is_subset(cifar10.load_data(path=str(subset_root / "cifar-10-batches-py")), reference)


def test_found_through_fastconv_data(isolated, monkeypatch, subset_root, reference):
    monkeypatch.setenv("FASTCONV_DATA", str(subset_root))
    assert_is_subset(cifar10.load_data(download=False), reference)


@pytest.mark.parametrize("layout", ["cifar-10-batches-py", "cifar-10-batches-py-target/cifar-10-batches-py",
                                    "cifar-10-batches-py/cifar-10-batches-py"])
def test_found_in_keras_cache_layouts(isolated, subset_root, reference, layout):
    target = isolated / "datasets" / layout
    target.parent.mkdir(parents=True)
    target.symlink_to(subset_root / "cifar-10-batches-py", target_is_directory=True)
    assert_is_subset(cifar10.load_data(download=False), reference)


def test_archive_file_and_directory_holding_it(isolated, subset_archive, reference):
    archive, _ = subset_archive
    assert_is_subset(cifar10.load_data(path=archive), reference)
    assert_is_subset(cifar10.load_data(path=archive.parent), reference)


def test_keras_cache_archive(isolated, subset_archive, reference):
    datasets = isolated / "datasets"
    datasets.mkdir(parents=True)
    (datasets / "cifar-10-batches-py-target_archive").symlink_to(subset_archive[0])
    assert_is_subset(cifar10.load_data(download=False), reference)


def test_file_url_download_verifies_md5_and_extracts(isolated, tmp_path, subset_archive, reference):
    archive, md5 = subset_archive
    target = tmp_path / "downloads"
    assert_is_subset(cifar10.load_data(path=target, origin=file_url(archive), md5=md5), reference)
    assert sorted(p.name for p in target.iterdir()) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]
    assert (target / "cifar-10-python.tar.gz").read_bytes() == archive.read_bytes()
    # the second load finds the extracted copy and never touches the (now broken) URL
    assert_is_subset(cifar10.load_data(path=target, origin=file_url(tmp_path / "gone.tar.gz")), reference)


def test_download_url_and_md5_from_environment_into_fastconv_data(isolated, monkeypatch, tmp_path, subset_archive,
                                                                 reference):
    archive, md5 = subset_archive
    monkeypatch.setenv("FASTCONV_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("FASTCONV_CIFAR10_URL", file_url(archive))
    monkeypatch.setenv("FASTCONV_CIFAR10_MD5", md5)
    assert_is_subset(cifar10.load_data(), reference)
    assert (tmp_path / "data" / "cifar-10-batches-py" / "test_batch").is_file()
    assert not isolated.exists()  # nothing went to the Keras cache


def test_download_with_wrong_md5_keeps_nothing(isolated, tmp_path, subset_archive):
    archive, md5 = subset_archive
    target = tmp_path / "downloads"
    with pytest.raises(ValueError, match="MD5") as info:
        cifar10.load_data(path=target, origin=file_url(archive), md5="0" * 32)
    assert md5 in str(info.value) and file_url(archive) in str(info.value)
    assert list(target.iterdir()) == []


def test_corrupt_local_archive(isolated, tmp_path, subset_archive):
    archive, _ = subset_archive
    broken = tmp_path / "cifar-10-python.tar.gz"
    broken.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(ValueError, match="corrupt") as info:
        cifar10.load_data(path=tmp_path)
    assert str(broken) in str(info.value) and cifar10.ORIGIN in str(info.value)


def test_corrupt_download_without_md5(isolated, tmp_path):
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(4096))
    target = tmp_path / "downloads"
    with pytest.raises(ValueError, match="corrupt"):
        cifar10.load_data(path=target, origin=file_url(garbage))
    assert not (target / "cifar-10-batches-py").exists()


def test_missing_without_download_lists_where_it_looked(isolated, monkeypatch, tmp_path):
    monkeypatch.setenv("FASTCONV_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError) as info:
        cifar10.load_data(download=False)
    message = str(info.value)
    assert str(tmp_path / "nowhere") in message and str(isolated / "datasets") in message
    assert "FASTCONV_DATA" in message and cifar10.ORIGIN in message and "To fix" in message


def test_missing_and_no_network(isolated, tmp_path):
    url = file_url(tmp_path / "no-such-archive.tar.gz")
    with pytest.raises(FileNotFoundError) as info:
        cifar10.load_data(path=tmp_path / "downloads", origin=url)
    message = str(info.value)
    assert url in message and str(tmp_path / "downloads") in message and "To fix" in message
    assert [p.name for p in (tmp_path / "downloads").iterdir()] == []


def test_incomplete_directory_is_reported(isolated, tmp_path, subset_root):
    partial = tmp_path / "cifar-10-batches-py"
    partial.mkdir()
    (partial / "data_batch_1").symlink_to(subset_root / "cifar-10-batches-py" / "data_batch_1")
    with pytest.raises(FileNotFoundError, match="incomplete: missing data_batch_2"):
        cifar10.load_data(path=tmp_path, download=False)


def _tar_with(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


@pytest.mark.parametrize("bad", ["traversal", "absolute", "symlink", "outside"])
def test_unsafe_download_is_refused(isolated, tmp_path, bad):
    if bad == "symlink":
        link = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        member = (link, None)
    else:
        name = {"traversal": "cifar-10-batches-py/../../evil", "absolute": "/tmp/fastconv-evil",
                "outside": "other/data_batch_1"}[bad]
        member = _file(name)
    archive = _tar_with(tmp_path / "evil.tar.gz", [_file("cifar-10-batches-py/test_batch"), member])
    target = tmp_path / "downloads"
    with pytest.raises(ValueError, match="refusing"):
        cifar10.load_data(path=target, origin=file_url(archive))
    assert not (tmp_path / "evil").exists() and not os.path.exists("/tmp/fastconv-evil")
    assert not (target / "cifar-10-batches-py").exists()
    assert not [p for p in target.iterdir() if p.name.startswith(".cifar10-extract")]


def _header_only_tar_gz(path, members, declared_size):
    """A tar.gz whose last member's header declares declared_size bytes but carries none: the issue's
    4.7 MB archive declaring a 1 GB member, without the 1 GB of zeros to compress."""
    blocks = []
    for info, data in members:  # each member: its header, then its data padded to 512-byte blocks
        blocks += [info.tobuf(), data, bytes(-len(data) % tarfile.BLOCKSIZE)]
    big = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
    big.size = declared_size
    path.write_bytes(gzip.compress(b"".join(blocks) + big.tobuf()))
    return path


@pytest.mark.parametrize("how", ["archive", "download"])
def test_archive_declaring_a_huge_member_is_refused_before_reading_it(isolated, tmp_path, how):
    """Issue #14 item 8: a small archive declaring a 1 GB member allocated 1 GB."""
    archive = _header_only_tar_gz(tmp_path / "cifar-10-python.tar.gz",
                                  [_file("cifar-10-batches-py/test_batch")], declared_size=1 << 30)
    assert archive.stat().st_size < 1000
    with pytest.raises(ValueError, match="'cifar-10-batches-py/data_batch_1' of 1073741824 bytes.*refusing"):
        if how == "archive":
            cifar10.load_data(path=archive)
        else:
            cifar10.load_data(path=tmp_path / "downloads", origin=file_url(archive))
    if how == "download":
        assert not (tmp_path / "downloads" / "cifar-10-batches-py").exists()


@pytest.mark.parametrize("how", ["archive", "download"])
def test_archive_with_too_many_entries_is_refused(isolated, tmp_path, how):
    members = [_file(f"cifar-10-batches-py/extra_{i}") for i in range(65)]
    archive = _tar_with(tmp_path / "cifar-10-python.tar.gz", members)
    with pytest.raises(ValueError, match="more than 64 entries.*refusing"):
        if how == "archive":
            cifar10.load_data(path=archive)
        else:
            cifar10.load_data(path=tmp_path / "downloads", origin=file_url(archive))


def test_archive_read_in_one_pass_takes_the_first_copy_of_a_name(isolated, tmp_path, subset_root, reference):
    """A duplicate name later in the archive is neither read nor preferred (and nothing is read twice)."""
    batches = subset_root / "cifar-10-batches-py"
    members = [_file(f"cifar-10-batches-py/{name}", (batches / name).read_bytes()) for name in cifar10._FILES]
    members.append(_file("cifar-10-batches-py/test_batch", b"not a pickle"))
    archive = _tar_with(tmp_path / "cifar-10-python.tar.gz", members)
    assert_is_subset(cifar10.load_data(path=archive), reference)


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickle_that_runs_code_is_refused(isolated, tmp_path, subset_root):
    data = tmp_path / "cifar-10-batches-py"
    data.mkdir()
    for name in ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"):
        (data / name).symlink_to(subset_root / "cifar-10-batches-py" / name)
    marker = tmp_path / "pwned"
    (data / "test_batch").write_bytes(pickle.dumps({b"data": _RunsCode(str(marker)), b"labels": [0]}))
    with pytest.raises(ValueError, match="refusing to load global"):
        cifar10.load_data(path=tmp_path, download=False)
    assert not marker.exists()


def test_safe_load_refuses_object_arrays_and_other_globals():
    with pytest.raises(UnsafePickleError, match="dtype"):
        safe_load(pickle.dumps(np.array([1, "a"], dtype=object)))
    with pytest.raises(UnsafePickleError, match="collections.OrderedDict"):
        import collections
        safe_load(pickle.dumps(collections.OrderedDict(a=1)))


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_safe_load_round_trips_numeric_arrays(protocol):
    value = {b"data": np.arange(24, dtype=np.uint8).reshape(4, 6), "f": np.asfortranarray(np.ones((2, 3), ">f8")),
             "labels": [1, 2, 3], "name": "batch"}
    out = safe_load(pickle.dumps(value, protocol=protocol))
    assert out["labels"] == [1, 2, 3] and out["name"] == "batch"
    for key in (b"data", "f"):
        np.testing.assert_array_equal(out[key], value[key])
        assert out[key].dtype == value[key].dtype


def _python2_batch_pickle(data, labels):
    """A batch pickled the way the official release was: Python 2 cPickle, protocol 2, numpy 1.x."""
    def s(text):  # SHORT_BINSTRING (a Python 2 str)
        return b"U" + bytes([len(text)]) + text
    n, width = data.shape
    body = b"".join([
        b"\x80\x02}q\x00(", s(b"labels"), b"]q\x01(", b"".join(b"K" + bytes([v]) for v in labels), b"e",
        s(b"data"), b"cnumpy.core.multiarray\n_reconstruct\nq\x02", b"cnumpy\nndarray\nq\x03",
        b"K\x00\x85", s(b"b"), b"\x87R(K\x01", b"M" + struct.pack("<H", n), b"M" + struct.pack("<H", width),
        b"\x86cnumpy\ndtype\nq\x04", s(b"u1"), b"K\x00K\x01\x87R(K\x03", s(b"|"),
        b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89", b"T" + struct.pack("<I", data.nbytes) + data.tobytes(),
        b"tbu."])
    return body


def test_python2_release_format_loads_like_numpy_does():
    data = np.random.default_rng(0).integers(0, 256, size=(3, 3072), dtype=np.uint8)
    raw = _python2_batch_pickle(data, [6, 9, 1])
    trusted = pickle.loads(raw, encoding="bytes")  # what Keras does; our bytes must mean the same to NumPy
    np.testing.assert_array_equal(trusted[b"data"], data)
    ours = safe_load(raw)
    assert ours[b"labels"] == [6, 9, 1]
    np.testing.assert_array_equal(ours[b"data"], data)
    assert ours[b"data"].dtype == np.uint8


@pytest.mark.parametrize("kwargs, match", [({"path": 3}, "path"), ({"origin": 1}, "origin"),
                                           ({"md5": b"ab"}, "md5"), ({"download": "yes"}, "download")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(TypeError, match=match):
        cifar10.load_data(**kwargs)
