#!/usr/bin/env python3
"""Builds the ai.onnx.ml test fixtures: scikit-learn, XGBoost and LightGBM models converted to
ONNX, plus small hand-built graphs for the operator attributes that no converter reaches, each
with onnxruntime's outputs on a few held-back rows. Warden's own implementation of the
ai.onnx.ml operators is tested against these.

Run from the repository root:

    /tmp/fixvenv/bin/python scripts/make_ml_fixtures.py

Made with (pip): scikit-learn 1.9.1, skl2onnx 1.20.0, onnxmltools 1.16.0, onnx 1.23.2,
onnxruntime 1.32.0, xgboost 3.2.0, lightgbm 4.7.0, numpy 2.4.6, pandas 3.1.1 (pandas only
because ColumnTransformer wants it). Only the data sets bundled with scikit-learn are used.
The outputs are committed, so the Rust build and tests never need Python; rerun this only to
change a fixture. Every run deletes and rewrites both folders below, and is deterministic.

Writes:
  crates/warden/tests/fixtures/ml_models/<name>/1/model.onnx   the model
  crates/warden/tests/fixtures/ml_models/<name>/cases.json     inputs and onnxruntime outputs
  crates/warden/tests/fixtures/ml_models/<name>/config.toml    `allow_non_finite = true`, only
                                                               for models fed NaN
  crates/warden/tests/fixtures/ml_unsupported/zipmap/1/model.onnx
                                                               a forest that ends in ZipMap

cases.json:
  {"source": "<one line: estimator, data set, converter and options, opsets>",
   "operators": ["ai.onnx.ml.Scaler", "Add", ...],   distinct op types, in graph order
   "inputs":  [{"name", "datatype", "shape", "data"}],  every graph input, in graph order
   "outputs": [{"name", "datatype", "shape", "data"}]}  every graph output, in graph order
  Datatypes are spelt as in the Open Inference Protocol (FP32, INT64, BYTES, ...); data is
  flat and row-major; floats are the exact float32/float64 values; BYTES data are strings.
  JSON cannot spell NaN, so a NaN is written as null (NaN occurs only in inputs of models
  that have a config.toml; no other non-finite value occurs anywhere).

Converter output is kept as converted, except for these repairs, each noted in the model's
source line: opset_import gets one entry per domain in a fixed order (skl2onnx lists the
default domain twice, in an order that changes between runs); onnxmltools' random graph
names are replaced by the fixture name; declared output shapes that are wrong are fixed
(LightGBM classifiers' `label` is declared [1], a two-target forest's output [N, 1]);
`rf_*_double` get their attributes rewritten as float64 `*_as_tensor` (skl2onnx 1.20 writes
float attributes even for float64 inputs) and `rf_regressor_double` a Cast after the float
TreeEnsembleRegressor output it had declared double. skl2onnx 1.20 fails on
HistGradientBoosting (numpy booleans in an int attribute): a small patch below casts them.

Left out because onnxruntime 1.32 disagrees with the ONNX spec there, so its outputs would
be no reference: TreeEnsemble (ai.onnx.ml 5) post_transform SOFTMAX and LOGISTIC (applied
swapped on several targets, not at all on one), MIN/MAX aggregation of a target that no
tree feeds, and BRANCH_NEQ nodes meeting NaN (onnxruntime goes true even without missing
tracking). Kept, though particular to onnxruntime: binary TreeEnsembleClassifier and
LinearClassifier labels and scores (the label follows the class-1 score alone; one weight
column gives scores [1 - s, s] or [-s, s]); PROBIT is onnxruntime's approximation of the
inverse normal CDF (about 1e-4 from the exact value).
"""

import json
import math
import os
import re
import shutil
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from onnx import TensorProto, helper, numpy_helper
from sklearn.compose import ColumnTransformer
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_linnerud,
    load_wine,
)
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    Binarizer,
    MinMaxScaler,
    Normalizer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR, NuSVC, NuSVR, OneClassSVM
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import skl2onnx.common.tree_ensemble as skl2onnx_tree_ensemble
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType

warnings.filterwarnings("ignore")
ort.set_default_logger_severity(3)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "crates", "warden", "tests", "fixtures")
ML = os.path.join(FIX, "ml_models")
UNSUPPORTED = os.path.join(FIX, "ml_unsupported")

OPSET = {"": 17, "ai.onnx.ml": 3}  # skl2onnx target; it lowers ai.onnx.ml to what it needs
ROWS = 24  # held-back rows per case file
MAX_MODEL_BYTES = 1_500_000
ML_DOMAIN = "ai.onnx.ml"

OIP = {
    np.dtype(np.bool_): "BOOL",
    np.dtype(np.uint8): "UINT8",
    np.dtype(np.uint16): "UINT16",
    np.dtype(np.uint32): "UINT32",
    np.dtype(np.uint64): "UINT64",
    np.dtype(np.int8): "INT8",
    np.dtype(np.int16): "INT16",
    np.dtype(np.int32): "INT32",
    np.dtype(np.int64): "INT64",
    np.dtype(np.float32): "FP32",
    np.dtype(np.float64): "FP64",
}

SUMMARY = []  # (name, operators, inputs, KB)
SKIPPED = []  # (name, reason)
AGREEMENT = []  # one line per converted estimator


# ---------------------------------------------------------------------------------------
# Saving a fixture


def tidy_opset_imports(model):
    """One opset_import entry per domain (skl2onnx may list the default domain twice), in
    domain order (skl2onnx's order changes from run to run). True if there were duplicates."""
    best = {}
    for o in model.opset_import:
        best[o.domain] = max(best.get(o.domain, 0), o.version)
    duplicates = len(best) != len(model.opset_import)
    del model.opset_import[:]
    for domain in sorted(best):
        model.opset_import.append(helper.make_opsetid(domain, best[domain]))
    return duplicates


def operators(model):
    seen = []
    for node in model.graph.node:
        op = f"{ML_DOMAIN}.{node.op_type}" if node.domain == ML_DOMAIN else node.op_type
        if op not in seen:
            seen.append(op)
    return seen


def opsets(model):
    return {o.domain or "ai.onnx": o.version for o in model.opset_import}


def datatype(arr):
    if arr.dtype.kind in "OUS":
        return "BYTES"
    return OIP[arr.dtype]


def flat(arr):
    if arr.dtype.kind in "OUS":
        return [v.decode() if isinstance(v, bytes) else str(v) for v in arr.ravel()]
    if arr.dtype.kind == "f":
        out = []
        for v in arr.ravel():
            v = float(v)
            assert not math.isinf(v), "infinite value"
            out.append(None if math.isnan(v) else v)
        return out
    if arr.dtype.kind == "b":
        return [bool(v) for v in arr.ravel()]
    return [int(v) for v in arr.ravel()]


def tensor_json(name, arr):
    return {"name": name, "datatype": datatype(arr), "shape": list(arr.shape), "data": flat(arr)}


def has_nan(arr):
    return arr.dtype.kind == "f" and bool(np.isnan(arr).any())


def save(name, model, feeds, source, root=ML, cases=True):
    """Checks and writes one fixture: model.onnx, cases.json (onnxruntime's outputs for
    `feeds`, a dict in graph input order) and config.toml when an input holds NaN.
    Returns onnxruntime's outputs; a model onnxruntime refuses is left out, listed in
    SKIPPED, and None is returned."""
    assert re.fullmatch(r"[a-z0-9_]+", name), name
    if tidy_opset_imports(model):
        source += "; duplicate opset_import entries merged"
    if re.fullmatch(r"[0-9a-f]{32}", model.graph.name):  # onnxmltools names graphs by uuid4
        model.graph.name = name
    for inp in model.graph.input:
        dim0 = inp.type.tensor_type.shape.dim[0]
        assert not dim0.HasField("dim_value"), f"{name}: input {inp.name} has a fixed batch"
    onnx.checker.check_model(model, full_check=True)
    blob = model.SerializeToString()
    assert len(blob) < MAX_MODEL_BYTES, f"{name}: {len(blob)} bytes"

    try:
        sess = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
        assert [i.name for i in sess.get_inputs()] == list(feeds), (name, list(feeds))
        outs = sess.run(None, feeds)
    except Exception as e:  # onnxruntime refuses this variant: report, write nothing
        reason = str(e).strip().splitlines()[0][:200]
        SKIPPED.append((name, reason))
        print(f"SKIP {name}: {reason}")
        return None

    folder = os.path.join(root, name)
    os.makedirs(os.path.join(folder, "1"), exist_ok=True)
    path = os.path.join(folder, "1", "model.onnx")
    with open(path, "wb") as f:
        f.write(blob)
    # The reference comes from the saved file, as the tests will load it.
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    outs = sess.run(None, feeds)

    for out, value in zip(model.graph.output, outs):
        if out.type.HasField("tensor_type"):
            declared = [
                d.dim_value if d.HasField("dim_value") else None for d in out.type.tensor_type.shape.dim
            ]
            actual = list(np.asarray(value).shape)
            assert len(declared) in (0, len(actual)) and all(
                d is None or d == a for d, a in zip(declared, actual)
            ), (name, out.name, declared, actual)

    ops = operators(model)
    sets = opsets(model)
    if cases:
        source += "; opsets " + ", ".join(f"{d} {v}" for d, v in sets.items())
        source += f"; ir_version {model.ir_version}"
        doc = {
            "source": source,
            "operators": ops,
            "inputs": [tensor_json(k, v) for k, v in feeds.items()],
            "outputs": [tensor_json(o.name, np.asarray(v)) for o, v in zip(sess.get_outputs(), outs)],
        }
        for out in doc["outputs"]:
            assert None not in out["data"], f"{name}: NaN in output {out['name']}"
        with open(os.path.join(folder, "cases.json"), "w") as f:
            json.dump(doc, f, allow_nan=False)
            f.write("\n")
        if any(has_nan(v) for v in feeds.values()):
            with open(os.path.join(folder, "config.toml"), "w") as f:
                f.write("allow_non_finite = true\n")
    shapes = " ".join(f"{k}:{datatype(v)}{list(v.shape)}" for k, v in feeds.items())
    SUMMARY.append((name, ops, shapes, len(blob) / 1024))
    return outs


