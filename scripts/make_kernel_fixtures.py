#!/usr/bin/env python3
"""Builds tiny models whose kernels fail on hostile input: a Gather with an index from the
request, an integer Div/Mod with a divisor from the request, and a TopK with k from the
request. Tests use them to check that the server rejects such input itself, with a clean
error, rather than trusting the runtime's kernel with it.

Run from the repository root, in any throwaway virtualenv:

    python3 -m venv /tmp/fixvenv && /tmp/fixvenv/bin/pip install onnx onnxruntime numpy
    /tmp/fixvenv/bin/python scripts/make_kernel_fixtures.py

The outputs are committed, so the Rust build and tests never need Python; rerun this only
to change a fixture. Every model is opset 17, IR version 8, and is checked against
onnxruntime after it is written.

Writes (under crates/warden/tests/fixtures/kernel_models/):
  gather/1/model.onnx  index INT64 [N] -> value INT64 [N]: Gather(axis=0) from the
                       constant initializer `table` = [10, 20, 30]
  divide/1/model.onnx  numerator, divisor INT64 [N] -> quotient = Div, remainder =
                       Mod(fmod=0), both INT64 [N]
  topk/1/model.onnx    scores FLOAT [N, 4], k INT64 [1] -> values FLOAT [N, K],
                       indices INT64 [N, K]: TopK(axis=-1, largest=1, sorted=1)
  computed/1/model.onnx  index INT64 [N] -> value INT64 [N]: Gather from `table` at
                       index + 0 (an Add), an index the server cannot trace to the
                       request, so a bad one reaches the kernel and must be contained

What onnxruntime 1.32.0 (CPU provider, onnx 1.23.2) does with hostile input, as observed
by this script's probes. Each probe runs in a child process, because one of them kills
the process:
  gather index [4111111111111111] -> InvalidArgument: "Non-zero status code returned
      while running Gather node. Name:'' Status Message: indices element out of data
      bounds, idx=4111111111111111 must be within the inclusive range [-3,2]".
      (Index 3 and -4 fail the same way; -1..-3 count from the end: [0,2,-1] -> [10,30,30].)
  divide 7 / 0 -> Fail: "... while running Mod node. ... element_wise_ops.cc:2421
      operator() Integer modulo by zero" (in this two-node model Mod fails first; Div
      alone fails with "element_wise_ops.cc:703 Compute Integer division by zero").
  divide -9223372036854775808 / -1 -> the process is killed by signal 8, SIGFPE (a
      shell shows exit status 136), with no error and no output: the Div kernel divides
      INT64_MIN by -1 in hardware. Mod alone returns 0 for it.
  topk k=[9] on 4 scores -> Fail: "Non-zero status code returned while running TopK
      node. Name:'' Status Message: k argument [9] should not be greater than specified
      axis dim value [4]". (k=[-1] -> Fail: "value of k must not be negative".)
onnxruntime is only the reference here: Warden runs models with tract, which gives no
such promise of a clean error. Even the reference kills the process on one input, so
the server must check indices, divisors and k before it runs a model, not after.
"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "crates", "warden", "tests", "fixtures", "kernel_models")


def write(model, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.checker.check_model(model)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def finish(graph):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def gather_model():
    """value = table[index], with table = [10, 20, 30] a constant."""
    table = helper.make_tensor("table", TensorProto.INT64, [3], [10, 20, 30])
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "index"], ["value"], axis=0)],
        "gather",
        [helper.make_tensor_value_info("index", TensorProto.INT64, ["N"])],
        [helper.make_tensor_value_info("value", TensorProto.INT64, ["N"])],
        initializer=[table],
    )
    return finish(graph)


def computed_model():
    """value = table[index + 0]: the index is computed, so no load-time check sees it."""
    table = helper.make_tensor("table", TensorProto.INT64, [3], [10, 20, 30])
    zero = helper.make_tensor("zero", TensorProto.INT64, [1], [0])
    graph = helper.make_graph(
        [
            helper.make_node("Add", ["index", "zero"], ["shifted"]),
            helper.make_node("Gather", ["table", "shifted"], ["value"], axis=0),
        ],
        "computed",
        [helper.make_tensor_value_info("index", TensorProto.INT64, ["N"])],
        [helper.make_tensor_value_info("value", TensorProto.INT64, ["N"])],
        initializer=[table, zero],
    )
    return finish(graph)


def divide_model():
    """quotient = numerator / divisor and remainder = numerator mod divisor, in INT64."""
    graph = helper.make_graph(
        [
            helper.make_node("Div", ["numerator", "divisor"], ["quotient"]),
            helper.make_node("Mod", ["numerator", "divisor"], ["remainder"], fmod=0),
        ],
        "divide",
        [
            helper.make_tensor_value_info("numerator", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("divisor", TensorProto.INT64, ["N"]),
        ],
        [
            helper.make_tensor_value_info("quotient", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("remainder", TensorProto.INT64, ["N"]),
        ],
    )
    return finish(graph)


def topk_model():
    """The k largest of 4 scores per row, sorted, with their indices."""
    graph = helper.make_graph(
        [
            helper.make_node(
                "TopK", ["scores", "k"], ["values", "indices"], axis=-1, largest=1, sorted=1
            )
        ],
        "topk",
        [
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 4]),
            helper.make_tensor_value_info("k", TensorProto.INT64, [1]),
        ],
        [
            helper.make_tensor_value_info("values", TensorProto.FLOAT, ["N", "K"]),
            helper.make_tensor_value_info("indices", TensorProto.INT64, ["N", "K"]),
        ],
    )
    return finish(graph)


def run(path, feeds):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def expect(path, feeds, want):
    got = run(path, feeds)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
    print(f"ok   {os.path.relpath(path, ROOT)}: {[g.tolist() for g in got]}")


# Run in a child process: a kernel may kill the process (SIGFPE), not just return an error.
PROBE = """
import json, sys
import numpy as np
import onnxruntime as ort
path, feeds = json.loads(sys.argv[1])
feeds = {k: np.array(v, dtype=t) for k, (t, v) in feeds.items()}
sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
try:
    print("result", [o.tolist() for o in sess.run(None, feeds)])
