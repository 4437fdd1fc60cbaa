"""Models for the extraction attack simulator (crates/warden/tests/extraction.rs and
bench/extraction.sh): a multinomial logistic regression on scikit-learn's digits, written
as plain ONNX (MatMul, Add, Softmax, ArgMax) because tract does not run ai.onnx.ml's
LinearClassifier. Outputs match the MLP fixtures: `label` (INT64) and `probabilities`.

    target/redact-venv/bin/pip install scikit-learn onnx onnxruntime
    target/redact-venv/bin/python scripts/make_extraction_fixtures.py
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "warden", "tests", "fixtures", "extraction_models", "lr", "1", "model.onnx")

x, y = load_digits(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x.astype(np.float32), y, test_size=0.25, random_state=0)
clf = LogisticRegression(max_iter=5000, random_state=0)
clf.fit(x_train, y_train)
print(f"digits logistic regression: test accuracy {clf.score(x_test, y_test):.4f}")

w = numpy_helper.from_array(clf.coef_.T.astype(np.float32), "W")
b = numpy_helper.from_array(clf.intercept_.astype(np.float32), "B")
nodes = [
    helper.make_node("MatMul", ["X", "W"], ["xw"]),
    helper.make_node("Add", ["xw", "B"], ["logits"]),
    helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0),
]
graph = helper.make_graph(
    nodes,
    "digits_lr",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 64])],
    [
        helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
        helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10]),
    ],
    [w, b],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "wb") as f:
    f.write(model.SerializeToString())

sess = ort.InferenceSession(OUT, providers=["CPUExecutionProvider"])
label, _ = sess.run(None, {"X": x_test})
assert (label == clf.predict(x_test)).all(), "the ONNX graph disagrees with scikit-learn"
print(f"wrote {OUT}")
