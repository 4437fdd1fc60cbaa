#!/usr/bin/env python3
"""Drives a running Warden (default limits: 4 MiB bodies) with the clients an
outside review used, to check that early answers reach clients still sending a
large body (docs/reliability.md, point 4) and that compressed bodies work.

Usage: hostile_check.py HOST:PORT CA_CERT API_KEY
Python requests sends the whole body before it reads the answer, so a server that
answers and closes without reading gives it a reset instead of the status.
Prints 'N passed, M failed' and exits non-zero on any failure.
"""
import sys

import gevent.ssl
import numpy as np
import requests
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from checks import Tally

tally = Tally()
check = tally.check


def post(url, ca, body, key=None):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        r = requests.post(url, data=body, headers=headers, verify=ca, timeout=30)
        return r.status_code, r.json().get("error", "")
    except requests.exceptions.RequestException as e:
        return 0, type(e).__name__


def main():
    url, ca, key = sys.argv[1], sys.argv[2], sys.argv[3]
    base = f"https://{url}"
    infer = f"{base}/v2/models/default/infer"
    cases = [
        ("5 MB body over the limit", infer, b" " * (5 << 20), key, 413),
        ("3 MB body without a key", infer, b" " * (3 << 20), None, 401),
        ("200 KB body to an unknown model", f"{base}/v2/models/nope/infer", b" " * (200 << 10), key, 404),
    ]
    for name, target, body, k, expected in cases:
        got = [post(target, ca, body, k) for _ in range(6)]
        statuses = [s for s, _ in got]
        check(f"requests: {name} is {expected} (6 of 6)", statuses == [expected] * 6, got)

    def auth():
        return {"Authorization": f"Bearer {key}"}

    client = httpclient.InferenceServerClient(
        url=url, ssl=True, ssl_context_factory=lambda: gevent.ssl.create_default_context(cafile=ca)
    )
    big = httpclient.InferInput("X", [1, 1100000], "FP32")
    big.set_data_from_numpy(np.zeros((1, 1100000), dtype=np.float32))
    try:
        client.infer("default", [big], headers=auth())
        check("tritonclient: a 4.4 MB tensor is refused", False, "it was accepted")
    except InferenceServerException as e:
        check("tritonclient: a 4.4 MB tensor gets 413", "413" in str(e.status()) or "over the limit" in str(e), e)

    x = np.ones((2, 64), dtype=np.float32)
    for algorithm in ("gzip", "deflate"):
        inp = httpclient.InferInput("X", [2, 64], "FP32")
        inp.set_data_from_numpy(x)
        try:
            res = client.infer("default", [inp], headers=auth(), request_compression_algorithm=algorithm)
            check(f"tritonclient: {algorithm} request", res.as_numpy("label").shape == (2,))
        except InferenceServerException as e:
            check(f"tritonclient: {algorithm} request", False, e)

    sys.exit(tally.finish())


if __name__ == "__main__":
    main()
