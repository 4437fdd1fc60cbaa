#!/usr/bin/env python3
"""Builds the embedded default model and the test fixtures.

Run from the repository root: `python3 scripts/make_fixtures.py`.
Needs scikit-learn, skl2onnx, onnx and onnxruntime (pip). The outputs are committed, so
the Rust build and tests never need Python; rerun this only to change a fixture.

Writes:
  crates/warden-model/models/default.onnx      digits MLP (64 -> 64 -> 10), the embedded default
  crates/warden/tests/fixtures/models/digits/1  the same model, version 1
  crates/warden/tests/fixtures/models/digits/2  a smaller MLP (64 -> 32 -> 10), version 2
  crates/warden/tests/fixtures/models/types/1   identity model, one input per OIP datatype
  crates/warden/tests/fixtures/models/strings/1 identity model over a BYTES (string) tensor
  crates/warden/tests/fixtures/slow_models/slow/1  an expensive model, for deadline tests
  crates/warden/tests/fixtures/reference/*.json inputs and onnxruntime outputs
"""
import json
import os
import shutil

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "crates", "warden", "tests", "fixtures")


def train_digits(hidden, seed):
    x, y = load_digits(return_X_y=True)
    x = x.astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=hidden, max_iter=400, random_state=seed)
    clf.fit(x_train, y_train)
    print(f"digits MLP {hidden}: test accuracy {clf.score(x_test, y_test):.4f}")
    onx = to_onnx(
        clf,
        x_train[:1],
        options={id(clf): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    return onx, x_test


def write(model, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.checker.check_model(model)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def reference(path, model_path, x):
    sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    input_name = sess.get_inputs()[0].name
    label, probs = sess.run(None, {input_name: x})
    out = {
        "input_name": input_name,
        "inputs": x.tolist(),
        "label": label.astype(np.int64).tolist(),
        "probabilities": probs.astype(np.float32).tolist(),
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f)


TYPES = [
    ("bool", TensorProto.BOOL),
    ("uint8", TensorProto.UINT8),
    ("uint16", TensorProto.UINT16),
    ("uint32", TensorProto.UINT32),
    ("uint64", TensorProto.UINT64),
    ("int8", TensorProto.INT8),
    ("int16", TensorProto.INT16),
    ("int32", TensorProto.INT32),
    ("int64", TensorProto.INT64),
    ("fp16", TensorProto.FLOAT16),
    ("fp32", TensorProto.FLOAT),
    ("fp64", TensorProto.DOUBLE),
]


def types_model():
    """One input and one Identity output per datatype, shape [N, 2]."""
    inputs, outputs, nodes = [], [], []
    for name, ty in TYPES:
        inputs.append(helper.make_tensor_value_info(f"in_{name}", ty, ["N", 2]))
        outputs.append(helper.make_tensor_value_info(f"out_{name}", ty, ["N", 2]))
        nodes.append(helper.make_node("Identity", [f"in_{name}"], [f"out_{name}"]))
    graph = helper.make_graph(nodes, "types", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def strings_model():
    """BYTES in and out: an Identity over a string tensor of shape [N]."""
    graph = helper.make_graph(
        [helper.make_node("Identity", ["text"], ["echo"])],
        "strings",
        [helper.make_tensor_value_info("text", TensorProto.STRING, ["N"])],
        [helper.make_tensor_value_info("echo", TensorProto.STRING, ["N"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def slow_model(width=1024, layers=32):
    """A deliberately expensive model: `layers` dense tanh layers of width `width`,
    with weights made at load time by ConstantOfShape so the file stays tiny.
    About 67 MFLOP per row; tests use it to push a request past its deadline."""
    nodes = [
        helper.make_node(
            "ConstantOfShape",
            ["w_shape"],
            ["w"],
            value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0 / width]),
        )
    ]
    prev = "X"
    for i in range(layers):
        nodes.append(helper.make_node("MatMul", [prev, "w"], [f"m{i}"]))
        out = "Y" if i == layers - 1 else f"t{i}"
        nodes.append(helper.make_node("Tanh", [f"m{i}"], [out]))
        prev = out
    shape = helper.make_tensor("w_shape", TensorProto.INT64, [2], [width, width])
    graph = helper.make_graph(
        nodes,
        "slow",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", width])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", width])],
        initializer=[shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def main():
    default, x_test = train_digits((64,), 0)
    default_path = os.path.join(ROOT, "crates", "warden-model", "models", "default.onnx")
    write(default, default_path)
    v1 = os.path.join(FIX, "models", "digits", "1", "model.onnx")
    os.makedirs(os.path.dirname(v1), exist_ok=True)
    shutil.copyfile(default_path, v1)
    small, _ = train_digits((32,), 1)
    v2 = os.path.join(FIX, "models", "digits", "2", "model.onnx")
    write(small, v2)
    write(types_model(), os.path.join(FIX, "models", "types", "1", "model.onnx"))
    write(strings_model(), os.path.join(FIX, "models", "strings", "1", "model.onnx"))
    write(slow_model(), os.path.join(FIX, "slow_models", "slow", "1", "model.onnx"))

    sample = x_test[:24]
    reference(os.path.join(FIX, "reference", "digits_v1.json"), v1, sample)
    reference(os.path.join(FIX, "reference", "digits_v2.json"), v2, sample)


if __name__ == "__main__":
    main()