# ---------------------------------------------------------------------------------------
# Data


def dataset(loader):
    x, y = loader(return_X_y=True)
    return x.astype(np.float32), y


def split(x, y, test_size=0.25):
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, random_state=0)
    return x_train, x_test[:ROWS], y_train, y_test[:ROWS]


def with_nan(x, fraction, seed):
    """A copy of x with about `fraction` of its cells set to NaN."""
    x = x.copy()
    x[np.random.RandomState(seed).rand(*x.shape) < fraction] = np.nan
    return x


def zipmap_off(model):
    """skl2onnx options that drop ZipMap from a classifier or a pipeline ending in one."""
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    return {id(final): {"zipmap": False}}


def convert(model, x, classifier=False):
    """skl2onnx with ZipMap off for classifiers; returns the model and the options text.
    LinearSVC has no ZipMap and refuses the option, yet inside a pipeline skl2onnx adds it
    unless the step has options of its own: give it an empty set."""
    if classifier:
        try:
            options = zipmap_off(model)
            return to_onnx(model, x[:1], options=options, target_opset=OPSET), " zipmap=False"
        except NameError:
            options = {k: {} for k in zipmap_off(model)}
            return to_onnx(model, x[:1], options=options, target_opset=OPSET), " (no zipmap option)"
    return to_onnx(model, x[:1], target_opset=OPSET), ""


def sk_fixture(name, model, x_train, y_train, x_test, classifier, what):
    model.fit(x_train, y_train)
    onx, opts = convert(model, x_train, classifier)
    assert "ZipMap" not in [n.op_type for n in onx.graph.node]
    outs = save(name, onx, {"X": x_test}, f"{what}; skl2onnx to_onnx{opts}")
    agree(name, model, x_test, outs)
    return outs


def agree(name, model, x_test, outs):
    """Prints how far onnxruntime is from the estimator itself (for information only: the
    fixtures hold onnxruntime's outputs)."""
    expected = np.asarray(model.predict(x_test)).ravel()
    got = np.asarray(outs[0]).ravel()
    if (
        expected.dtype.kind in "OUSb"
        or name.endswith(("classifier", "binary", "multiclass", "_missing"))
        or got.dtype.kind in "iOUS"
    ):
        same = sum(str(a) == str(b) for a, b in zip(expected, got))
        AGREEMENT.append(f"{name}: {same}/{len(got)} labels as the estimator")
    else:
        err = float(np.max(np.abs(expected.astype(np.float64) - got) / (1 + np.abs(expected))))
        AGREEMENT.append(f"{name}: max relative difference to the estimator {err:.2e}")


# The HistGradientBoosting converter of skl2onnx 1.20 passes numpy booleans for
# nodes_missing_value_tracks_true, which onnx.helper refuses; make them ints.
_add_node = skl2onnx_tree_ensemble.add_node


def _add_node_int_missing(*args, **kwargs):
    if "nodes_missing_value_tracks_true" in kwargs:
        kwargs["nodes_missing_value_tracks_true"] = int(kwargs["nodes_missing_value_tracks_true"])
    return _add_node(*args, **kwargs)


skl2onnx_tree_ensemble.add_node = _add_node_int_missing


# ---------------------------------------------------------------------------------------
# Linear models, scalers, encoders


def linear_models():
    x, y = dataset(load_breast_cancer)
    xt, xs, yt, _ = split(x, y)
    sk_fixture(
        "logreg_binary",
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        xt,
        yt,
        xs,
        True,
        "StandardScaler + LogisticRegression, breast_cancer (binary)",
    )
    sk_fixture(
        "linear_svc_binary",
        make_pipeline(StandardScaler(), LinearSVC(random_state=0)),
        xt,
        yt,
        xs,
        True,
        "StandardScaler + LinearSVC, breast_cancer (binary)",
    )

    x, y = dataset(load_iris)
    xt, xs, yt, _ = split(x, y)
    sk_fixture(
        "logreg_multiclass",
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        xt,
        yt,
        xs,
        True,
        "StandardScaler + LogisticRegression, iris (multinomial)",
    )
    names = np.array(load_iris().target_names)
    sk_fixture(
        "logreg_string_labels",
        LogisticRegression(max_iter=1000),
        xt,
        names[yt],
        xs,
        True,
        "LogisticRegression, iris with string class labels",
    )

    x, y = dataset(load_wine)
    xt, xs, yt, _ = split(x, y)
    sk_fixture(
        "linear_svc",
        make_pipeline(StandardScaler(), LinearSVC(random_state=0)),
        xt,
        yt,
        xs,
        True,
        "StandardScaler + LinearSVC, wine (3 classes)",
    )
    for norm in ["l2", "l1", "max"]:
        sk_fixture(
            f"normalizer_{norm}",
            make_pipeline(Normalizer(norm=norm), LogisticRegression(max_iter=5000)),
            xt,
            yt,
            xs,
            True,
            f"Normalizer(norm={norm}) + LogisticRegression, wine",
        )

    x, y = dataset(load_digits)
    xt, xs, yt, _ = split(x, y)
    sk_fixture(
        "binarizer",
        make_pipeline(Binarizer(threshold=8), LogisticRegression(max_iter=2000)),
        xt,
        yt,
        xs,
        True,
        "Binarizer(threshold=8) + LogisticRegression, digits",
    )

    x, y = dataset(load_diabetes)
    xt, xs, yt, _ = split(x, y)
    sk_fixture(
        "linreg",
        make_pipeline(StandardScaler(), LinearRegression()),
        xt,
        yt,
        xs,
        False,
        "StandardScaler + LinearRegression, diabetes",
    )
    sk_fixture(
        "linear_svr",
        make_pipeline(StandardScaler(), LinearSVR(C=10, random_state=0, max_iter=10000)),
        xt,
        yt,
        xs,
        False,
        "StandardScaler + LinearSVR, diabetes",
    )

    # linnerud has 20 rows: fit on 4, keep 16 for the cases.
    x, y = dataset(load_linnerud)
    xt, xs, yt, _ = split(x, y.astype(np.float32), test_size=16)
    sk_fixture(
        "ridge_multi",
        Ridge(alpha=1.0),
        xt,
        yt,
        xs,
        False,
        "Ridge(alpha=1), linnerud (3 targets, fit on 4 rows)",
    )


def wine_categories():
    """Wine's first 12 features as numbers, the 13th (proline) binned into 4 categories."""
    x, y = dataset(load_wine)
    edges = np.percentile(x[:, 12], [25, 50, 75])
    cat = np.digitize(x[:, 12], edges).astype(np.int64).reshape(-1, 1)
    return x[:, :12], cat, y


def column_transformer_models():
    num, cat, y = wine_categories()
    idx = np.arange(len(y))
    it, iv = train_test_split(idx, test_size=0.25, random_state=0)
    iv = iv[:ROWS]
    num_train = with_nan(num[it], 0.1, 1)
    num_test = with_nan(num[iv], 0.1, 2)

    # Integer categories; the test rows include the unseen category 7.
    cat_test = cat[iv].copy()
    cat_test[::5] = 7
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), list(range(12))),
            ("cat", OneHotEncoder(handle_unknown="ignore"), [12]),
        ]
    )
    clf = make_pipeline(pre, LogisticRegression(max_iter=2000))
    clf.fit(np.hstack([num_train, cat[it].astype(np.float32)]), y[it])
    onx = to_onnx(
        clf,
        initial_types=[("num", FloatTensorType([None, 12])), ("cat", Int64TensorType([None, 1]))],
        options=zipmap_off(clf),
        target_opset=OPSET,
    )
    outs = save(
        "imputer_onehot",
        onx,
        {"num": num_test, "cat": cat_test},
        "ColumnTransformer(SimpleImputer(mean) + StandardScaler on 12 numeric wine columns, "
        "OneHotEncoder(handle_unknown=ignore) on binned proline INT64, unseen category 7 in "
        "cases) + LogisticRegression; ~10% NaN numeric cells; skl2onnx, zipmap=False",
    )
    agree("imputer_onehot", clf, np.hstack([num_test, cat_test.astype(np.float32)]), outs)

    # String categories: fitted on a DataFrame (12 float columns and a string one), converted
    # with the same two-input layout; the test rows include the unseen "unknown".
    words = np.array(["low", "mid", "high", "very_high"], dtype=object)
    scat = words[cat[:, 0]].reshape(-1, 1)
    scat_test = scat[iv].copy()
    scat_test[::5] = "unknown"
    frame = pd.DataFrame(num_train)
    frame[12] = scat[it, 0]
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), list(range(12))),
            ("cat", OneHotEncoder(handle_unknown="ignore"), [12]),
        ]
    )
    clf = make_pipeline(pre, LogisticRegression(max_iter=2000))
    clf.fit(frame, y[it])
    onx = to_onnx(
        clf,
        initial_types=[("num", FloatTensorType([None, 12])), ("cat", StringTensorType([None, 1]))],
        options=zipmap_off(clf),
        target_opset=OPSET,
    )
    outs = save(
        "onehot_strings",
        onx,
        {"num": num_test, "cat": scat_test},
        "ColumnTransformer(SimpleImputer(median) + StandardScaler on 12 numeric wine columns, "
        "OneHotEncoder(handle_unknown=ignore) on binned proline as STRING, unseen 'unknown' in "
        "cases) + LogisticRegression; ~10% NaN numeric cells; skl2onnx, zipmap=False",
    )
    test_frame = pd.DataFrame(num_test)
    test_frame[12] = scat_test[:, 0]
    agree("onehot_strings", clf, test_frame, outs)

    # One input, columns picked by ArrayFeatureExtractor.
    x, y = dataset(load_wine)
    xt, xs, yt, _ = split(x, y)
    pre = ColumnTransformer(
        [("std", StandardScaler(), [0, 2, 4, 6, 8, 10, 12]), ("minmax", MinMaxScaler(), [1, 3, 5])]
    )
    sk_fixture(
        "array_feature_extractor",
        make_pipeline(pre, LogisticRegression(max_iter=2000)),
        xt,
        yt,
        xs,
        True,
        "ColumnTransformer(StandardScaler on 7 columns, MinMaxScaler on 3, rest dropped) "
        "+ LogisticRegression, wine",
    )

    # OrdinalEncoder on strings: skl2onnx emits LabelEncoder.
    scat2 = np.hstack(
        [scat, words[np.digitize(x[:, 9], np.percentile(x[:, 9], [25, 50, 75]))].reshape(-1, 1)]
    )
    enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    enc.fit(scat2[it])
    test = scat2[iv].copy()
    test[::6, 1] = "unknown"
    onx = to_onnx(enc, initial_types=[("X", StringTensorType([None, 2]))], target_opset=OPSET)
    save(
        "ordinal_encoder",
        onx,
        {"X": test},
        "OrdinalEncoder(handle_unknown=use_encoded_value, unknown_value=-1) on two binned wine "
        "columns as strings, unseen 'unknown' in cases; skl2onnx",
    )


