"""Sequential.profile: one row per layer plus the optimizer, and the model left as it was."""

import numpy as np
import pytest

from fastconv import _random
from tests.models.helpers import make_data, make_model


def test_profile_rows_table_and_no_side_effects(data, capsys):
    x, y, _ = data
    model = make_model(optimizer="adam")
    model.fit(x, y, epochs=1, verbose=0)
    weights = [w.copy() for w in model.get_weights()]
    state = model.optimizer.get_state()
    random_state = _random.generator().bit_generator.state
    rows = model.profile(x, y, batch_size=16, repeats=2)
    out = capsys.readouterr().out
    # one row per step of fit's training step: the ReLU conv and its max pool run fused, as one
    conv_name, pool_name = model.layers[0].name, model.layers[1].name
    assert [r.name for r in rows[:-1]] == [f"{conv_name}+{pool_name}"] + [layer.name for layer in model.layers[2:]]
    assert rows[-1].name == "optimizer (Adam)" and rows[-1].backward_ms > 0
    conv = rows[0]
    assert conv.kind == "Conv2D+MaxPooling2D" and conv.forward_gflop == pytest.approx(2 * 16 * 4 * 4 * 4 * 9 / 1e9)
    assert "bwd-data skipped" in conv.algorithm  # the first layer needs no input gradient
    assert all(r.forward_ms >= 0 and r.backward_ms >= 0 for r in rows)
    for word in ("measured peak", "Layer (type)", "% peak", "conv2d", "ms a step"):
        assert word in out
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.get_state()["iterations"] == state["iterations"]
    for name, arrays in state["slots"].items():
        for a, b in zip(arrays, model.optimizer.get_state()["slots"][name]):
            np.testing.assert_array_equal(a, b)
    assert _random.generator().bit_generator.state == random_state


def test_profile_bad_inputs():
    x, y, _ = make_data(8)
    model = make_model()
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        model.profile(x, y, batch_size=0)
    with pytest.raises(ValueError, match="repeats must be an int >= 1"):
        model.profile(x, y, repeats=0)
    with pytest.raises(ValueError, match="same number of samples"):
        model.profile(x, y[:3])
    from fastconv.models import Sequential
    with pytest.raises(RuntimeError, match="compile"):
        Sequential().profile(x, y)
