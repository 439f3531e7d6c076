"""The ``fastconv`` command line: a thin shell over the library.

Each command is a module in ``fastconv.commands`` with ``add_arguments(parser)`` and
``run(args) -> int``; the options every command shares (--out, --seed, --threads) are added here.
"""

import argparse
import importlib
import sys

from fastconv.commands._common import CommandError, seed

# name -> (module, one-line help)
COMMANDS = {
    "info": ("fastconv.commands.info", "show the configuration and check every kernel against its reference"),
    "bench": ("fastconv.commands.bench", "time the kernels against PyTorch and NumPy, side by side in one run"),
    "digits": ("fastconv.commands.digits", "train the course's digits CNN and write its training curves"),
    "grid": ("fastconv.commands.grid", "the course's eta x lambda grid search, with accuracy heatmaps and CSV"),
    "cifar10": ("fastconv.commands.cifar10", "train the course's CIFAR-10 CNN and write its training curves"),
}


def build_parser():
    parser = argparse.ArgumentParser(prog="fastconv", description="fastconv: a CPU convolution engine for Python.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        cmd = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip())
        cmd.add_argument("--out", default=".", help="directory for output files (default: current directory)")
        cmd.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**63 - 1 (default: 0)")
        cmd.add_argument("--threads", type=int, default=None, help="engine threads (default: all cores)")
        module.add_arguments(cmd)
        cmd.set_defaults(run=module.run)
    return parser


def main(argv=None):
    """Runs one command; returns its exit status: 0, 1 when it failed (one line on stderr says why:
    an output that cannot be written, data that cannot be read), 2 for bad arguments. The engine's
    thread count is restored afterwards, so calling main() from Python leaves the process as it was."""
    from fastconv import _core, get_num_threads, set_num_threads
    args = build_parser().parse_args(argv)
    previous = get_num_threads()
    if args.threads is not None:
        if args.threads < 1:
            print(f"fastconv: --threads must be >= 1, got {args.threads}", file=sys.stderr)
            return 2
        most = _core.max_threads()
        if args.threads > most:
            print(f"fastconv: --threads {args.threads} is more than the engine's maximum (4 per CPU); "
                  f"using {most}", file=sys.stderr)
            args.threads = most
        set_num_threads(args.threads)
    try:
        return args.run(args)
    except (CommandError, OSError) as err:  # e.g. --out on a full disk: say so, no traceback
        print(f"fastconv {args.command}: {err}", file=sys.stderr)
        return 1
    finally:
        if args.threads is not None:
            set_num_threads(previous)


if __name__ == "__main__":
    sys.exit(main())
