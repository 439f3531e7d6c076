"""Ctrl-C during fit: the first one asks fit to stop after the current batch, a second one
interrupts at once."""

import signal
import threading

__all__ = ["InterruptGuard"]


class InterruptGuard:
    """During fit, turn the first Ctrl-C into a request to stop after the current batch (a second
    one interrupts at once)."""

    def __init__(self):
        self.requested = False
        self._previous = None
        self._installed = False

    def __enter__(self):
        # Only in the main thread (where Python delivers signals), and not where SIGINT is ignored
        # (a background job): there Ctrl-C must keep meaning what it meant before fit.
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN):
            try:
                self._previous = signal.signal(signal.SIGINT, self._handle)
                self._installed = True
            except ValueError:          # e.g. an embedded interpreter that owns signals
                pass
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self._installed:
            signal.signal(signal.SIGINT, self._previous if self._previous is not None else signal.SIG_DFL)
        return False