except Exception as e:
    print(type(e).__name__ + ":", e)
"""


def probe(path, feeds):
    arg = json.dumps([path, feeds])
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, arg], capture_output=True, text=True, timeout=60
    )
    what = proc.stdout.strip() or f"no output, exit status {proc.returncode}"
    if proc.returncode < 0:
        what = f"killed by signal {-proc.returncode}"
    print(f"probe {os.path.relpath(path, ROOT)} {feeds}:\n      {what}")


def main():
    gather = os.path.join(FIX, "gather", "1", "model.onnx")
    divide = os.path.join(FIX, "divide", "1", "model.onnx")
    topk = os.path.join(FIX, "topk", "1", "model.onnx")
    write(gather_model(), gather)
    write(divide_model(), divide)
    write(topk_model(), topk)
    computed = os.path.join(FIX, "computed", "1", "model.onnx")
    write(computed_model(), computed)

    i64 = lambda *v: np.array(v, dtype=np.int64)
    expect(gather, {"index": i64(0, 2, -1)}, [i64(10, 30, 30)])
    expect(divide, {"numerator": i64(7), "divisor": i64(2)}, [i64(3), i64(1)])
    expect(computed, {"index": i64(0, 2, -1)}, [i64(10, 30, 30)])
    expect(
        topk,
        {"scores": np.array([[1, 4, 2, 3]], dtype=np.float32), "k": i64(2)},
        [np.array([[4, 3]], dtype=np.float32), np.array([[1, 3]], dtype=np.int64)],
    )

    # Hostile input; the docstring records what onnxruntime did with it.
    probe(gather, {"index": ["int64", [4111111111111111]]})
    probe(divide, {"numerator": ["int64", [7]], "divisor": ["int64", [0]]})
    probe(divide, {"numerator": ["int64", [-(2**63)]], "divisor": ["int64", [-1]]})
    probe(topk, {"scores": ["float32", [[1, 4, 2, 3]]], "k": ["int64", [9]]})


if __name__ == "__main__":
    main()
