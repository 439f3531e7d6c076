"""Time fastconv's kernels against PyTorch (both memory formats, when it is installed) and NumPy
references at the same thread count, in one run: the course's and standard CNN layers (forward,
backward-data, backward-weights, forward + backward), max pooling, GEMMs and 1 -> 2 thread scaling;
prints ms, GFLOP/s, % of the measured peak and ratios. --markdown writes the table into a file
(relative paths are taken inside --out)."""

import os
import sys

from fastconv.commands._common import out_dir


def add_arguments(parser):
    from fastconv import bench
    bench.add_arguments(parser, with_threads=False)  # --threads comes with every command


def run(args):
    from fastconv import bench
    if args.markdown and not os.path.isabs(args.markdown):
        args.markdown = os.path.join(out_dir(args), args.markdown)
    try:
        bench.run_from_args(args)
    except ValueError as error:
        print(f"fastconv bench: {error}", file=sys.stderr)
        return 2
    return 0
