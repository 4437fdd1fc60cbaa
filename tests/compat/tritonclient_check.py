#!/usr/bin/env python3
"""Drives a running Warden with NVIDIA's tritonclient[http], unchanged, over TLS.

Usage: tritonclient_check.py HOST:PORT CA_CERT API_KEY
Checks health, metadata and inference (JSON and the binary tensor extension,
which tritonclient uses by default) against onnxruntime's recorded outputs.
Prints 'N passed, M failed' and exits non-zero on any failure.
"""
import json
import os
import sys

import numpy as np
import tritonclient.http as httpclient
from geventhttpclient.connectionpool import SSLConnectionPool  # noqa: F401  (fails early if gevent is missing)
import gevent.ssl

from checks import Tally

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "..", "crates", "warden", "tests", "fixtures", "reference", "digits_v1.json")

tally = Tally()
check = tally.check


def main():
    url, ca, key = sys.argv[1], sys.argv[2], sys.argv[3]

    def auth():
        # A fresh dict per call: tritonclient adds Inference-Header-Content-Length
        # to the dict it is given, which would leak into the next request.
        return {"Authorization": f"Bearer {key}"}

    client = httpclient.InferenceServerClient(
        url=url,
        ssl=True,
        ssl_context_factory=lambda: gevent.ssl.create_default_context(cafile=ca),
    )
    with open(REFERENCE) as f:
        ref = json.load(f)
    x = np.array(ref["inputs"], dtype=np.float32)

    check("is_server_live", client.is_server_live())
    check("is_server_ready", client.is_server_ready())
    check("is_model_ready", client.is_model_ready("default", headers=auth()))
    meta = client.get_server_metadata(headers=auth())
    check("server metadata", meta["name"] == "warden", meta)
    mmeta = client.get_model_metadata("default", headers=auth())
    check("model metadata", mmeta["inputs"][0] == {"name": "X", "datatype": "FP32", "shape": [-1, 64]}, mmeta)

    for binary in (True, False):
        inp = httpclient.InferInput("X", list(x.shape), "FP32")
        inp.set_data_from_numpy(x, binary_data=binary)
        outs = [
            httpclient.InferRequestedOutput("label", binary_data=binary),
            httpclient.InferRequestedOutput("probabilities", binary_data=binary),
        ]
        res = client.infer("default", [inp], outputs=outs, request_id="compat", headers=auth())
        label = res.as_numpy("label")
        probs = res.as_numpy("probabilities")
        check(f"infer labels (binary={binary})", label.tolist() == ref["label"], label)
        check(
            f"infer probabilities (binary={binary})",
            np.allclose(probs, np.array(ref["probabilities"]), atol=1e-5),
        )
        check(f"infer id echoed (binary={binary})", res.get_response()["id"] == "compat")

    # Default request: no outputs named, binary input (tritonclient's default path).
    inp = httpclient.InferInput("X", [2, 64], "FP32")
    inp.set_data_from_numpy(x[:2])
    res = client.infer("default", [inp], model_version="1", headers=auth())
    check("infer with version, all outputs", res.as_numpy("label").tolist() == ref["label"][:2])

    try:
        client.infer("default", [inp])
        check("infer without key is refused", False)
    except httpclient.InferenceServerException as e:
        check("infer without key is refused", e.status() == "401" or "401" in str(e) or "credentials" in str(e), e)

    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
