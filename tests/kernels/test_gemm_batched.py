"""The batched GEMM (the model stack's Dense layers) against the single GEMM, product by product."""

import numpy as np
import pytest

import fastconv
from fastconv import _core

# (batch, m, n, k): empty batches and sizes, one product, more products than threads, odd sizes.
SHAPES = [(0, 3, 4, 5), (1, 7, 5, 3), (3, 1, 1, 1), (5, 17, 31, 37), (8, 100, 50, 90), (9, 100, 10, 50),
          (4, 0, 3, 2), (2, 3, 4, 0)]


def operands(rng, batch, m, n, k, ta, tb, dtype):
    a = rng.standard_normal((batch, k, m) if ta else (batch, m, k)).astype(dtype)
    b = rng.standard_normal((batch, n, k) if tb else (batch, k, n)).astype(dtype)
    bias = rng.standard_normal((batch, n)).astype(dtype)
    return a, b, bias


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch,m,n,k", SHAPES, ids=[f"b{b}m{m}n{n}k{k}" for b, m, n, k in SHAPES])
@pytest.mark.parametrize("thread_count", [1, 2])
def test_gemm_batched_is_bitwise_the_gemm_of_each_product(isa, rng, threads, dtype, batch, m, n, k, thread_count):
    fastconv.set_num_threads(thread_count)
    for ta in (False, True):
        for tb in (False, True):
            a, b, bias = operands(rng, batch, m, n, k, ta, tb, dtype)
            for with_bias, relu in ((False, False), (True, True)):
                out = _core.gemm_batched(a, b, ta, tb, bias if with_bias else None, relu)
                assert out.shape == (batch, m, n) and out.dtype == dtype
                for i in range(batch):
                    one = _core.gemm(a[i], b[i], None, ta, tb, 1.0, 0.0, bias[i] if with_bias else None, relu)
                    np.testing.assert_array_equal(out[i], one, err_msg=f"product {i} ta{ta} tb{tb} relu{relu}")


def test_gemm_batched_matches_numpy_matmul(rng):
    a, b, bias = operands(rng, 6, 40, 24, 33, False, False, np.float32)
    out = _core.gemm_batched(a, b, False, False, bias, True)
    ref = np.maximum(np.matmul(a.astype(np.float64), b) + bias[:, None, :], 0)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("a_shape,b_shape,bias_shape,message", [
    ((2, 3, 4), (3, 4, 5), None, "a holds 2 matrices, b holds 3"),
    ((2, 3, 4), (2, 5, 6), None, "inner sizes differ"),
    ((2, 3, 4), (2, 4, 5), (2, 4), "bias must be (2, 5)"),
    ((3, 4), (2, 4, 5), None, "a: expected 3 dimensions"),
])
def test_gemm_batched_names_the_mismatch(a_shape, b_shape, bias_shape, message):
    bias = None if bias_shape is None else np.zeros(bias_shape, np.float32)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _core.gemm_batched(np.zeros(a_shape, np.float32), np.zeros(b_shape, np.float32), False, False, bias, False)


def test_gemm_batched_refuses_mixed_dtypes():
    with pytest.raises(TypeError, match="b: dtype must be float32"):
        _core.gemm_batched(np.zeros((1, 2, 2), np.float32), np.zeros((1, 2, 2)), False, False, None, False)
