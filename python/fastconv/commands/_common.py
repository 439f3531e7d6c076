"""Argument types and output helpers the training commands share."""

import argparse
import pathlib
import sys


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def seed(text):
    """A random seed: a whole number from 0 to 2**63 - 1 (what fastconv.utils.set_random_seed takes)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 2**63 - 1, got {text!r}")
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def nonnegative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def add_verbose(parser, default):
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=default,
                        help="training output: 0 silent, 1 a progress bar per epoch (one line per epoch when "
                             f"not on a terminal), 2 one line per epoch (default: {default})")


class CommandError(Exception):
    """A failure the command line reports as one line on stderr, with exit status 1."""


def out_dir(args):
    """The --out directory, made if missing; CommandError when it cannot be."""
    path = pathlib.Path(args.out)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CommandError(f"--out {args.out}: exists and is not a directory") from None
    except OSError as err:
        raise CommandError(f"--out {args.out}: cannot create the output directory: {err.strerror or err}") from None
    return path


def needs(*modules):
    """None when every module imports, else the exit status 2 after saying what to install."""
    import importlib
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        pip_names = {"sklearn": "scikit-learn"}
        print(f"fastconv: this command needs {', '.join(pip_names.get(m, m) for m in missing)}: "
              "pip install 'fastconv[examples]'", file=sys.stderr)
        return 2
    return None
