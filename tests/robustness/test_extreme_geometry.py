"""The reproducers of the overflow bugs found in the output-size arithmetic and the kernels'
addressing (issue 14), as regression tests. Those that crashed the process before the fix run in a
subprocess, so that a regression fails one test instead of ending the suite."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastconv

BIG = 2**63 - 1


def run_isolated(code):
    """Runs code in a fresh interpreter; returns its stdout, failing on any crash or error."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"exit {done.returncode}:\n{done.stdout}\n{done.stderr[-3000:]}"
    return done.stdout


def test_a_huge_dilation_leaves_no_output():
    assert fastconv.conv_output_size(1, 3, d=BIG) == 0


def test_an_output_size_past_64_bits_raises_overflow_error():
    with pytest.raises(OverflowError, match="18446744073709551622"):
        fastconv.conv_output_size(8, 1, 1, (BIG, BIG))


def test_an_output_size_just_inside_64_bits_is_exact():
    assert fastconv.conv_output_size(1, 1, 1, (2**62, 2**62 - 2)) == BIG
    assert fastconv.conv_output_size(8, 1, 4, (BIG, BIG)) == (8 + 2 * BIG - 1) // 4 + 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_padding_with_a_huge_stride_reads_the_whole_window(dtype):
    x = np.arange(3, dtype=dtype).reshape(1, 3, 1, 1)
    np.testing.assert_array_equal(fastconv.max_pool2d(x, (3, 1), strides=(BIG - 1, 1), padding="same").ravel(), [2])
    np.testing.assert_array_equal(fastconv.avg_pool2d(x, (3, 1), strides=(BIG - 1, 1), padding="same").ravel(), [1])
    y = fastconv.conv2d(x, np.ones((3, 1, 1, 1), dtype), strides=(BIG - 1, 1), padding="same")
    np.testing.assert_array_equal(y.ravel(), [3])


def test_a_huge_dilation_is_refused_forward_and_backward():
    run_isolated("""
        import numpy as np, fastconv
        x = np.ones((1, 1, 1, 1), np.float32); w = np.ones((3, 3, 1, 4), np.float32)
        for call in (lambda: fastconv.conv2d(x, w, dilation=2**63 - 1),
                     lambda: fastconv.conv2d_backward(np.ones((1, 3, 3, 4), np.float32), x, w, dilation=2**63 - 1)):
            try:
                call()
            except ValueError as error:
                assert "larger than the padded input" in str(error), error
            else:
                raise AssertionError("accepted a dilation of 2**63 - 1")
    """)


@pytest.mark.parametrize("algorithm", ["auto", "direct", "im2col", "reference", "fft"])
def test_huge_strides_with_valid_geometry_agree_with_the_reference(algorithm):
    run_isolated(f"""
        import numpy as np, fastconv
        x = np.ones((1, 4, 4, 1), np.float32); w = np.ones((1, 3, 1, 1), np.float32)
        kw = dict(strides=(1, 2**63 - 2), dilation=(1, 2), algorithm={algorithm!r})
        y = fastconv.conv2d(x, w, padding=((0, 0), (3, 3)), **kw)
        np.testing.assert_array_equal(y.ravel(), [1, 1, 1, 1])      # one tap of three lands inside
        y = fastconv.conv2d(x, w, padding=((0, 0), (2**20, 2**20)), **kw)
        np.testing.assert_allclose(y.ravel(), [0, 0, 0, 0], atol=1e-6)  # every tap in the padding
        dx, dw, db = fastconv.conv2d_backward(np.ones((1, 4, 1, 1), np.float32), x, w,
                                              padding=((0, 0), (3, 3)), strides=kw["strides"], dilation=(1, 2))
        np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 1, 0, 0]] * 4)
        np.testing.assert_array_equal(dw.ravel(), [0, 0, 4])        # the third tap, at column 1
    """)


def test_coordinates_past_32_bits_address_the_right_pixels():
    # Padding 2**40 above, stride 2**40: output row 0 is all padding, row 1 reads x's row 0.
    x = np.arange(1, 7, dtype=np.float32).reshape(1, 2, 3, 1)
    for algorithm in ("direct", "im2col", "reference"):
        y = fastconv.conv2d(x, np.ones((1, 1, 1, 1), np.float32), strides=(2**40, 1), padding=((2**40, 0), (0, 0)),
                            algorithm=algorithm)
        np.testing.assert_array_equal(y[0, :, :, 0], [[0, 0, 0], [1, 2, 3]], err_msg=algorithm)


def test_a_padded_input_past_the_engine_limit_raises_overflow_error():
    x = np.ones((1, 3, 1, 1), np.float32)
    with pytest.raises(OverflowError, match="2\\^60 elements"):
        fastconv.conv2d(x, np.ones((1, 1, 1, 1), np.float32), strides=2**62, padding=((2**62, 0), (0, 0)))


@pytest.mark.parametrize("name", ["strides", "dilation", "padding"])
def test_size_arguments_past_64_bits_name_the_argument(name):
    x = np.ones((1, 4, 4, 1), np.float32)
    with pytest.raises(OverflowError, match=name):
        fastconv.conv2d(x, np.ones((3, 3, 1, 1), np.float32), **{name: 2**64})