# ---------------------------------------------------------------------------------------
# Support vector machines


def svm_models():
    x, y = dataset(load_iris)
    xt, xs, yt, _ = split(x, y)
    # Sigmoid with the default gamma predicts one class on unscaled iris; 0.01 predicts three.
    for kernel, kw in [("linear", {}), ("poly", {}), ("rbf", {}), ("sigmoid", {"gamma": 0.01, "C": 10.0})]:
        args = "".join(f", {k}={v}" for k, v in kw.items())
        sk_fixture(
            f"svc_{kernel}",
            SVC(kernel=kernel, random_state=0, **kw),
            xt,
            yt,
            xs,
            True,
            f"SVC(kernel={kernel}{args}), iris (3 classes, decision function ovr)",
        )
    sk_fixture(
        "svc_rbf_proba",
        SVC(kernel="rbf", probability=True, random_state=0),
        xt,
        yt,
        xs,
        True,
        "SVC(kernel=rbf, probability=True), iris (prob_a/prob_b)",
    )
    sk_fixture("nusvc", NuSVC(random_state=0), xt, yt, xs, True, "NuSVC(rbf), iris")

    x, y = dataset(load_breast_cancer)
    xt, xs, yt, _ = split(x, y)
    sk_fixture(
        "svc_rbf_binary",
        make_pipeline(StandardScaler(), SVC(kernel="rbf", random_state=0)),
        xt,
        yt,
        xs,
        True,
        "StandardScaler + SVC(kernel=rbf), breast_cancer (binary)",
    )
    sk_fixture(
        "svc_proba_binary",
        make_pipeline(StandardScaler(), SVC(kernel="poly", degree=2, probability=True, random_state=0)),
        xt,
        yt,
        xs,
        True,
        "StandardScaler + SVC(kernel=poly, degree=2, probability=True), breast_cancer",
    )
    names = np.array(["malignant", "benign"], dtype=object)
    sk_fixture(
        "svc_string_labels",
        make_pipeline(StandardScaler(), SVC(kernel="linear", random_state=0)),
        xt,
        names[yt],
        xs,
        True,
        "StandardScaler + SVC(kernel=linear), breast_cancer, string labels",
    )

    x, y = dataset(load_diabetes)
    xt, xs, yt, _ = split(x, y)
    for kernel in ["linear", "poly", "rbf", "sigmoid"]:
        sk_fixture(
            f"svr_{kernel}",
            make_pipeline(StandardScaler(), SVR(kernel=kernel, C=50.0)),
            xt,
            yt,
            xs,
            False,
            f"StandardScaler + SVR(kernel={kernel}, C=50), diabetes",
        )
    sk_fixture(
        "nusvr",
        make_pipeline(StandardScaler(), NuSVR(C=50.0)),
        xt,
        yt,
        xs,
        False,
        "StandardScaler + NuSVR(rbf, C=50), diabetes",
    )
    sk_fixture(
        "one_class_svm",
        make_pipeline(StandardScaler(), OneClassSVM(nu=0.2)),
        xt,
        None,
        xs,
        False,
        "StandardScaler + OneClassSVM(nu=0.2), diabetes features (SVMRegressor one_class=1)",
    )


# ---------------------------------------------------------------------------------------
# Tree ensembles from converters


def tree_models():
    x, y = dataset(load_breast_cancer)
    xt, xs, yt, _ = split(x, y)
    sk_fixture(
        "rf_binary",
        RandomForestClassifier(n_estimators=20, random_state=0),
        xt,
        yt,
        xs,
        True,
        "RandomForestClassifier(n_estimators=20), breast_cancer (binary, one class-weight "
        "column, classlabels_int64s=[0,1])",
    )
    sk_fixture(
        "gb_binary",
        GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0),
        xt,
        yt,
        xs,
        True,
        "GradientBoostingClassifier(n_estimators=30, max_depth=3), breast_cancer",
    )
    xtn, xsn = with_nan(xt, 0.1, 3), with_nan(xs, 0.1, 4)
    sk_fixture(
        "hgb_classifier",
        HistGradientBoostingClassifier(max_iter=30, max_depth=6, random_state=0),
        xtn,
        yt,
        xsn,
        True,
        "HistGradientBoostingClassifier(max_iter=30, max_depth=6), breast_cancer, ~10% NaN "
        "in training and cases (nodes_missing_value_tracks_true)",
    )

    x, y = dataset(load_wine)
    xt, xs, yt, _ = split(x, y)
    sk_fixture(
        "rf_multiclass",
        RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0),
        xt,
        yt,
        xs,
        True,
        "RandomForestClassifier(n_estimators=20, max_depth=8), wine",
    )
    sk_fixture(
        "extra_trees_classifier",
        ExtraTreesClassifier(n_estimators=20, max_depth=8, random_state=0),
        xt,
        yt,
        xs,
        True,
        "ExtraTreesClassifier(n_estimators=20, max_depth=8), wine",
    )
    sk_fixture(
        "decision_tree_classifier",
        DecisionTreeClassifier(max_depth=6, random_state=0),
        xt,
        yt,
        xs,
        True,
        "DecisionTreeClassifier(max_depth=6), wine",
    )
    sk_fixture(
        "gb_multiclass",
        GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0),
        xt,
        yt,
        xs,
        True,
        "GradientBoostingClassifier(n_estimators=20, max_depth=3), wine",
    )
    xtn, xsn = with_nan(xt, 0.1, 5), with_nan(xs, 0.1, 6)
    sk_fixture(
        "hgb_multiclass",
        HistGradientBoostingClassifier(max_iter=20, max_depth=6, random_state=0),
        xtn,
        yt,
        xsn,
        True,
        "HistGradientBoostingClassifier(max_iter=20, max_depth=6), wine, ~10% NaN in training "
        "and cases (nodes_missing_value_tracks_true)",
    )

    x, y = dataset(load_diabetes)
    xt, xs, yt, _ = split(x, y)
    sk_fixture(
        "rf_regressor",
        RandomForestRegressor(n_estimators=30, max_depth=8, random_state=0),
        xt,
        yt,
        xs,
        False,
        "RandomForestRegressor(n_estimators=30, max_depth=8), diabetes",
    )
    sk_fixture(
        "extra_trees_regressor",
        ExtraTreesRegressor(n_estimators=30, max_depth=8, random_state=0),
        xt,
        yt,
        xs,
        False,
        "ExtraTreesRegressor(n_estimators=30, max_depth=8), diabetes",
    )
    sk_fixture(
        "decision_tree_regressor",
        DecisionTreeRegressor(max_depth=8, random_state=0),
        xt,
        yt,
        xs,
        False,
        "DecisionTreeRegressor(max_depth=8), diabetes",
    )
    sk_fixture(
        "gb_regressor",
        GradientBoostingRegressor(n_estimators=40, max_depth=4, random_state=0),
        xt,
        yt,
        xs,
        False,
        "GradientBoostingRegressor(n_estimators=40, max_depth=4), diabetes",
    )
    y2 = np.c_[yt, np.log(yt)]
    rf = RandomForestRegressor(n_estimators=10, max_depth=6, random_state=0).fit(xt, y2)
    onx, _ = convert(rf, xt)
    # skl2onnx declares the output [N, 1] whatever the number of targets.
    onx.graph.output[0].type.tensor_type.shape.dim[1].dim_value = 2
    outs = save(
        "rf_multioutput_regressor",
        onx,
        {"X": xs},
        "RandomForestRegressor(n_estimators=10, max_depth=6), diabetes, 2 targets (y, log y); "
        "skl2onnx to_onnx; output declared [N,1] by the converter, made [N,2]",
    )
    agree("rf_multioutput_regressor", rf, xs, outs)
    xtn, xsn = with_nan(xt, 0.1, 7), with_nan(xs, 0.1, 8)
    sk_fixture(
        "hgb_regressor",
        HistGradientBoostingRegressor(max_iter=40, max_depth=6, random_state=0),
        xtn,
        yt,
        xsn,
        False,
        "HistGradientBoostingRegressor(max_iter=40, max_depth=6), diabetes, ~10% NaN in "
        "training and cases (nodes_missing_value_tracks_true)",
    )

    double_trees()
    zipmap_unsupported()


