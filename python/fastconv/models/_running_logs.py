"""The running logs of an epoch or an evaluation: the sample-weighted mean of the total loss and
of each output's, and the metrics, as fit and evaluate report them (Keras's names: "loss",
"<output>_loss" and "<output>_<metric>" for several outputs)."""

__all__ = ["RunningLogs"]


class RunningLogs:
    """Accumulates batches; ``make_metrics(ys, outs)`` gives the model's metrics, reset."""

    def __init__(self, output_names, make_metrics):
        self.output_names, self._make_metrics = output_names, make_metrics
        self.total, self.per_output, self.seen, self.metrics = 0.0, None, 0, None

    def add(self, ys, outs, loss, per_output):
        """One batch: its targets, outputs, total loss and each output's loss (None without one)."""
        if self.metrics is None:
            self.metrics = self._make_metrics(ys, outs)
        for ms, y, out in zip(self.metrics, ys, outs):
            for m in ms:
                m.update_state(y, out)
        count = len(ys[0])
        self.total += loss * count
        sums = self.per_output or [None] * len(per_output)
        self.per_output = [None if v is None else v * count + (s or 0.0) for v, s in zip(per_output, sums)]
        self.seen += count

    @property
    def loss(self):
        return self.total / self.seen

    def logs(self):
        logs = {"loss": self.loss}
        several = len(self.output_names) > 1
        if several:
            logs.update({f"{name}_loss": value / self.seen for name, value in zip(self.output_names, self.per_output)
                         if value is not None})
        for name, ms in zip(self.output_names, self.metrics):
            logs.update({(f"{name}_{m.name}" if several else m.name): m.result() for m in ms})
        return logs
