"""fastconv.datasets._pickle, the restricted CIFAR reader: the real files and the release's Python 2
form, structures CIFAR files never hold (refused, in time linear in the input), and fuzzing."""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fastconv.datasets import cifar10
from fastconv.datasets._pickle import UnsafePickleError, safe_load
from tests.datasets.py2pickle import python2_batch_pickle, python2_meta_pickle
from tests.shared_data import cifar10_subset_root

RNG = np.random.default_rng(0)


def assert_same(ours, trusted):
    """ours (safe_load) holds what pickle.loads(..., encoding="bytes") gives."""
    assert isinstance(ours, dict) and list(ours) == list(trusted)
    for key, value in trusted.items():
        if isinstance(value, np.ndarray):
            assert ours[key].dtype == value.dtype and ours[key].shape == value.shape
            np.testing.assert_array_equal(ours[key], value)
        else:
            assert type(ours[key]) is type(value) and ours[key] == value


def small_batch(n=2):
    data = RNG.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = [int(v) for v in RNG.integers(0, 10, size=n)]
    filenames = [b"leptodactylus_pentadactylus_s_%06d.png" % i for i in range(n)]
    return data, labels, filenames


# -- what CIFAR files hold: every file of the shared subset, and the release's own byte form

@pytest.mark.parametrize("name", ["batches.meta", "data_batch_1", "test_batch"])
def test_real_files_read_as_pickle_reads_them(name):
    root = cifar10_subset_root()
    if root is None:
        pytest.skip("the shared CIFAR-10 subset is not here")
    raw = (root / "cifar-10-batches-py" / name).read_bytes()
    assert_same(safe_load(raw), pickle.loads(raw, encoding="bytes"))


def test_release_python2_form_with_10000_images_and_filenames():
    """The official batch: 10,000 labels and filenames in APPENDS batches of 1000, LONG_BINPUT past 255."""
    data, labels, filenames = small_batch(10000)
    raw = python2_batch_pickle(data, labels, filenames)
    assert b"r\x00\x01\x00\x00" in raw  # memo index 256: LONG_BINPUT
    ours = safe_load(raw)
    assert_same(ours, pickle.loads(raw, encoding="bytes"))
    assert ours[b"filenames"][9999] == filenames[9999] and ours[b"batch_label"] == b"training batch 1 of 5"
    images, y = cifar10._parse_batch(raw, "data_batch_1")
    assert images.shape == (10000, 32, 32, 3) and y.tolist() == labels


def test_release_python2_meta():
    raw = python2_meta_pickle([name.encode() for name in cifar10.CLASS_NAMES])
    assert_same(safe_load(raw), pickle.loads(raw, encoding="bytes"))


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_python3_rewrites_of_a_batch(protocol):
    data, labels, filenames = small_batch(3)
    batch = {b"batch_label": b"testing batch 1 of 1", b"labels": labels, b"data": data, b"filenames": filenames}
    raw = pickle.dumps(batch, protocol=protocol)
    assert_same(safe_load(raw), batch)


# -- what CIFAR files never hold: refused at once, whatever it would have cost

def _batch_with(extra, protocol=2):
    data, labels, _ = small_batch(1)
    return pickle.dumps({b"batch_label": b"x", b"labels": labels, b"data": data, b"extra": extra}, protocol=protocol)


def _nested_lists(levels):
    a = []
    for _ in range(levels):
        a = [a, a]
    return a


def _run_isolated(code, timeout=60, memory=2 << 30):
    """Run code in a child capped at `memory` bytes of address space; fails the test if it hangs."""
    prelude = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))\n"
    try:
        return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {timeout} s: the reader's work is not bounded by its input")


