#!/usr/bin/env python3
"""Writes real HDF5 files the way legacy Keras (`model.save("m.h5")`) stores a model's
config: a `model_config` attribute holding JSON. They are committed; make_corpus.py copies
them into the corpus with their verdicts, so neither the tests nor make_corpus.py need h5py.

Needs h5py and numpy (python3 -m venv v && v/bin/pip install h5py). Nothing here imports
Keras or runs a model: the configs are written as Keras 2 would write them.

Run from anywhere: python3 crates/warden-scan/tests/h5py/make_h5py.py
"""

import json
import os

import h5py
import numpy as np

OUT = os.path.dirname(os.path.abspath(__file__))
# base64 of marshal.dumps of a lambda's code, as Keras' func_dump writes it (never loaded).
BYTECODE = "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAQAAAHIBAAAA\n"


def dense(name, units=4):
    return {"class_name": "Dense", "config": {"name": name, "trainable": True, "dtype": "float32", "units": units,
                                              "activation": "relu", "use_bias": True}}


def lambda_layer(name):
    return {"class_name": "Lambda", "config": {"name": name, "trainable": True, "dtype": "float32",
                                               "function": [BYTECODE, None, None], "function_type": "lambda",
                                               "module": "__main__", "output_shape": None,
                                               "output_shape_type": "raw", "output_shape_module": None,
                                               "arguments": {}}}


def model(layers):
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}


def save(name, config, fixed=False, libver=None):
    """As tf.keras 2's save_model_to_hdf5: `json.dumps(config).encode()`, which h5py 3 stores
    as a variable-length string in a global heap and h5py 2 stored as a fixed-length string
    in the attribute message itself (`fixed`)."""
    path = os.path.join(OUT, name)
    with h5py.File(path, "w", libver=libver, track_order=False) as f:
        text = json.dumps(config).encode("utf8")
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = np.bytes_(text) if fixed else text
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [b"dense"]
        group = weights.create_group("dense/dense")
        group.create_dataset("kernel:0", data=np.arange(16, dtype="<f4").reshape(4, 4), track_times=False)


def main():
    layers = [dense("dense"), lambda_layer("lambda")]
    files = {
        "clean.h5": (model([dense("dense"), dense("dense_1")]), {}),
        "lambda.h5": (model(layers), {}),
        "lambda_fixed.h5": (model(layers), {"fixed": True}),
        # The newest attribute message version (3), unpadded.
        "lambda_fixed_v3.h5": (model(layers), {"fixed": True, "libver": "latest"}),
        # json.loads does not care about key order; a crafted file need not start with
        # `{"class_name"`.
        "lambda_reordered.h5": (reordered(model([reordered(layer) for layer in layers])), {}),
        # Larger than 64 KiB: stored in a collection of its own.
        "lambda_large.h5": (model([dense(f"dense_{i}") for i in range(700)] + [lambda_layer("late_lambda")]),
                            {"libver": "latest"}),
    }
    for name, (config, options) in files.items():
        save(name, config, **options)
        print(name, os.path.getsize(os.path.join(OUT, name)))


def reordered(obj):
    """The same object with its keys in reverse order."""
    return dict(reversed(list(obj.items())))


if __name__ == "__main__":
    main()