def attr_dict(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def replace_attrs(node, attrs):
    del node.attribute[:]
    for k in sorted(attrs):
        node.attribute.append(helper.make_attribute(k, attrs[k]))


def double_trees():
    """Forests over float64 inputs with every real-valued attribute as a float64 tensor
    (`*_as_tensor`, ai.onnx.ml opset 3). skl2onnx writes float attributes even here, so
    the values are taken again, at full precision, from the fitted trees."""
    x, y = dataset(load_diabetes)
    xt, xs, yt, _ = split(x.astype(np.float64), y)
    rf = RandomForestRegressor(n_estimators=10, max_depth=6, random_state=0).fit(xt, yt)
    onx = to_onnx(rf, xt[:1], target_opset=OPSET)
    trees = [e.tree_ for e in rf.estimators_]
    node = one_node(onx, "TreeEnsembleRegressor")
    a = attr_dict(node)
    values = [
        0.0 if trees[t].children_left[n] == -1 else trees[t].threshold[n]
        for t, n in zip(a["nodes_treeids"], a["nodes_nodeids"])
    ]
    weights = [
        trees[t].value[n, k, 0] / len(trees)
        for t, n, k in zip(a["target_treeids"], a["target_nodeids"], a["target_ids"])
    ]
    as_tensor(a, "nodes_values", values)
    as_tensor(a, "target_weights", weights)
    as_tensor(a, "nodes_hitrates", a["nodes_hitrates"])
    replace_attrs(node, a)
    set_ml_opset(onx, 3)
    check_tensor_attrs(onx, "TreeEnsembleRegressor", ["nodes_values_as_tensor", "target_weights_as_tensor"])
    # TreeEnsembleRegressor always outputs float; skl2onnx declares a double output without
    # a Cast, which the ONNX checker refuses. Add the Cast.
    out = node.output[0]
    node.output[0] = out + "_float"
    onx.graph.node.append(helper.make_node("Cast", [out + "_float"], [out], to=TensorProto.DOUBLE))
    agree(
        "rf_regressor_double",
        rf,
        xs,
        save(
            "rf_regressor_double",
            onx,
            {"X": xs},
            "RandomForestRegressor(n_estimators=10, max_depth=6), diabetes as float64; skl2onnx, "
            "attributes rewritten as float64 *_as_tensor from the fitted trees, Cast to double added "
            "after the (float) TreeEnsembleRegressor output",
        ),
    )

    x, y = dataset(load_wine)
    xt, xs, yt, _ = split(x.astype(np.float64), y)
    rf = RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0).fit(xt, yt)
    onx = to_onnx(rf, xt[:1], options={id(rf): {"zipmap": False}}, target_opset=OPSET)
    trees = [e.tree_ for e in rf.estimators_]
    node = one_node(onx, "TreeEnsembleClassifier")
    a = attr_dict(node)
    values = [
        0.0 if trees[t].children_left[n] == -1 else trees[t].threshold[n]
        for t, n in zip(a["nodes_treeids"], a["nodes_nodeids"])
    ]
    weights = [
        trees[t].value[n, 0, k] / trees[t].value[n, 0].sum() / len(trees)
        for t, n, k in zip(a["class_treeids"], a["class_nodeids"], a["class_ids"])
    ]
    as_tensor(a, "nodes_values", values)
    as_tensor(a, "class_weights", weights)
    as_tensor(a, "nodes_hitrates", a["nodes_hitrates"])
    replace_attrs(node, a)
    set_ml_opset(onx, 3)
    check_tensor_attrs(onx, "TreeEnsembleClassifier", ["nodes_values_as_tensor", "class_weights_as_tensor"])
    agree(
        "rf_classifier_double",
        rf,
        xs,
        save(
            "rf_classifier_double",
            onx,
            {"X": xs},
            "RandomForestClassifier(n_estimators=10, max_depth=6), wine as float64; skl2onnx "
            "zipmap=False, attributes rewritten as float64 *_as_tensor from the fitted trees",
        ),
    )


def one_node(model, op_type):
    nodes = [n for n in model.graph.node if n.op_type == op_type]
    assert len(nodes) == 1, (op_type, len(nodes))
    return nodes[0]


def as_tensor(attrs, key, values):
    """Replaces the float attribute `key` by `key_as_tensor`, a float64 tensor of `values`,
    after checking that they agree with the float32 values skl2onnx wrote."""
    values = np.asarray(values, dtype=np.float64)
    old = np.asarray(attrs.pop(key), dtype=np.float32)
    assert np.allclose(values.astype(np.float32), old, rtol=1e-6, atol=1e-7), key
    attrs[f"{key}_as_tensor"] = numpy_helper.from_array(values, name=f"{key}_as_tensor")


def set_ml_opset(model, version):
    for o in model.opset_import:
        if o.domain == ML_DOMAIN:
            o.version = version


def check_tensor_attrs(model, op_type, names):
    a = attr_dict(one_node(model, op_type))
    for n in names:
        assert n in a and a[n].data_type == TensorProto.DOUBLE, n
        assert n.replace("_as_tensor", "") not in a, n


def zipmap_unsupported():
    x, y = dataset(load_iris)
    rf = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(x, y)
    onx = to_onnx(rf, x[:1], target_opset=OPSET)  # ZipMap is skl2onnx's default
    assert "ZipMap" in [n.op_type for n in onx.graph.node]
    save("zipmap", onx, {"X": x[:4]}, "", root=UNSUPPORTED, cases=False)


# ---------------------------------------------------------------------------------------
# XGBoost and LightGBM through onnxmltools


def boosting_models():
    try:
        import lightgbm
        import xgboost
        from onnxmltools import convert_lightgbm, convert_xgboost
        from onnxmltools.convert.common.data_types import FloatTensorType as MLFloat
    except ImportError as e:
        SKIPPED.append(("xgb_*, lgbm_*", f"import failed: {e}"))
        return

    def xgb(name, model, xt, yt, xs, what):
        model.fit(xt, yt)
        # onnxmltools' XGBoost converter goes up to opset 15.
        onx = convert_xgboost(model, initial_types=[("X", MLFloat([None, xt.shape[1]]))], target_opset=15)
        outs = save(name, onx, {"X": xs}, f"{what}; onnxmltools convert_xgboost target_opset=15")
        agree(name, model, xs, outs)

    def lgbm(name, model, xt, yt, xs, what, classifier):
        model.fit(xt, yt)
        kw = {"zipmap": False} if classifier else {}
        onx = convert_lightgbm(
            model, initial_types=[("X", MLFloat([None, xt.shape[1]]))], target_opset=15, **kw
        )
        fixed = free_output_batch(onx)
        note = "; label output declared [1] by the converter, made [N]" if fixed else ""
        opts = " zipmap=False" if classifier else ""
        outs = save(name, onx, {"X": xs}, f"{what}; onnxmltools convert_lightgbm target_opset=15{opts}{note}")
        agree(name, model, xs, outs)

    x, y = dataset(load_breast_cancer)
    xt, xs, yt, _ = split(x, y)
    xgb(
        "xgb_classifier",
        xgboost.XGBClassifier(n_estimators=30, max_depth=4, random_state=0),
        xt,
        yt,
        xs,
        "XGBClassifier(n_estimators=30, max_depth=4), breast_cancer (binary)",
    )
    lgbm(
        "lgbm_classifier",
        lightgbm.LGBMClassifier(n_estimators=30, num_leaves=15, random_state=0, verbose=-1),
        xt,
        yt,
        xs,
        "LGBMClassifier(n_estimators=30, num_leaves=15), breast_cancer (binary)",
        True,
    )
    xtn, xsn = with_nan(xt, 0.1, 9), with_nan(xs, 0.1, 10)
    xgb(
        "xgb_missing",
        xgboost.XGBClassifier(n_estimators=30, max_depth=4, random_state=0),
        xtn,
        yt,
        xsn,
        "XGBClassifier(n_estimators=30, max_depth=4), breast_cancer with ~10% NaN "
        "in training and cases (default directions as nodes_missing_value_tracks_true)",
    )

    x, y = dataset(load_wine)
    xt, xs, yt, _ = split(x, y)
    xgb(
        "xgb_multiclass",
        xgboost.XGBClassifier(n_estimators=15, max_depth=4, random_state=0),
        xt,
        yt,
        xs,
        "XGBClassifier(n_estimators=15, max_depth=4), wine (3 classes, 45 trees)",
    )
    lgbm(
        "lgbm_multiclass",
        lightgbm.LGBMClassifier(n_estimators=15, num_leaves=15, random_state=0, verbose=-1),
        xt,
        yt,
        xs,
        "LGBMClassifier(n_estimators=15, num_leaves=15), wine (3 classes, 45 trees)",
        True,
    )

    x, y = dataset(load_diabetes)
    xt, xs, yt, _ = split(x, y)
    xgb(
        "xgb_regressor",
        xgboost.XGBRegressor(n_estimators=40, max_depth=4, random_state=0),
        xt,
        yt,
        xs,
        "XGBRegressor(n_estimators=40, max_depth=4), diabetes",
    )
    lgbm(
        "lgbm_regressor",
        lightgbm.LGBMRegressor(n_estimators=40, num_leaves=15, random_state=0, verbose=-1),
        xt,
        yt,
        xs,
        "LGBMRegressor(n_estimators=40, num_leaves=15), diabetes",
        False,
    )