def test_memo_shared_nested_lists_are_refused_without_expanding(tmp_path):
    """Issue item 7: 40 levels of a = [a, a] are 2 KB of pickle and 2^40 list items once expanded;
    the old reader hung (through load_data it was killed at 3.9 GB)."""
    raw = _batch_with(_nested_lists(40))
    assert len(raw) < 6000  # one image (3 KB) and the 40 levels
    (tmp_path / "cifar-10-batches-py").mkdir()
    for name in cifar10._FILES:
        (tmp_path / "cifar-10-batches-py" / name).write_bytes(raw)
    result = _run_isolated(f"""
        import sys
        from fastconv.datasets import cifar10
        from fastconv.datasets._pickle import UnsafePickleError, safe_load
        raw = open({str(tmp_path / "cifar-10-batches-py" / "test_batch")!r}, "rb").read()
        try:
            safe_load(raw)
        except UnsafePickleError as err:
            print("safe_load:", err)
        try:
            cifar10.load_data({str(tmp_path)!r}, download=False)
        except ValueError as err:
            print("load_data:", err)
        """)
    assert result.returncode == 0, result.stderr
    assert "safe_load: at byte" in result.stdout and "memo reference to a list" in result.stdout
    assert "load_data:" in result.stdout and "is not a CIFAR-10 batch file" in result.stdout


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_lists_inside_lists_are_refused_even_unshared(protocol):
    with pytest.raises(UnsafePickleError, match="no nested lists"):
        safe_load(_batch_with([[1, 2], [3]], protocol))


def test_shared_nested_tuples_are_refused_at_the_first_level():
    """40 levels of t = (t, t): as a dict key it would take 2^40 steps to hash. Pickled as a value
    here, since building {t: 1} to pickle would itself hash t."""
    t = ()
    for _ in range(40):
        t = (t, t)
    raw = pickle.dumps({b"k": t}, protocol=2)
    assert len(raw) < 500
    with pytest.raises(UnsafePickleError, match="memo reference to a list, tuple"):
        safe_load(raw)
    with pytest.raises(UnsafePickleError, match="nested tuple"):  # the same depth unshared
        safe_load(pickle.dumps({b"k": (((1,),),)}, protocol=2))


def test_floats_are_numbers_too():
    batch = {b"mean": 0.5, b"scale": [1.5, -2.0, 1e300], b"n": 3}
    for protocol in (0, 2, 5):
        assert safe_load(pickle.dumps(batch, protocol=protocol)) == batch


def test_long_strings_cannot_be_shared():
    """A memo reference to array data would let 3 KB of input make a 3 MB array 1000 times over."""
    text = b"x" * 3072
    head = b"\x80\x04}(C\x01kB" + len(text).to_bytes(4, "little") + text + b"\x94"  # the string is memo 0
    assert safe_load(head + b"u.") == {b"k": text}
    with pytest.raises(UnsafePickleError, match="memo reference to a list, tuple, array or long string"):
        safe_load(head + b"C\x01jh\x00" * 1000 + b"u.")


@pytest.mark.parametrize("raw, match", [
    (pickle.dumps([1, 2], protocol=2), "not one dict"),
    (pickle.dumps({b"a": {b"b": 1}}, protocol=2), "top-level dict"),
    (pickle.dumps({b"a": (1, 2)}, protocol=2), "dict value of type tuple"),
    (pickle.dumps({1: b"a"}, protocol=2), "dict key of type int"),
    (pickle.dumps({b"a": [None]}, protocol=2), "not a number or a string"),
    (pickle.dumps({b"a": 2**70}, protocol=2), "LONG1"),
    (pickle.dumps({b"a": np.dtype("u1")}, protocol=2), "dict value of type _DType"),
    (pickle.dumps({b"a": np.zeros(3, "c16")}, protocol=2), "dtype"),
    (pickle.dumps({b"a": {1, 2}}, protocol=4), "EMPTY_SET"),
    (b"\x80\x02}r\xff\xff\xff\xff(U\x01aK\x01u.", "<unreachable>"),
    (b"\x80\x02}(U\x01aK\x01u.trailing", "after the end"),
    (b"\x80\x02}(U\x01aK\x01u", "truncated"),
    (b"\x80\x02}(U\x01aT\xff\xff\xff\x7fxu.", "truncated"),
    (b"\x80\x02}(U\x01a\x8e" + (2**63).to_bytes(8, "little") + b"u.", "truncated"),
    (b"\x80\x02}(U\x01ah\x05u.", "never stored"),
    (b"\x80\x02}(U\x01acos\nsystem\nu.", "refusing to load global os.system"),
    (b"\x80\x02}(U\x01acnumpy\nndarray\n)Ru.", "refusing to call numpy.ndarray"),
    (b"\x80\x02}(U\x01acnumpy\ndtype\nU\x02u1\x85R(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
     b"K\x00bu.", "state of anything but"),
    (b"\x80\x02}(U\x01acnumpy\ndtype\nU\x02u1\x85R(K\x03U\x01|tbu.", "not a plain numeric dtype's"),
    (b"\x80\x02}(U\x01acnumpy\ndtype\nU\x05(1,2)\x85Ru.", "only plain numeric dtypes"),
    (b"\x80\x02}U\x01a(K\x01e.", "append to anything but a list"),
    (b"\x80\x02}U\x01a(K\x01u.", "set items on anything but the top-level dict"),
    (b"\x80\x02}(U\x01aK\x01.", "not one dict"),
    (b"\x80\x02e.", "no MARK"),
    (b"\x80\x02\x85.", "underflow"),
    (b"\x80\x09}.", "protocol"),
    (b"", "truncated"),
])
def test_malformed_or_foreign_pickles_give_a_clear_value_error(raw, match):
    if match == "<unreachable>":  # a 4 GB memo index costs one dict entry, not 32 GB of memo table
        assert safe_load(raw) == {b"a": 1}
        return
    with pytest.raises(ValueError, match=match):
        safe_load(raw)


