#!/usr/bin/env python3
"""Drives a running Warden with the KServe Python SDK's REST client, unchanged, over TLS.

Usage: kserve_check.py HOST:PORT CA_CERT API_KEY
Checks health, model readiness, v2 inference (JSON and binary tensors) and v1 predict
against onnxruntime's recorded outputs. Prints 'N passed, M failed'; exits non-zero on failure.
"""
import asyncio
import json
import os
import sys

import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig

from checks import Tally

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "..", "crates", "warden", "tests", "fixtures", "reference", "digits_v1.json")

tally = Tally()
check = tally.check


async def main():
    host, ca, key = sys.argv[1], sys.argv[2], sys.argv[3]
    base = f"https://{host}"
    headers = {"Authorization": f"Bearer {key}"}
    with open(REFERENCE) as f:
        ref = json.load(f)
    x = np.array(ref["inputs"], dtype=np.float32)

    v2 = InferenceRESTClient(RESTConfig(protocol="v2", verify=ca, http2=True))
    check("is_server_live", await v2.is_server_live(base))
    check("is_server_ready", await v2.is_server_ready(base))
    check("is_model_ready", await v2.is_model_ready(base, "default", headers=headers))

    for binary in (False, True):
        inp = InferInput("X", list(x.shape), "FP32")
        inp.set_data_from_numpy(x, binary_data=binary)
        res = await v2.infer(base, InferRequest("default", [inp], request_id="ks"), model_name="default", headers=headers)
        outputs = {o.name: o.as_numpy() for o in res.outputs}
        check(f"v2 infer labels (binary={binary})", outputs["label"].tolist() == ref["label"], outputs["label"])
        check(
            f"v2 infer probabilities (binary={binary})",
            np.allclose(outputs["probabilities"], np.array(ref["probabilities"]), atol=1e-5),
        )
        check(f"v2 infer id echoed (binary={binary})", res.id == "ks", res.id)
    await v2.close()

    v1 = InferenceRESTClient(RESTConfig(protocol="v1", verify=ca))
    res = await v1.infer(base, {"instances": x[:3].tolist()}, model_name="default", headers=headers)
    labels = [p["label"] for p in res["predictions"]]
    check("v1 predict", labels == ref["label"][:3], res)
    await v1.close()

    return tally.finish()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
