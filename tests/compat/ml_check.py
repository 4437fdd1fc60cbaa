#!/usr/bin/env python3
"""Drives a running Warden that serves the scikit-learn / gradient-boosting fixture
set (crates/warden/tests/fixtures/ml_models) with NVIDIA's tritonclient[http],
unchanged, over TLS, and compares every output of every model with onnxruntime's
recorded answer: labels and integers exactly, floats within 1e-5 relative (1e-6
absolute near zero).

Usage: ml_check.py HOST:PORT CA_CERT API_KEY FIXTURE_DIR
Each model is asked twice: with JSON tensors and with the binary tensor extension
(only the latter for inputs with missing values: JSON cannot spell NaN).
Prints 'N passed, M failed' and exits non-zero on any failure.
"""
import json
import os
import sys

import gevent.ssl
import numpy as np
import tritonclient.http as httpclient

from checks import Tally

tally = Tally()
check = tally.check

NUMPY = {
    "FP32": np.float32,
    "FP64": np.float64,
    "INT64": np.int64,
    "INT32": np.int32,
    "BOOL": np.bool_,
    "BYTES": np.object_,
}


def array(t):
    dt = NUMPY[t["datatype"]]
    if t["datatype"] == "BYTES":
        return np.array([s.encode() for s in t["data"]], dtype=np.object_).reshape(t["shape"])
    data = [np.nan if v is None else v for v in t["data"]]
    return np.array(data, dtype=dt).reshape(t["shape"])


def same(got, want, datatype):
    if got.shape != want.shape:
        return False, f"shape {got.shape}, onnxruntime {want.shape}"
    if datatype in ("FP32", "FP64"):
        g, w = got.astype(np.float64), want.astype(np.float64)
        close = np.abs(g - w) <= np.maximum(1e-6, 1e-5 * np.abs(w))
        close |= np.isnan(g) & np.isnan(w)
        if not close.all():
            i = int(np.argmin(close.ravel()))
            return False, f"element {i}: {g.ravel()[i]}, onnxruntime {w.ravel()[i]}"
        return True, ""
    if datatype == "BYTES":
        # JSON answers decode to str, binary ones stay bytes.
        got = np.vectorize(lambda v: v.decode() if isinstance(v, bytes) else v, otypes=[object])(got)
        want = np.vectorize(lambda v: v.decode(), otypes=[object])(want)
    ok = np.array_equal(got, want)
    return ok, "" if ok else f"{got.ravel()[:8]}, onnxruntime {want.ravel()[:8]}"


def main():
    url, ca, key, fixtures = sys.argv[1:5]
    client = httpclient.InferenceServerClient(
        url=url, ssl=True, ssl_context_factory=lambda: gevent.ssl.create_default_context(cafile=ca)
    )
    names = sorted(n for n in os.listdir(fixtures) if os.path.isfile(os.path.join(fixtures, n, "cases.json")))
    check("fixture set present", len(names) >= 20, len(names))
    for name in names:
        with open(os.path.join(fixtures, name, "cases.json")) as f:
            case = json.load(f)
        check(f"{name} ready", client.is_model_ready(name, headers={"Authorization": f"Bearer {key}"}))
        # JSON has no NaN: rows with missing values travel as binary tensors only
        # (a JSON body with a bare NaN is refused with a 400, as it should be).
        has_nan = any(v is None for t in case["inputs"] for v in t["data"])
        for binary in (True,) if has_nan else (False, True):
            inputs = []
            for t in case["inputs"]:
                inp = httpclient.InferInput(t["name"], t["shape"], t["datatype"])
                inp.set_data_from_numpy(array(t), binary_data=binary)
                inputs.append(inp)
            outputs = [httpclient.InferRequestedOutput(t["name"], binary_data=binary) for t in case["outputs"]]
            try:
                res = client.infer(name, inputs, outputs=outputs, headers={"Authorization": f"Bearer {key}"})
            except Exception as e:  # noqa: BLE001 - any client error is a failed check
                check(f"{name} infer (binary={binary})", False, e)
                continue
            for t in case["outputs"]:
                got = res.as_numpy(t["name"])
                want = array(t)
                ok, detail = (False, "missing") if got is None else same(got, want, t["datatype"])
                check(f"{name} {t['name']} (binary={binary})", ok, detail)
    client.close()
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