# -- fuzzing: a mutated or truncated batch gives the data pickle itself reads, or a ValueError

def _seeds():
    data, labels, filenames = small_batch(2)
    py2 = python2_batch_pickle(data, labels, filenames)
    py3 = pickle.dumps({b"batch_label": b"training batch 1 of 5", b"labels": labels, b"data": data,
                        b"filenames": filenames}, protocol=2)
    return [py2, py3]


SEEDS = _seeds()
# positions outside the pixel bytes: where mutations change structure rather than pixels
STRUCTURE = [[i for i in range(len(raw)) if not 200 < i < len(raw) - 200] for raw in SEEDS]


@st.composite
def mutated(draw):
    which = draw(st.integers(0, len(SEEDS) - 1))
    raw = bytearray(SEEDS[which])
    position = st.one_of(st.sampled_from(STRUCTURE[which]), st.integers(0, len(raw) - 1))
    kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
    for _ in range(draw(st.integers(1, 4))):
        at = min(draw(position), len(raw) - 1)
        if kind == "replace":
            raw[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            raw[at:at] = bytes([draw(st.integers(0, 255))])
        elif kind == "delete" and len(raw) > 1:
            del raw[at]
        elif kind == "truncate":
            del raw[at:]
            break
    return bytes(raw)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=mutated())
def test_fuzzed_batches_give_the_right_data_or_a_value_error(raw):
    try:
        ours = safe_load(raw)
    except ValueError as err:
        assert str(err).startswith("at byte "), err
        return
    # accepted: only the allowed globals and shapes of data are in it, so pickle itself may read it
    assert_same(ours, pickle.loads(raw, encoding="bytes"))
    try:
        cifar10._parse_batch(raw, "fuzzed")
    except ValueError:
        pass


def _mutate(raw, rng):
    """1-4 single-byte replacements, insertions or deletions, half of them near the ends, where
    the structure is (the middle is pixels)."""
    raw = bytearray(raw)
    for _ in range(int(rng.integers(1, 5))):
        near_ends = rng.random() < 0.5
        at = int(rng.integers(0, min(200, len(raw)))) if near_ends else int(rng.integers(0, len(raw)))
        if near_ends and rng.random() < 0.5:
            at = len(raw) - 1 - at
        kind = rng.integers(0, 3)
        if kind == 0:
            raw[at] = int(rng.integers(0, 256))
        elif kind == 1:
            raw[at:at] = bytes([int(rng.integers(0, 256))])
        elif len(raw) > 1:
            del raw[at]
    return bytes(raw)


def test_seeded_mutations_of_every_protocol_agree_with_pickle_or_are_refused():
    """5,000 mutated batches (the Python 2 form and protocols 0-5), the same every run."""
    rng = np.random.default_rng(2026)
    data, labels, _ = small_batch(2)
    seeds = SEEDS + [pickle.dumps({b"labels": labels, b"data": data}, protocol=p) for p in range(6)]
    accepted = 0
    for i in range(5000):
        raw = _mutate(seeds[i % len(seeds)], rng)
        try:
            ours = safe_load(raw)
        except ValueError as err:
            assert str(err).startswith("at byte "), (raw, err)
            continue
        accepted += 1
        assert_same(ours, pickle.loads(raw, encoding="bytes"))
    assert 100 < accepted < 2500  # both outcomes exercised
