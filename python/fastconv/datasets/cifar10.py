"""CIFAR-10 (60,000 32x32 colour images, 10 classes) from its official python release, with
``keras.datasets.cifar10.load_data``'s return values. Finds a local copy, or downloads, verifies and
extracts the official archive; not a general download manager.

Where it looks, in order (the first copy found wins):

1. ``path=`` when given (a directory, a ``cifar-10-batches-py/`` directory, or an archive file);
   otherwise
2. the directory in the environment variable ``FASTCONV_DATA``, then
3. the Keras cache ``$KERAS_HOME/datasets`` (default ``~/.keras/datasets``), including the
   layouts Keras 2 and Keras 3 leave there.

In each directory it takes ``cifar-10-batches-py/`` (the extracted release) before an archive
(``cifar-10-python.tar.gz``, or Keras's ``cifar-10-batches-py.tar.gz`` / ``*_archive`` names).
With no copy anywhere it downloads the official archive into ``path`` (or ``FASTCONV_DATA``, or
the Keras cache), checks its MD5, and extracts it there, refusing any archive member that is not a
plain file or directory inside ``cifar-10-batches-py/``. Archives are read in one streaming pass,
and one with more entries or larger files than the release has is refused before its data is read.

The release's batches are pickles holding NumPy arrays; they are read with a restricted unpickler
(``fastconv.datasets._pickle``) that rebuilds only numeric arrays, lists, dicts, strings and numbers
and refuses every other global, so a tampered file cannot run code.
"""

import hashlib
import os
import pathlib
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib

import numpy as np

from fastconv.datasets._pickle import safe_load

