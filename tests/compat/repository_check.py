#!/usr/bin/env python3
"""Drives Warden's model repository extension with NVIDIA's tritonclient[http], unchanged.

Usage: repository_check.py HOST:PORT CA_CERT ADMIN_KEY MODEL
Lists the repository index, unloads MODEL, checks it is gone, loads it back, and checks
that loading a model the repository does not hold fails with the reason.
Prints 'N passed, M failed' and exits non-zero on any failure.
"""
import sys

import gevent.ssl
import tritonclient.http as httpclient

from checks import Tally

tally = Tally()
check = tally.check


def main():
    url, ca, key, model = sys.argv[1:5]

    def auth():
        return {"Authorization": f"Bearer {key}"}

    client = httpclient.InferenceServerClient(
        url=url, ssl=True, ssl_context_factory=lambda: gevent.ssl.create_default_context(cafile=ca)
    )
    index = client.get_model_repository_index(headers=auth())
    names = {e["name"] for e in index}
    check("index lists the model", model in names, index)
    check("index entries are READY", all(e["state"] == "READY" for e in index), index)

    client.unload_model(model, headers=auth())
    check("unloaded model is not ready", not client.is_model_ready(model, headers=auth()))
    client.load_model(model, headers=auth())
    check("loaded model is ready again", client.is_model_ready(model, headers=auth()))

    try:
        client.load_model("no_such_model", headers=auth())
        check("loading a missing model fails", False)
    except httpclient.InferenceServerException as e:
        check("loading a missing model fails", "no such model" in str(e), e)
    try:
        client.get_model_repository_index()
        check("the index needs a key", False)
    except httpclient.InferenceServerException as e:
        check("the index needs a key", "401" in str(e.status()) or "credentials" in str(e), e)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
