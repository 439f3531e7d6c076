"""fastconv digits / grid digits / cifar10 on tiny settings through fastconv.cli.main, the console
script's --help through a subprocess, and bad inputs of the commands and their library functions."""

import csv
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import fastconv
from fastconv import cli
from tests.shared_data import cifar10_subset_root

pytest.importorskip("matplotlib", reason="the training commands write PNGs with matplotlib (examples extra)")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def one_engine_thread():
    """Training runs use one engine thread: on 2 shared, busy cores that is the fast and steady choice."""
    previous = fastconv.get_num_threads()
    fastconv.set_num_threads(1)
    yield
    fastconv.set_num_threads(previous)


def assert_png(path):
    data = open(path, "rb").read()
    assert data[:8] == PNG_MAGIC and len(data) > 2000, path


def test_console_script_help_lists_the_commands():
    exe = shutil.which("fastconv")
    command = [exe] if exe else [sys.executable, "-m", "fastconv.cli"]
    out = subprocess.run(command + ["--help"], capture_output=True, text=True, check=True).stdout
    for name in ("digits", "grid", "cifar10", "info"):
        assert re.search(rf"^\s+{name}\s", out, re.M), out


@pytest.mark.parametrize("argv", [["digits"], ["grid", "digits"], ["cifar10"]])
def test_every_command_has_help_and_the_shared_options(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv[:1] + ["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--out", "--seed", "--threads", "--epochs"):
        assert option in out


def test_digits_tiny_run_prints_accuracy_and_writes_pngs(tmp_path, capsys):
    pytest.importorskip("sklearn")
    argv = ["digits", "--epochs", "3", "--out", str(tmp_path), "--verbose", "0", "--seed", "1", "--threads", "1"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    accuracy = float(re.search(r"^Test accuracy: ([0-9.]+)$", out, re.M).group(1))
    assert 0.3 < accuracy <= 1.0  # 3 epochs of SGD at eta=0.01 are well above chance (0.1)
    assert_png(tmp_path / "digits_curves.png")
    assert_png(tmp_path / "digits_filters.png")
    # the same seed repeats the run exactly
    assert cli.main(argv) == 0
    assert f"Test accuracy: {accuracy:.4f}" in capsys.readouterr().out


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_grid_tiny_run_writes_heatmaps_and_csv(tmp_path, capsys):
    pytest.importorskip("sklearn")
    argv = ["grid", "digits", "--eta", "1e-3:1e-1:3", "--lmbd", "1e-4", "--epochs", "2", "--out", str(tmp_path),
            "--threads", "1"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^eta = .* test accuracy [0-9.]+$", out, re.M)) == 3
    assert_png(tmp_path / "digits_grid_heatmaps.png")
    rows = _read_csv(tmp_path / "digits_grid.csv")
    assert [float(r["eta"]) for r in rows] == pytest.approx([1e-3, 1e-2, 1e-1])
    assert all(float(r["lmbd"]) == pytest.approx(1e-4) for r in rows)
    assert all(0.0 <= float(r["test_accuracy"]) <= 1.0 for r in rows)
    assert len({r["test_accuracy"] for r in rows}) > 1  # different learning rates, different results


def test_grid_jobs_gives_the_serial_results(tmp_path, capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("joblib")
    common = ["grid", "digits", "--eta", "1e-2:1e-1:2", "--lmbd", "1e-4", "--epochs", "2"]
    assert cli.main(common + ["--out", str(tmp_path / "serial"), "--threads", "1"]) == 0
    # two workers with one engine thread each: the same arithmetic as the serial single-thread run
    assert cli.main(common + ["--out", str(tmp_path / "parallel"), "--jobs", "2", "--threads", "2"]) == 0
    capsys.readouterr()
    serial, parallel = _read_csv(tmp_path / "serial" / "digits_grid.csv"), _read_csv(tmp_path / "parallel" /
                                                                                      "digits_grid.csv")
    for a, b in zip(serial, parallel):
        assert (a["eta"], a["lmbd"], a["train_accuracy"], a["test_accuracy"], a["test_loss"]) == \
               (b["eta"], b["lmbd"], b["train_accuracy"], b["test_accuracy"], b["test_loss"])


@pytest.mark.parametrize("argv, needle", [
    (["grid", "digits", "--eta", "1:2"], "--eta"),
    (["grid", "digits", "--lmbd", "0:1:3"], "--lmbd"),
    (["grid", "digits", "--jobs", "0"], "--jobs"),
    (["grid", "mnist"], "invalid choice"),
    (["digits", "--epochs", "0"], "--epochs"),
    (["digits", "--eta", "-1"], "--eta"),
    (["digits", "--test-size", "1.5"], "--test-size"),
    (["cifar10", "--limit", "x"], "--limit"),
])
def test_bad_arguments_exit_2_with_a_message(argv, needle, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert needle in capsys.readouterr().err


def test_bad_threads_exit_2(capsys):
    assert cli.main(["digits", "--threads", "0"]) == 2
    assert "--threads" in capsys.readouterr().err


@pytest.mark.parametrize("argv, needle", [
    (["digits", "--seed", "-1"], "--seed: expected a whole number from 0 to 2**63 - 1, got '-1'"),
    (["digits", "--seed", str(2**63)], "--seed"),
    (["grid", "digits", "--seed", "x"], "--seed"),
])
def test_bad_seed_is_an_argument_error(argv, needle, capsys):
    """Issue #14 item 13: --seed -1 ended in a ValueError traceback."""
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2 and needle in capsys.readouterr().err


def test_threads_beyond_the_engine_maximum_are_capped_with_one_line(tmp_path, capsys):
    """Issue #14 item 13: --threads 99999999999999999999 ended in an OverflowError traceback."""
    pytest.importorskip("sklearn")
    argv = ["digits", "--epochs", "1", "--verbose", "0", "--out", str(tmp_path), "--threads", str(10**20)]
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert f"--threads {10**20} is more than the engine's maximum (4 per CPU); using" in err
    assert fastconv.get_num_threads() == 1  # restored afterwards


@pytest.mark.parametrize("argv", [["digits", "--epochs", "1"], ["grid", "digits", "--epochs", "1"],
                                  ["cifar10", "--epochs", "1"], ["bench", "--markdown", "b.md"]])
@pytest.mark.parametrize("out, reason", [("/dev/full", "exists and is not a directory"),
                                         ("/dev/null/sub", "cannot create the output directory")])
def test_unusable_out_is_one_line_and_exit_1(argv, out, reason, capsys):
    """Issue #14 item 13: --out /dev/full ended in a FileExistsError traceback."""
    assert cli.main(argv + ["--out", out]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--out {out}: {reason}" in err, err


def test_a_failed_write_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    """A disk that fills up while the command writes its figures: one line naming the error, exit 1."""
    pytest.importorskip("sklearn")
    import errno
    from matplotlib.figure import Figure

    def full_disk(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(Figure, "savefig", full_disk)
    assert cli.main(["digits", "--epochs", "1", "--verbose", "0", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fastconv digits: [Errno 28] No space left on device") and err.count("\n") == 1, err


def test_console_script_reports_bad_options_without_a_traceback(tmp_path):
    exe = shutil.which("fastconv")
    command = [exe] if exe else [sys.executable, "-m", "fastconv.cli"]
    for args, code in ((["digits", "--seed", "-1"], 2), (["digits", "--out", "/dev/full"], 1)):
        result = subprocess.run(command + args, capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == code and "Traceback" not in result.stderr, result.stderr


def test_cifar10_tiny_run(tmp_path, capsys):
    root = cifar10_subset_root()
    if root is None:
        pytest.skip("the shared CIFAR-10 subset is not here")
    argv = ["cifar10", "--data", str(root), "--epochs", "1", "--limit", "96", "--verbose", "0", "--out", str(tmp_path),
            "--threads", "1"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "96 training / 96 test images" in out
    accuracy = float(re.search(r"^Test accuracy: ([0-9.]+)$", out, re.M).group(1))
    assert 0.0 <= accuracy <= 1.0
    assert_png(tmp_path / "cifar10_curves.png")


def test_cifar10_missing_data_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FASTCONV_CIFAR10_URL", (tmp_path / "none.tar.gz").as_uri())
    assert cli.main(["cifar10", "--data", str(tmp_path / "empty"), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "CIFAR-10 not found" in err and "To fix" in err
    assert not (tmp_path / "cifar10_curves.png").exists()


def test_library_functions_reject_bad_inputs():
    from fastconv import course
    with pytest.raises(ValueError, match="eta"):
        course.build_digits_model(eta=-1.0)
    with pytest.raises(ValueError, match="lmbd"):
        course.build_digits_model(lmbd=-1e-4)
    with pytest.raises(TypeError, match="n_filters"):
        course.build_digits_model(n_filters=2.5)
    with pytest.raises(ValueError, match="epochs"):
        course.train_digits(epochs=0)
    with pytest.raises(ValueError, match="jobs"):
        course.grid_search_digits([0.01], [1e-4], jobs=0)
    with pytest.raises(ValueError, match="etas"):
        course.grid_search_digits([], [1e-4])
    with pytest.raises(ValueError, match="etas must be > 0"):
        course.grid_search_digits([0.0], [1e-4])
    with pytest.raises(TypeError, match="on_cell"):
        course.grid_search_digits([0.01], [1e-4], on_cell=3)
    with pytest.raises(ValueError, match="limit"):
        course.train_cifar10(limit=0)
    with pytest.raises(TypeError, match="result"):
        course.write_grid_csv({"etas": [1]}, "grid.csv")


def test_library_grid_result_best_and_callback():
    pytest.importorskip("sklearn")
    from fastconv import course
    seen = []
    result = course.grid_search_digits([1e-5, 1e-2], [1e-4], epochs=2, on_cell=lambda *cell: seen.append(cell))
    assert len(seen) == 2 and result.train_accuracy.shape == (2, 1)
    assert not np.isnan(result.test_accuracy).any()
    eta, lmbd, acc = result.best()
    assert acc == result.test_accuracy.max() and eta == (1e-2 if result.test_accuracy[1, 0] >= result.test_accuracy[0, 0]
                                                          else 1e-5)


def test_digits_interrupted_before_the_first_epoch_ends_cleanly(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn")
    from types import SimpleNamespace

    from fastconv import course

    def interrupted(*args, **kwargs):  # what train_digits returns when Ctrl-C hits the first epoch
        return SimpleNamespace(history=SimpleNamespace(history={}), model=None, train_accuracy=0.1,
                               test_accuracy=0.1, seconds=0.0)

    monkeypatch.setattr(course, "train_digits", interrupted)
    assert cli.main(["digits", "--out", str(tmp_path), "--verbose", "0"]) == 1
    assert "no epoch completed" in capsys.readouterr().err
    assert not (tmp_path / "digits_curves.png").exists()