def free_output_batch(model):
    """Makes a fixed first dimension of a graph output variable; True if one was fixed."""
    fixed = False
    for out in model.graph.output:
        dims = out.type.tensor_type.shape.dim
        if dims and dims[0].HasField("dim_value"):
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "N"
            fixed = True
    return fixed


# ---------------------------------------------------------------------------------------
# Hand-built graphs


def hand_model(nodes, inputs, outputs, ml_opset=3, default_opset=17, initializers=()):
    """inputs/outputs: (name, TensorProto type, shape) with "N" as the batch dimension."""
    graph = helper.make_graph(
        nodes,
        "warden_ml_fixture",
        [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
        initializer=list(initializers),
    )
    imports = [helper.make_opsetid("", default_opset), helper.make_opsetid(ML_DOMAIN, ml_opset)]
    model = helper.make_model(graph, opset_imports=imports)
    model.ir_version = helper.find_min_ir_version_for(imports)
    return model


def ml_node(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, domain=ML_DOMAIN, **attrs)


def encoder_models():
    rng = np.random.RandomState(11)
    words = np.array(["apple", "banana", "cherry", "durian", "elderberry"], dtype=object)

    # LabelEncoder, ai.onnx.ml opset 2: string->int64, int64->string, float->int64.
    s = rng.choice(np.append(words, ["fig", ""]), size=ROWS).astype(object)
    i = rng.randint(-1, 7, size=(ROWS, 2)).astype(np.int64)
    f = (rng.randint(0, 8, size=ROWS) / 2).astype(np.float32)
    nodes = [
        ml_node(
            "LabelEncoder",
            ["s"],
            ["s_ids"],
            keys_strings=list(words[:4]),
            values_int64s=[10, 20, 30, 40],
            default_int64=-1,
        ),
        ml_node(
            "LabelEncoder",
            ["i"],
            ["i_names"],
            keys_int64s=[0, 1, 2, 3, 5],
            values_strings=["zero", "one", "two", "three", "five"],
            default_string="other",
        ),
        ml_node(
            "LabelEncoder",
            ["f"],
            ["f_ids"],
            keys_floats=[0.5, 1.0, 2.5],
            values_int64s=[1, 2, 3],
            default_int64=99,
        ),
    ]
    model = hand_model(
        nodes,
        [
            ("s", TensorProto.STRING, ["N"]),
            ("i", TensorProto.INT64, ["N", 2]),
            ("f", TensorProto.FLOAT, ["N"]),
        ],
        [
            ("s_ids", TensorProto.INT64, ["N"]),
            ("i_names", TensorProto.STRING, ["N", 2]),
            ("f_ids", TensorProto.INT64, ["N"]),
        ],
        ml_opset=2,
    )
    save(
        "label_encoder",
        model,
        {"s": s, "i": i, "f": f},
        "hand-built LabelEncoder x3: string->int64 (default_int64=-1), int64 [N,2]->string "
        "(default_string=other), float->int64 (default_int64=99); unseen keys in cases",
    )

    # LabelEncoder, ai.onnx.ml opset 4: keys_tensor / values_tensor / default_tensor.
    i1 = rng.randint(0, 6, size=ROWS).astype(np.int64)
    nodes = [
        ml_node(
            "LabelEncoder",
            ["i"],
            ["i_values"],
            keys_tensor=numpy_helper.from_array(np.array([1, 2, 3, 4], dtype=np.int64), "k"),
            values_tensor=numpy_helper.from_array(np.array([0.5, -1.25, 3.0, 1e6], dtype=np.float32), "v"),
            default_tensor=numpy_helper.from_array(np.array([-7.5], dtype=np.float32), "d"),
        ),
        ml_node(
            "LabelEncoder",
            ["s"],
            ["s_renamed"],
            keys_tensor=numpy_helper.from_array(words[:3].astype(object), "k"),
            values_tensor=numpy_helper.from_array(np.array(["A", "B", "C"], dtype=object), "v"),
            default_tensor=numpy_helper.from_array(np.array(["?"], dtype=object), "d"),
        ),
    ]
    model = hand_model(
        nodes,
        [("i", TensorProto.INT64, ["N"]), ("s", TensorProto.STRING, ["N"])],
        [("i_values", TensorProto.FLOAT, ["N"]), ("s_renamed", TensorProto.STRING, ["N"])],
        ml_opset=4,
    )
    save(
        "label_encoder_v4",
        model,
        {"i": i1, "s": s},
        "hand-built LabelEncoder (ai.onnx.ml 4, keys_tensor/values_tensor/default_tensor): "
        "int64->float (default -7.5), string->string (default '?'); unseen keys in cases",
    )

    # CategoryMapper both ways.
    cats_s, cats_i = ["red", "green", "blue", "white"], [3, 1, 4, 9]
    cs = rng.choice(np.array(cats_s + ["black", "RED"], dtype=object), size=ROWS).astype(object)
    ci = rng.choice(np.array(cats_i + [0, 2], dtype=np.int64), size=(ROWS, 2))
    nodes = [
        ml_node(
            "CategoryMapper", ["s"], ["s_ids"], cats_strings=cats_s, cats_int64s=cats_i, default_int64=-1
        ),
        ml_node(
            "CategoryMapper",
            ["i"],
            ["i_names"],
            cats_strings=cats_s,
            cats_int64s=cats_i,
            default_string="none",
        ),
    ]
    model = hand_model(
        nodes,
        [("s", TensorProto.STRING, ["N"]), ("i", TensorProto.INT64, ["N", 2])],
        [("s_ids", TensorProto.INT64, ["N"]), ("i_names", TensorProto.STRING, ["N", 2])],
        ml_opset=1,
    )
    save(
        "category_mapper",
        model,
        {"s": cs, "i": ci},
        "hand-built CategoryMapper x2: string->int64 (default_int64=-1), int64 [N,2]->string "
        "(default_string=none); unseen keys in cases",
    )

    # FeatureVectorizer: its inputs share one type, so one node per type. Three FP32 inputs
    # of widths 3, 1, 2 then a Scaler; two INT64 inputs; one FP64 input. Outputs are float.
    a = rng.randn(ROWS, 3).astype(np.float32)
    b = rng.randn(ROWS, 1).astype(np.float32)
    c = rng.randn(ROWS, 2).astype(np.float32)
    i = rng.randint(-5, 5, size=(ROWS, 2)).astype(np.int64)
    j = rng.randint(0, 100, size=(ROWS, 3)).astype(np.int64)
    d = rng.randn(ROWS, 2).astype(np.float64)
    nodes = [
        ml_node("FeatureVectorizer", ["a", "b", "c"], ["features"], inputdimensions=[3, 1, 2]),
        ml_node(
            "Scaler",
            ["features"],
            ["Y"],
            offset=[0.0, 1.0, -1.0, 0.5, 0.0, 2.0],
            scale=[1.0, 0.5, 2.0, 1.0, -1.0, 3.0],
        ),
        ml_node("FeatureVectorizer", ["i", "j"], ["Yi"], inputdimensions=[2, 3]),
        ml_node("FeatureVectorizer", ["d"], ["Yd"], inputdimensions=[2]),
    ]
    model = hand_model(
        nodes,
        [
            ("a", TensorProto.FLOAT, ["N", 3]),
            ("b", TensorProto.FLOAT, ["N", 1]),
            ("c", TensorProto.FLOAT, ["N", 2]),
            ("i", TensorProto.INT64, ["N", 2]),
            ("j", TensorProto.INT64, ["N", 3]),
            ("d", TensorProto.DOUBLE, ["N", 2]),
        ],
        [
            ("Y", TensorProto.FLOAT, ["N", 6]),
            ("Yi", TensorProto.FLOAT, ["N", 5]),
            ("Yd", TensorProto.FLOAT, ["N", 2]),
        ],
        ml_opset=1,
    )
    save(
        "feature_vectorizer",
        model,
        {"a": a, "b": b, "c": c, "i": i, "j": j, "d": d},
        "hand-built FeatureVectorizer x3 (inputs of one node share a type): FP32 widths [3,1,2] "
        "then Scaler with per-column offset/scale; INT64 widths [2,3]; FP64 width [2]",
    )

    # Scaler with one offset/scale for all columns over INT64 input; Imputer variants.
    xi = rng.randint(-10, 10, size=(ROWS, 4)).astype(np.int64)
    model = hand_model(
        [ml_node("Scaler", ["X"], ["Y"], offset=[2.5], scale=[0.125])],
        [("X", TensorProto.INT64, ["N", 4])],
        [("Y", TensorProto.FLOAT, ["N", 4])],
        ml_opset=1,
    )
    save(
        "scaler_broadcast_int64",
        model,
        {"X": xi},
        "hand-built Scaler(offset=[2.5], scale=[0.125]) broadcast over INT64 [N,4]",
    )

    xf = with_nan(rng.randn(ROWS, 3).astype(np.float32), 0.2, 12)
    xi = rng.randint(-1, 4, size=(ROWS, 3)).astype(np.int64)
    nodes = [
        ml_node("Imputer", ["xf"], ["yf"], imputed_value_floats=[42.0], replaced_value_float=float("nan")),
        ml_node("Imputer", ["xi"], ["yi"], imputed_value_int64s=[100, 200, 300], replaced_value_int64=-1),
    ]
    model = hand_model(
        nodes,
        [("xf", TensorProto.FLOAT, ["N", 3]), ("xi", TensorProto.INT64, ["N", 3])],
        [("yf", TensorProto.FLOAT, ["N", 3]), ("yi", TensorProto.INT64, ["N", 3])],
        ml_opset=1,
    )
    save(
        "imputer_hand",
        model,
        {"xf": xf, "xi": xi},
        "hand-built Imputer x2: FP32 NaN -> one broadcast value 42; INT64 -1 -> per-column "
        "[100,200,300]; ~20% NaN",
    )


def linear_hand_models():
    """LinearClassifier / LinearRegressor attribute variants no converter here emits."""
    rng = np.random.RandomState(13)
    x = rng.randn(ROWS, 4).astype(np.float32)
    coef3 = rng.randn(3, 4).round(3)
    icpt3 = rng.randn(3).round(3)

    def classifier(name, labels, post, coef, icpt, multi_class=0, what=""):
        kw = {"classlabels_strings": labels} if isinstance(labels[0], str) else {"classlabels_ints": labels}
        label_type = TensorProto.STRING if isinstance(labels[0], str) else TensorProto.INT64
        n_scores = len(labels) if coef.shape[0] > 1 else 2
        node = ml_node(
            "LinearClassifier",
            ["X"],
            ["label", "scores"],
            coefficients=coef.ravel().tolist(),
            intercepts=icpt.tolist(),
            post_transform=post,
            multi_class=multi_class,
            **kw,
        )
        model = hand_model(
            [node],
            [("X", TensorProto.FLOAT, ["N", 4])],
            [("label", label_type, ["N"]), ("scores", TensorProto.FLOAT, ["N", n_scores])],
            ml_opset=1,
        )
        save(
            name,
            model,
            {"X": x},
            f"hand-built LinearClassifier {what}post_transform={post}, multi_class={multi_class}",
        )

    classifier(
        "linclf_strings_ovr",
        ["cat", "dog", "bird"],
        "NONE",
        coef3,
        icpt3,
        multi_class=1,
        what="classlabels_strings, 3 classes, ",
    )
    for post in ["LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"]:
        classifier(f"linclf_{post.lower()}", [7, 8, 9], post, coef3, icpt3, what="classlabels_ints=[7,8,9], ")
    # PROBIT is the inverse normal CDF: scores must lie in (0, 1).
    classifier(
        "linclf_probit",
        [7, 8, 9],
        "PROBIT",
        coef3 * 0.06,
        np.array([0.5, 0.5, 0.5]),
        what="classlabels_ints=[7,8,9], small coefficients so scores stay in (0, 1), ",
    )
    coef1, icpt1 = coef3[:1], icpt3[:1]
    for post in ["NONE", "LOGISTIC"]:
        classifier(
            f"linclf_binary_onerow_{post.lower()}",
            [0, 1],
            post,
            coef1,
            icpt1,
            what="one coefficient row, classlabels_ints=[0,1], ",
        )
    classifier(
        "linclf_binary_onerow_strings",
        ["no", "yes"],
        "NONE",
        coef1,
        icpt1,
        what="one coefficient row, classlabels_strings=[no,yes], ",
    )

    def regressor(name, targets, post):
        node = ml_node(
            "LinearRegressor",
            ["X"],
            ["Y"],
            coefficients=rng.randn(targets * 4).round(3).tolist(),
            intercepts=rng.randn(targets).round(3).tolist(),
            targets=targets,
            post_transform=post,
        )
        model = hand_model(
            [node],
            [("X", TensorProto.FLOAT, ["N", 4])],
            [("Y", TensorProto.FLOAT, ["N", targets])],
            ml_opset=1,
        )
        save(name, model, {"X": x}, f"hand-built LinearRegressor targets={targets}, post_transform={post}")

    # (onnxruntime implements LinearRegressor for float input only: no INT64/INT32/FP64 variant.)
    regressor("linreg_softmax", 3, "SOFTMAX")
    regressor("linreg_logistic", 2, "LOGISTIC")


# ---------------------------------------------------------------------------------------
# Hand-built tree ensembles
#
# A tree is ("leaf", [(target_or_class, weight), ...]) or
# ("node", mode, feature, threshold, members, missing_tracks_true, true_subtree, false_subtree).

V1_MODES = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"]
V5_MODE = {m: i for i, m in enumerate(V1_MODES + ["BRANCH_MEMBER"])}
V5_POST = {"NONE": 0, "SOFTMAX": 1, "LOGISTIC": 2, "SOFTMAX_ZERO": 3, "PROBIT": 4}
V5_AGGREGATE = {"AVERAGE": 0, "SUM": 1, "MIN": 2, "MAX": 3}
N_FEATURES = 5


def grid_rows(rng, n=ROWS, nan_fraction=0.0):
    """Rows on a half-integer grid in [0, 4.5], so thresholds and set members are hit
    exactly and the equal case of every comparison shows."""
    x = (rng.randint(0, 10, size=(n, N_FEATURES)) / 2).astype(np.float32)
    if nan_fraction:
        x = with_nan(x, nan_fraction, rng.randint(1 << 30))
    return x


def random_tree(rng, depth, modes, n_targets, one_target_per_leaf, missing=False, target=None):
    """A random tree; `target` fixes the one target of every leaf."""
    if depth == 0 or (depth < 3 and rng.rand() < 0.2):
        if target is not None:
            targets = [target]
        elif one_target_per_leaf:
            targets = [int(rng.randint(n_targets))]
        else:
            targets = range(n_targets)
        return ("leaf", [(t, float(np.float32(rng.uniform(-1, 1)))) for t in targets])
    mode = modes[rng.randint(len(modes))]
    feature = int(rng.randint(N_FEATURES))
    threshold = float(rng.randint(1, 9) / 2)
    members = []
    if mode == "BRANCH_MEMBER":
        # Never 0: the onnx reference implementation reads a 0 member as the end of a set.
        members = sorted(set((rng.randint(1, 10, size=rng.randint(1, 4)) / 2).tolist()))
        threshold = 0.0
    tracks = int(rng.rand() < 0.5) if missing else 0
    return (
        "node",
        mode,
        feature,
        threshold,
        members,
        tracks,
        random_tree(rng, depth - 1, modes, n_targets, one_target_per_leaf, missing, target),
        random_tree(rng, depth - 1, modes, n_targets, one_target_per_leaf, missing, target),
    )


def forest(
    seed, n_trees, depth, modes, n_targets, one_target_per_leaf=False, missing=False, target_per_tree=False
):
    """`target_per_tree`: all leaves of tree i go to target i % n_targets, so every row gets
    a value from some tree for every target."""
    rng = np.random.RandomState(seed)
    return [
        random_tree(
            rng,
            depth,
            modes,
            n_targets,
            one_target_per_leaf,
            missing,
            i % n_targets if target_per_tree else None,
        )
        for i in range(n_trees)
    ]


def v1_attrs(trees, classifier, tree_ids=None, node_id=lambda i: i, reorder=None):
    """TreeEnsembleRegressor/Classifier attributes (ai.onnx.ml opset 1), each tree's nodes in
    preorder. With `reorder` (a RandomState) the trees are listed last first and the leaf
    weight entries in random order. (onnxruntime 1.32 refuses nodes shuffled within a tree:
    "False node must always be the next node".)"""
    rows, leaves = [], []
    for t, tree in enumerate(trees):
        tid = t if tree_ids is None else tree_ids[t]
        counter = [0]

        def walk(sub):
            nid = node_id(counter[0])
            counter[0] += 1
            if sub[0] == "leaf":
                rows.append((tid, nid, 0, "LEAF", 0.0, 0, 0, 0))
                leaves.extend((tid, nid, k, w) for k, w in sub[1])
                return nid
            _, mode, feature, threshold, _, tracks, yes, no = sub
            at = len(rows)
            rows.append(None)
            yes_id = walk(yes)
            no_id = walk(no)
            rows[at] = (tid, nid, feature, mode, threshold, yes_id, no_id, tracks)
            return nid

        walk(tree)
    if reorder is not None:
        rows.sort(key=lambda r: -r[0])  # stable: preorder kept within each tree
        leaves = [leaves[i] for i in reorder.permutation(len(leaves))]
    cols = list(zip(*rows))
    attrs = {
        "nodes_treeids": list(cols[0]),
        "nodes_nodeids": list(cols[1]),
        "nodes_featureids": list(cols[2]),
        "nodes_modes": list(cols[3]),
        "nodes_values": list(cols[4]),
        "nodes_truenodeids": list(cols[5]),
        "nodes_falsenodeids": list(cols[6]),
    }
    if any(cols[7]):
        attrs["nodes_missing_value_tracks_true"] = list(cols[7])
    prefix = "class" if classifier else "target"
    lcols = list(zip(*leaves))
    attrs.update(
        {
            f"{prefix}_treeids": list(lcols[0]),
            f"{prefix}_nodeids": list(lcols[1]),
            f"{prefix}_ids": list(lcols[2]),
            f"{prefix}_weights": list(lcols[3]),
        }
    )
    return attrs


def v5_attrs(trees, n_targets, dtype=np.float32):
    """TreeEnsemble attributes (ai.onnx.ml opset 5); every leaf has exactly one target.
    A tree that is only a leaf becomes one node whose two branches are that leaf."""
    nodes, leaf_targets, leaf_weights, roots, members = [], [], [], [], []

    def leaf(sub):
        ((target, weight),) = sub[1]
        leaf_targets.append(target)
        leaf_weights.append(weight)
        return len(leaf_targets) - 1

    def walk(sub):
        _, mode, feature, threshold, member_list, tracks, yes, no = sub
        at = len(nodes)
        nodes.append(None)
        if mode == "BRANCH_MEMBER":
            members.extend(member_list + [float("nan")])
        out = []
        for child in (yes, no):
            out.append((leaf(child), 1) if child[0] == "leaf" else (walk(child), 0))
        nodes[at] = (V5_MODE[mode], feature, threshold, out[0][0], out[0][1], out[1][0], out[1][1], tracks)
        return at

    for tree in trees:
        roots.append(len(nodes))
        if tree[0] == "leaf":
            i = leaf(tree)
            nodes.append((V5_MODE["BRANCH_LEQ"], 0, 0.0, i, 1, i, 1, 0))
        else:
            walk(tree)
    cols = list(zip(*nodes))
    attrs = {
        "n_targets": n_targets,
        "tree_roots": roots,
        "nodes_modes": numpy_helper.from_array(np.array(cols[0], dtype=np.uint8), "nodes_modes"),
        "nodes_featureids": list(cols[1]),
        "nodes_splits": numpy_helper.from_array(np.array(cols[2], dtype=dtype), "nodes_splits"),
        "nodes_truenodeids": list(cols[3]),
        "nodes_trueleafs": list(cols[4]),
        "nodes_falsenodeids": list(cols[5]),
        "nodes_falseleafs": list(cols[6]),
        "leaf_targetids": leaf_targets,
        "leaf_weights": numpy_helper.from_array(np.array(leaf_weights, dtype=dtype), "leaf_weights"),
    }
    if any(cols[7]):
        attrs["nodes_missing_value_tracks_true"] = list(cols[7])
    if members:
        attrs["membership_values"] = numpy_helper.from_array(
            np.array(members, dtype=dtype), "membership_values"
        )
    return attrs


def parse_v1(attrs, classifier):
    """The trees of a TreeEnsembleRegressor/Classifier node's attributes, as tree tuples.
    Only SUM aggregation is carried over (what the converters here emit)."""
    assert attrs.get("aggregate_function", b"SUM") == b"SUM"
    values = attrs.get("nodes_values")
    if values is None:
        values = numpy_helper.to_array(attrs["nodes_values_as_tensor"]).tolist()
    tracks = attrs.get("nodes_missing_value_tracks_true") or [0] * len(values)
    prefix = "class" if classifier else "target"
    weights = attrs.get(f"{prefix}_weights")
    node = {}
    for i, key in enumerate(zip(attrs["nodes_treeids"], attrs["nodes_nodeids"])):
        mode = attrs["nodes_modes"][i]
        mode = mode.decode() if isinstance(mode, bytes) else mode
        node[key] = (
            mode,
            attrs["nodes_featureids"][i],
            float(values[i]),
            attrs["nodes_truenodeids"][i],
            attrs["nodes_falsenodeids"][i],
            tracks[i],
        )
    leaf = {}
    for t, n, k, w in zip(
        attrs[f"{prefix}_treeids"], attrs[f"{prefix}_nodeids"], attrs[f"{prefix}_ids"], weights
    ):
        leaf.setdefault((t, n), []).append((k, float(w)))

    def build(t, n):
        mode, feature, threshold, yes, no, track = node[(t, n)]
        if mode == "LEAF":
            return ("leaf", leaf.get((t, n), []))
        return ("node", mode, feature, threshold, [], track, build(t, yes), build(t, no))

    trees = []
    for t in sorted(set(attrs["nodes_treeids"])):
        children = {c for (tt, _), v in node.items() if tt == t for c in (v[3], v[4]) if v[0] != "LEAF"}
        (root,) = [n for (tt, n) in node if tt == t and n not in children]
        trees.append(build(t, root))
    return trees


def te_v1_regressor(name, trees, n_targets, what, aggregate="SUM", post="NONE", base=None, x=None, **v1_kw):
    attrs = v1_attrs(trees, False, **v1_kw)
    attrs.update(n_targets=n_targets, aggregate_function=aggregate, post_transform=post)
    if base is not None:
        attrs["base_values"] = base
    node = ml_node("TreeEnsembleRegressor", ["X"], ["Y"], **attrs)
    model = hand_model(
        [node],
        [("X", TensorProto.FLOAT, ["N", N_FEATURES])],
        [("Y", TensorProto.FLOAT, ["N", n_targets])],
        ml_opset=1,
    )
    extra = f", base_values={base}" if base is not None else ""
    save(
        name,
        model,
        {"X": x},
        f"hand-built TreeEnsembleRegressor {what}, n_targets={n_targets}, "
        f"aggregate_function={aggregate}, post_transform={post}{extra}",
    )


def te_v1_classifier(name, trees, labels, what, post="NONE", base=None, x=None):
    attrs = v1_attrs(trees, True)
    key = "classlabels_strings" if isinstance(labels[0], str) else "classlabels_int64s"
    attrs.update({key: labels, "post_transform": post})
    if base is not None:
        attrs["base_values"] = base
    node = ml_node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"], **attrs)
    label_type = TensorProto.STRING if isinstance(labels[0], str) else TensorProto.INT64
    model = hand_model(
        [node],
        [("X", TensorProto.FLOAT, ["N", N_FEATURES])],
        [("label", label_type, ["N"]), ("probabilities", TensorProto.FLOAT, ["N", len(labels)])],
        ml_opset=1,
    )
    extra = f", base_values={base}" if base is not None else ""
    save(
        name,
        model,
        {"X": x},
        f"hand-built TreeEnsembleClassifier {what}, {key}={labels}, " f"post_transform={post}{extra}",
    )


def tree_hand_models():
    rng = np.random.RandomState(17)
    x = grid_rows(rng)
    mixed = "5 trees depth 4, mixed modes LEQ/LT/GTE/GT/EQ/NEQ"

    # One model per comparison mode.
    for i, mode in enumerate(V1_MODES):
        short = mode.split("_")[1].lower()
        te_v1_regressor(
            f"te_mode_{short}",
            forest(100 + i, 4, 4, [mode], 1),
            1,
            f"4 trees depth 4, every node {mode}",
            x=x,
        )

    # Aggregates (2 targets, base values) and post transforms of the regressor.
    trees2 = forest(21, 5, 4, V1_MODES, 2)
    for aggregate in ["SUM", "AVERAGE", "MIN", "MAX"]:
        te_v1_regressor(
            f"te_reg_{aggregate.lower()}", trees2, 2, mixed, aggregate=aggregate, base=[0.25, -0.5], x=x
        )
    trees3 = forest(22, 5, 4, V1_MODES, 3)
    for post in ["SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO"]:
        te_v1_regressor(f"te_reg_{post.lower()}", trees3, 3, mixed, post=post, x=x)
    te_v1_regressor(
        "te_reg_probit",
        probit_safe(forest(23, 5, 4, V1_MODES, 1)),
        1,
        mixed + ", leaf weights in (0, 0.2] so sums stay in (0, 1)",
        post="PROBIT",
        x=x,
    )

    # Node order shuffled, tree ids and node ids sparse.
    te_v1_regressor(
        "te_reg_reordered",
        trees2 + [("leaf", [(0, 0.5), (1, -0.25)])],
        2,
        mixed + " plus a single-leaf tree, tree ids 3,7,..,23 listed last first, node "
        "ids 2i+1, target entries in random order",
        x=x,
        tree_ids=[3 + 4 * i for i in range(6)],
        node_id=lambda i: 2 * i + 1,
        reorder=np.random.RandomState(5),
    )
    # (onnxruntime implements TreeEnsembleRegressor for float and double input only.)
    xn = grid_rows(np.random.RandomState(18), nan_fraction=0.2)
    # No BRANCH_NEQ where NaN comes in (see tree_ensemble_missing).
    te_v1_regressor(
        "te_reg_missing",
        forest(24, 5, 4, [m for m in V1_MODES if m != "BRANCH_NEQ"], 1, missing=True),
        1,
        "5 trees depth 4, modes LEQ/LT/GTE/GT/EQ, nodes_missing_value_tracks_true on half "
        "the nodes, ~20% NaN",
        x=xn,
    )

    # Classifiers.
    trees_c = forest(31, 5, 4, V1_MODES, 3)
    for post in ["NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO"]:
        te_v1_classifier(f"te_clf_{post.lower()}", trees_c, [10, 20, 30], mixed, post=post, x=x)
    te_v1_classifier(
        "te_clf_probit",
        probit_safe(trees_c),
        [10, 20, 30],
        mixed + ", leaf weights in (0, 0.2] so sums stay in (0, 1)",
        post="PROBIT",
        x=x,
    )
    te_v1_classifier(
        "te_clf_base_values", trees_c, [10, 20, 30], mixed, post="SOFTMAX", base=[0.1, -0.2, 0.3], x=x
    )
    te_v1_classifier("te_clf_strings", trees_c, ["cat", "dog", "bird"], mixed, x=x)

    # Binary: one weight column (class_ids all 0) for two labels, and two columns.
    one_col = forest(32, 5, 4, V1_MODES, 1)
    positive = probit_safe(one_col)  # weights in (0, 0.2]: sums on both sides of 0.5
    for post, base in [("NONE", None), ("NONE", [0.2]), ("LOGISTIC", None), ("LOGISTIC", [-0.3])]:
        suffix = f"{post.lower()}{'_base' if base else ''}"
        te_v1_classifier(
            f"te_clf_binary_onecol_{suffix}",
            one_col,
            [0, 1],
            "5 trees, one weight column (class_ids all 0), weights in [-1, 1]",
            post=post,
            base=base,
            x=x,
        )
    te_v1_classifier(
        "te_clf_binary_onecol_positive",
        positive,
        [0, 1],
        "5 trees, one weight column (class_ids all 0), weights in (0, 0.2]",
        x=x,
    )
    te_v1_classifier(
        "te_clf_binary_onecol_strings",
        positive,
        ["no", "yes"],
        "5 trees, one weight column (class_ids all 0), weights in (0, 0.2]",
        x=x,
    )
    te_v1_classifier(
        "te_clf_binary_twocol",
        forest(33, 5, 4, V1_MODES, 2),
        [0, 1],
        "5 trees, two weight columns (onnxruntime picks the label from the class-1 score "
        "alone, not by argmax)",
        post="LOGISTIC",
        x=x,
    )


def probit_safe(trees):
    """Leaf weights mapped into (0, 1/n_trees), so any sum over the trees lies in (0, 1),
    where PROBIT (the inverse normal CDF) is finite."""
    scale = 1.0 / (len(trees) * 1.02)

    def walk(tree):
        if tree[0] == "leaf":
            return ("leaf", [(k, float(np.float32((abs(w) + 0.01) * scale))) for k, w in tree[1]])
        return tree[:6] + (walk(tree[6]), walk(tree[7]))

    return [walk(t) for t in trees]


def te_v5(
    name,
    trees,
    n_targets,
    what,
    aggregate="SUM",
    post="NONE",
    x=None,
    dtype=np.float32,
    extra_nodes=(),
    extra_outputs=(),
):
    attrs = v5_attrs(trees, n_targets, dtype)
    attrs.update(aggregate_function=V5_AGGREGATE[aggregate], post_transform=V5_POST[post])
    onnx_type = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
    node = ml_node("TreeEnsemble", ["X"], ["Y"], **attrs)
    model = hand_model(
        [node, *extra_nodes],
        [("X", onnx_type, ["N", x.shape[1]])],
        [("Y", onnx_type, ["N", n_targets]), *extra_outputs],
        ml_opset=5,
        default_opset=21,
    )
    save(
        name,
        model,
        {"X": x},
        f"{what}, TreeEnsemble n_targets={n_targets}, aggregate_function={aggregate}, "
        f"post_transform={post}",
    )


def tree_ensemble_v5_models():
    # From a fitted forest: the skl2onnx TreeEnsembleRegressor rewritten into TreeEnsemble.
    x, y = dataset(load_diabetes)
    xt, xs, yt, _ = split(x, y)
    rf = RandomForestRegressor(n_estimators=10, max_depth=6, random_state=0).fit(xt, yt)
    a = attr_dict(one_node(convert(rf, xt)[0], "TreeEnsembleRegressor"))
    te_v5(
        "tree_ensemble_v5",
        parse_v1(a, False),
        1,
        "RandomForestRegressor(n_estimators=10, max_depth=6), diabetes; skl2onnx "
        "TreeEnsembleRegressor attributes rewritten as TreeEnsemble",
        x=xs,
    )

    # From HistGradientBoosting with NaN: missing tracking, and the base value as a one-leaf tree.
    xtn, xsn = with_nan(xt, 0.1, 7), with_nan(xs, 0.1, 8)
    hgb = HistGradientBoostingRegressor(max_iter=20, max_depth=5, random_state=0).fit(xtn, yt)
    a = attr_dict(one_node(convert(hgb, xtn)[0], "TreeEnsembleRegressor"))
    base = a.get("base_values", [0.0])
    trees = parse_v1(a, False) + [("leaf", [(0, float(base[0]))])]
    te_v5(
        "tree_ensemble_v5_missing",
        trees,
        1,
        "HistGradientBoostingRegressor(max_iter=20, max_depth=5), diabetes with ~10% NaN; skl2onnx "
        "TreeEnsembleRegressor rewritten as TreeEnsemble (nodes_missing_value_tracks_true kept, "
        "base_values as a last single-leaf tree)",
        x=xsn,
    )

    # From a multiclass gradient boosting: one tree per class and round, base values as
    # one-leaf trees, then Softmax and ArgMax. (Not post_transform=SOFTMAX: see below.)
    x, y = dataset(load_wine)
    xt, xs, yt, _ = split(x, y)
    gb = GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0).fit(xt, yt)
    a = attr_dict(one_node(convert(gb, xt, classifier=True)[0], "TreeEnsembleClassifier"))
    # Here the one-leaf trees come first (the HistGradientBoosting one above has its last).
    trees = [("leaf", [(k, float(b))]) for k, b in enumerate(a["base_values"])] + parse_v1(a, True)
    extra = [
        helper.make_node("Softmax", ["Y"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["Y"], ["label"], axis=1, keepdims=0),
    ]
    te_v5(
        "tree_ensemble_v5_classifier",
        trees,
        3,
        "GradientBoostingClassifier(n_estimators=10, max_depth=3), wine; skl2onnx "
        "TreeEnsembleClassifier rewritten as TreeEnsemble (base_values as 3 single-leaf trees, "
        "first) + Softmax + ArgMax",
        x=xs,
        extra_nodes=extra,
        extra_outputs=[("probabilities", TensorProto.FLOAT, ["N", 3]), ("label", TensorProto.INT64, ["N"])],
    )

    # Hand-built: set membership next to every other mode.
    rng = np.random.RandomState(41)
    x = grid_rows(rng)
    all_modes = V1_MODES + ["BRANCH_MEMBER"] * 3
    member = (
        "hand-built, 6 trees depth 4, modes LEQ/LT/GTE/GT/EQ/NEQ/MEMBER (membership_values NaN-separated)"
    )
    trees = forest(42, 6, 4, all_modes, 1, one_target_per_leaf=True)
    te_v5("tree_ensemble_member", trees, 1, member, x=x)
    trees2 = forest(43, 6, 4, all_modes, 2, one_target_per_leaf=True)
    for aggregate in ["SUM", "AVERAGE"]:
        te_v5(
            f"tree_ensemble_{aggregate.lower()}",
            trees2,
            2,
            member + ", leaves spread over 2 targets " "at random (a row may get nothing for a target)",
            aggregate=aggregate,
            x=x,
        )
    # MIN/MAX of no value at all is left open by the spec (onnxruntime writes 0, the onnx
    # reference +-FLT_MAX): each tree here feeds one target, so every target gets values.
    trees2 = forest(43, 6, 4, all_modes, 2, one_target_per_leaf=True, target_per_tree=True)
    for aggregate in ["MIN", "MAX"]:
        te_v5(
            f"tree_ensemble_{aggregate.lower()}",
            trees2,
            2,
            member + ", trees alternate between 2 targets",
            aggregate=aggregate,
            x=x,
        )
    # post_transform SOFTMAX (1) and LOGISTIC (2) are left out: onnxruntime 1.32 applies
    # them swapped on several targets and not at all on one target (its issue #26596).
    trees3 = forest(44, 6, 4, all_modes, 3, one_target_per_leaf=True)
    te_v5(
        "tree_ensemble_softmax_zero",
        trees3,
        3,
        member + ", leaves spread over 3 targets at random, " "so some scores are exactly 0",
        post="SOFTMAX_ZERO",
        x=x,
    )
    te_v5(
        "tree_ensemble_probit",
        probit_safe(trees),
        1,
        member + ", leaf weights in (0, 0.2]",
        post="PROBIT",
        x=x,
    )
    for i, mode in enumerate(V1_MODES + ["BRANCH_MEMBER"]):
        short = mode.split("_")[1].lower()
        te_v5(
            f"tree_ensemble_mode_{short}",
            forest(50 + i, 4, 4, [mode], 1, one_target_per_leaf=True),
            1,
            f"hand-built, 4 trees depth 4, every node {mode}",
            x=x,
        )
    te_v5(
        "tree_ensemble_double",
        forest(45, 6, 4, all_modes, 2, one_target_per_leaf=True),
        2,
        member + ", FP64 input, splits/weights/members as double tensors",
        x=x.astype(np.float64),
        dtype=np.float64,
    )
    xn = grid_rows(np.random.RandomState(46), nan_fraction=0.2)
    # No BRANCH_NEQ where NaN comes in: onnxruntime sends NaN != t down the true branch even
    # when the node does not track missing values, the onnx reference down the false one.
    no_neq = [m for m in all_modes if m != "BRANCH_NEQ"]
    te_v5(
        "tree_ensemble_missing",
        forest(47, 6, 4, no_neq, 1, one_target_per_leaf=True, missing=True),
        1,
        member.replace("/NEQ", "") + ", nodes_missing_value_tracks_true on half the nodes, ~20% NaN",
        x=xn,
    )


# ---------------------------------------------------------------------------------------


def main():
    for folder in (ML, UNSUPPORTED):
        shutil.rmtree(folder, ignore_errors=True)
    linear_models()
    column_transformer_models()
    encoder_models()
    linear_hand_models()
    svm_models()
    tree_models()
    boosting_models()
    tree_hand_models()
    tree_ensemble_v5_models()

    print()
    for name, ops, shapes, kb in SUMMARY:
        print(f"{name:34s} {kb:8.1f} KB  {shapes}  {', '.join(ops)}")
    total = sum(kb for *_, kb in SUMMARY)
    print(f"\n{len(SUMMARY)} models, {total / 1024:.2f} MB of model files")
    for name, reason in SKIPPED:
        print(f"skipped {name}: {reason}")
    print()
    for line in AGREEMENT:
        print(line)


if __name__ == "__main__":
    # Converters iterate over sets of strings here and there: fix the hash seed so that
    # every run writes the same bytes.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    main()