__all__ = ["load_data", "CLASS_NAMES", "ORIGIN", "MD5"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
MD5 = "c58f30108f718f92721af3b95e74349a"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

DIRNAME = "cifar-10-batches-py"
ARCHIVE_NAME = "cifar-10-python.tar.gz"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"
_FILES = TRAIN_FILES + (TEST_FILE,)
# Archive names Keras leaves in its cache: Keras 2 (untar=True), Keras 3 (extract=True).
_ARCHIVE_NAMES = (ARCHIVE_NAME, f"{DIRNAME}.tar.gz", f"{DIRNAME}_archive", f"{DIRNAME}-target_archive")
# Directories holding the batches, relative to a search directory: itself, the release's layout,
# Keras 3's "<fname>/<archive's top folder>" layouts.
_DIR_LAYOUTS = (".", DIRNAME, f"{DIRNAME}/{DIRNAME}", f"{DIRNAME}-target/{DIRNAME}")

# Bounds on an archive, checked on each header before its data is read: the release holds 9
# entries and its batches are 31 MB (10,000 rows of 3,072 bytes), so a larger one is not CIFAR-10.
_MAX_ARCHIVE_ENTRIES = 64
_MAX_MEMBER_BYTES = 64 << 20

ENV_DATA = "FASTCONV_DATA"
ENV_URL = "FASTCONV_CIFAR10_URL"
ENV_MD5 = "FASTCONV_CIFAR10_MD5"


class _Where:
    """Places searched and what was found there, for the error message."""

    def __init__(self):
        self.lines = []

    def add(self, place, note):
        self.lines.append(f"  - {place} ({note})")

    def __str__(self):
        return "\n".join(self.lines)


def keras_cache_dir():
    """Keras's dataset cache: ``$KERAS_HOME/datasets``, default ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return pathlib.Path(home) / "datasets"


def _search_dirs(path):
    """[(label, directory or archive path)] in search order."""
    if path is not None:
        return [("path=", pathlib.Path(path).expanduser())]
    dirs = []
    if os.environ.get(ENV_DATA):
        dirs.append((ENV_DATA, pathlib.Path(os.environ[ENV_DATA]).expanduser()))
    dirs.append(("Keras cache", keras_cache_dir()))
    return dirs


def _find(label, root, where):
    """('dir', p) or ('archive', p) for the first copy under root, else None."""
    if root.is_file():
        where.add(f"{root} [{label}]", "archive file")
        return "archive", root
    if not root.is_dir():
        where.add(f"{root} [{label}]", "does not exist")
        return None
    for layout in _DIR_LAYOUTS:
        candidate = root / layout if layout != "." else root
        if not candidate.is_dir():
            continue
        present = [name for name in _FILES if (candidate / name).is_file()]
        if len(present) == len(_FILES):
            return "dir", candidate
        if present or candidate.name == DIRNAME:
            missing = ", ".join(name for name in _FILES if name not in present)
            where.add(candidate, f"incomplete: missing {missing}")
    for name in _ARCHIVE_NAMES:
        if (root / name).is_file():
            return "archive", root / name
    where.add(f"{root} [{label}]", f"no {DIRNAME}/ directory and no {ARCHIVE_NAME}")
    return None


def _parse_batch(raw, source):
    """(images (n, 32, 32, 3) uint8, labels (n,) uint8) from one pickled batch."""
    try:
        batch = safe_load(raw)
    except Exception as err:  # any unpickling failure means a bad file; say which
        raise ValueError(f"{source} is not a CIFAR-10 batch file (or is corrupt): {err}") from err
    if not isinstance(batch, dict):
        raise ValueError(f"{source} is not a CIFAR-10 batch file: it holds a {type(batch).__name__}, not a dict")
    batch = {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{source} is not a CIFAR-10 batch file: keys {sorted(map(str, batch))}, "
                         "expected 'data' and 'labels'")
    data = np.asarray(batch["data"])
    labels = np.asarray(batch["labels"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{source}: 'data' must be uint8 of shape (n, 3072), got {data.dtype} {data.shape}")
    if labels.ndim != 1 or labels.shape[0] != data.shape[0] or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{source}: 'labels' must be {data.shape[0]} integers, got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        raise ValueError(f"{source}: labels must be in 0..9, got {labels.min()}..{labels.max()}")
    # rows are 3 planes of 32x32 (red, green, blue): (n, 3, 32, 32) -> NHWC
    images = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return images, labels.astype(np.uint8)


def _read_dir(directory):
    return {name: (directory / name).read_bytes() for name in _FILES}


def _archive_entries(tar, archive):
    """The members of tar (opened as a stream: one pass, nothing read twice), each checked against
    the bounds above before its data is read."""
    for count, member in enumerate(tar, 1):
        if count > _MAX_ARCHIVE_ENTRIES:
            raise ValueError(f"archive {archive} holds more than {_MAX_ARCHIVE_ENTRIES} entries; the CIFAR-10 "
                             "release holds 9: refusing to read it")
        if member.size > _MAX_MEMBER_BYTES:
            raise ValueError(f"archive {archive} holds {member.name!r} of {member.size} bytes; no file of the "
                             f"CIFAR-10 release exceeds {_MAX_MEMBER_BYTES >> 20} MB: refusing to read it")
        yield member


def _parts(member):
    return [p for p in pathlib.PurePosixPath(member.name).parts if p != "."]


def _read_archive(archive):
    """{name: bytes} of the batches in archive, read in one streaming pass."""
    files = {}
    try:
        with tarfile.open(archive, "r|*") as tar:
            for member in _archive_entries(tar, archive):
                parts = _parts(member)
                if (member.isfile() and len(parts) == 2 and parts[0] == DIRNAME and parts[1] in _FILES
                        and parts[1] not in files):  # the first copy of a name, as before
                    files[parts[1]] = tar.extractfile(member).read()
                if len(files) == len(_FILES):
                    break
        for name in _FILES:
            if name not in files:
                raise ValueError(f"archive {archive} has no {DIRNAME}/{name}: it is not the CIFAR-10 "
                                 "python release (or is incomplete)")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise ValueError(f"archive {archive} is corrupt, truncated or not a .tar.gz archive ({err}). If it is a "
                         "download that broke off, delete it and load again to download a fresh copy; otherwise "
                         f"replace it with the official {ARCHIVE_NAME} (MD5 {MD5}) from {ORIGIN}") from err
    return files


def _assemble(files, source):
    parts = [_parse_batch(files[name], f"{source}/{name}") for name in TRAIN_FILES]
    x_train = np.concatenate([images for images, _ in parts])
    y_train = np.concatenate([labels for _, labels in parts]).reshape(-1, 1)
    x_test, y_test = _parse_batch(files[TEST_FILE], f"{source}/{TEST_FILE}")
    return (x_train, y_train), (x_test, y_test.reshape(-1, 1))


def _md5_of_download(url, destination):
    """Stream url into destination; returns its MD5 hex digest."""
    digest = hashlib.md5()
    with urllib.request.urlopen(url, timeout=60) as response, open(destination, "wb") as out:  # noqa: S310
        for chunk in iter(lambda: response.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _safe_extract(archive, target_root):
    """Extract cifar-10-batches-py/ from archive into target_root, refusing anything unsafe."""
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".cifar10-extract-", dir=target_root))
    try:
        with tarfile.open(archive, "r|*") as tar:
            for member in _archive_entries(tar, archive):
                pure = pathlib.PurePosixPath(member.name)
                parts = _parts(member)
                if (pure.is_absolute() or ".." in parts or not parts or parts[0] != DIRNAME
                        or "\\" in member.name or ":" in member.name):
                    raise ValueError(f"archive {archive} holds {member.name!r}, outside {DIRNAME}/: refusing "
                                     "to extract it (not the official CIFAR-10 release)")
                if not (member.isfile() or member.isdir()):
                    raise ValueError(f"archive {archive} holds {member.name!r}, which is not a plain file or "
                                     "directory (a link or device): refusing to extract it")
                destination = staging.joinpath(*parts)
                if member.isdir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out)
        extracted = staging / DIRNAME
        if not all((extracted / name).is_file() for name in _FILES):
            raise ValueError(f"archive {archive} lacks some of {', '.join(_FILES)} under {DIRNAME}/")
        final = target_root / DIRNAME
        os.replace(extracted, final)
        return final
    except (tarfile.TarError, EOFError, zlib.error) as err:
        raise ValueError(f"archive {archive} is corrupt or truncated ({err})") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _download(url, md5, target_root, where):
    """Download, verify and extract into target_root; returns the extracted directory."""
    final = target_root / DIRNAME
    if final.exists():
        raise FileNotFoundError(
            f"CIFAR-10: {final} exists but is incomplete, so nothing can be extracted there. Looked in:\n{where}\n"
            f"Remove {final} (or complete it) and load again.")
    try:
        target_root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FileNotFoundError(f"CIFAR-10 not found, and cannot create {target_root} to download into: {err}. "
                                f"Looked in:\n{where}\n{_advice()}") from err
    archive = target_root / ARCHIVE_NAME
    fd, partial = tempfile.mkstemp(prefix=f".{ARCHIVE_NAME}.", suffix=".part", dir=target_root)
    os.close(fd)
    try:
        print(f"Downloading CIFAR-10 from {url} to {archive}", file=sys.stderr)
        try:
            got = _md5_of_download(url, partial)
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise FileNotFoundError(
                f"CIFAR-10 not found, and downloading it from {url} failed: {err}. Looked in:\n{where}\n"
                f"{_advice()}") from err
        if md5 is not None and got != md5.lower():
            raise ValueError(
                f"CIFAR-10 download from {url} is corrupt or incomplete: its MD5 is {got}, expected {md5}. "
                f"Nothing was kept. Load again to retry, or download {ARCHIVE_NAME} yourself, check its MD5 "
                f"and put it in {target_root}.")
        os.replace(partial, archive)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return _safe_extract(archive, target_root)


def _advice():
    return (f"To fix: download {ORIGIN} (MD5 {MD5}) and put the archive, or the {DIRNAME}/ directory it "
            f"holds, in one of the directories above; or point {ENV_DATA} or load_data(path=...) at it.")


def load_data(path=None, *, origin=None, md5=None, download=True):
    """Load CIFAR-10 as ``(x_train, y_train), (x_test, y_test)``, like ``keras.datasets.cifar10``.

    Args:
        path (str or os.PathLike or None): where the data is: a directory holding
            ``cifar-10-batches-py/`` or the archive, that directory itself, or the archive file.
            With ``None``, the ``FASTCONV_DATA`` directory and then the Keras cache are searched.
            When nothing is found, the archive is downloaded into ``path`` (a directory), else
            into ``FASTCONV_DATA``, else into the Keras cache.
        origin (str or None): URL of the archive to download (``file://`` works); default the
            ``FASTCONV_CIFAR10_URL`` environment variable, else the official URL.
        md5 (str or None): expected MD5 of the download; default ``FASTCONV_CIFAR10_MD5``, else
            the official archive's when ``origin`` is the default, else unchecked.
        download (bool): download when no copy is found (default True, as Keras does).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape ``(n, 32, 32, 3)`` (NHWC,
        pixels 0-255) and uint8 labels 0-9 of shape ``(n, 1)``; 50,000 and 10,000 images for the
        full release. ``CLASS_NAMES[label]`` names a label.

    Raises:
        FileNotFoundError: no copy was found and none could be downloaded; the message lists the
            places searched and what to do.
        ValueError: an archive or batch file is corrupt, unsafe or not CIFAR-10, or a download's
            MD5 does not match.
        TypeError: an argument has the wrong type.

    >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_train.shape  # doctest: +SKIP
    ((50000, 32, 32, 3), dtype('uint8'), (50000, 1))
    """
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str, os.PathLike or None, got {path!r}")
    for name, value in (("origin", origin), ("md5", md5)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str or None, got {value!r}")
    if not isinstance(download, bool):
        raise TypeError(f"download must be a bool, got {download!r}")

    where = _Where()
    roots = _search_dirs(path)
    for label, root in roots:
        found = _find(label, root, where)
        if found is None:
            continue
        kind, location = found
        if kind == "dir":
            return _assemble(_read_dir(location), str(location))
        return _assemble(_read_archive(location), f"{location}:{DIRNAME}")

    if not download:
        raise FileNotFoundError(f"CIFAR-10 not found (download=False). Looked in:\n{where}\n{_advice()}")
    url = origin or os.environ.get(ENV_URL) or ORIGIN
    if md5 is None:
        md5 = os.environ.get(ENV_MD5) or (MD5 if url == ORIGIN else None)
    target_root = roots[0][1]
    if target_root.is_file():  # an archive given as path= was found and failed above, so never here
        target_root = target_root.parent
    extracted = _download(url, md5, target_root, where)
    return _assemble(_read_dir(extracted), str(extracted))
