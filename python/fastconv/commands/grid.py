"""The course's grid search: train the digits CNN for every learning rate eta and L2 strength
lambda on logarithmic grids, print each cell's accuracy, and write both accuracy heatmaps
(TASK_grid_heatmaps.png: eta on the y axis, lambda on the x axis) and the table (TASK_grid.csv)
into --out. Grids are 'start:stop:num' (numpy.logspace from start to stop), e.g. the course's
--eta 1e-5:10:7 --lmbd 1e-5:10:7."""

import argparse
import sys

from fastconv.commands._common import fraction, needs, out_dir, positive_int


def _grid(name):
    def parse(text):
        from fastconv.utils import parse_logspace
        try:
            return parse_logspace(text, name)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    return parse


def _jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1 or -1, got {text!r}") from None
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1 or -1 (one per core), got {text!r}")
    return value


def add_arguments(parser):
    parser.add_argument("task", choices=("digits",), help="what to grid-search (the course's digits CNN)")
    parser.add_argument("--eta", type=_grid("--eta"), default="1e-5:10:7",
                        help="learning rates, start:stop:num on a log scale (default 1e-5:10:7, the course's)")
    parser.add_argument("--lmbd", type=_grid("--lmbd"), default="1e-5:10:7",
                        help="L2 strengths, start:stop:num on a log scale (default 1e-5:10:7, the course's)")
    parser.add_argument("--epochs", type=positive_int, default=100, help="epochs per cell (default 100)")
    parser.add_argument("--batch-size", type=positive_int, default=100, help="batch size (default 100)")
    parser.add_argument("--test-size", type=fraction, default=0.2, help="held-out fraction (default 0.2)")
    parser.add_argument("--jobs", type=_jobs, default=-1,
                        help="parallel processes (joblib), each training its share of the cells as model stacks; "
                             "-1 (default): one per core; 1: in this process. Engine threads are split between "
                             "them (--threads, default all cores)")


def run(args):
    missing = needs("sklearn", "matplotlib", *(["joblib"] if args.jobs != 1 else []))
    if missing:
        return missing
    from fastconv import course, plot

    out = out_dir(args)
    cells = len(args.eta) * len(args.lmbd)
    print(f"grid {args.task}: {len(args.eta)} etas x {len(args.lmbd)} lambdas = {cells} cells, {args.epochs} epochs "
          f"each, {args.jobs if args.jobs != -1 else 'one per core'} job(s)", flush=True)

    def on_cell(eta, lmbd, train_acc, test_acc):
        print(f"eta = {eta:<8.3g} lambda = {lmbd:<8.3g} train accuracy {train_acc:.3f}  "
              f"test accuracy {test_acc:.3f}", flush=True)

    result = course.grid_search_digits(args.eta, args.lmbd, epochs=args.epochs, batch_size=args.batch_size,
                                       test_size=args.test_size, seed=args.seed, jobs=args.jobs,
                                       threads=args.threads, on_cell=on_cell)
    heatmaps = plot.plot_grid_heatmaps(result.train_accuracy, result.test_accuracy, result.etas, result.lmbds,
                                       out / f"{args.task}_grid_heatmaps.png")
    table = course.write_grid_csv(result, out / f"{args.task}_grid.csv")
    eta, lmbd, acc = result.best()
    print(f"best: eta = {eta:g}, lambda = {lmbd:g}, test accuracy {acc:.3f}")
    print(f"wrote {heatmaps}")
    print(f"wrote {table}")
    sys.stdout.flush()
    return 0
