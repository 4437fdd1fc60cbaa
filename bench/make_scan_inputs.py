#!/usr/bin/env python3
"""Inputs for bench/scan.sh: large model files for `warden scan`, picklescan and modelscan.

    python3 bench/make_scan_inputs.py [DIR]        default DIR: target/scan-bench/

Standard library only, deterministic (the same bytes on every run). A file already in DIR is
kept; each new one is written under a temporary name and renamed when complete, so an
interrupted run never leaves a short file behind.

  big.safetensors  about 1 GiB: a valid header, four 256 MiB F32 tensors of zeros.
  dense.pkl        about 103 MB, about 34 million opcodes: a protocol 4 pickle of a list of
                   4.5 million small ints, tuples, dicts and lists, with the opcodes a
                   pickled dataset is made of (MEMOIZE, BINGET, MARK, APPENDS, SETITEMS,
                   strings, floats, ints; over 1 million memo entries). No import at all:
                   a clean file.
  model.pt         about 330 MB: a PyTorch zip as torch.save writes it (archive/data.pkl at
                   protocol 2, tensors rebuilt by torch._utils._rebuild_tensor_v2 from
                   torch.FloatStorage persistent ids, archive/data/N raw storages stored
                   uncompressed, archive/byteorder, archive/version). Imports only what
                   every PyTorch checkpoint imports: a clean file.
  malicious.pkl    a few bytes: a protocol 4 pickle that calls os.system('echo pwned').
"""

import collections
import json
import os
import pickle
import struct
import sys
import types
import zipfile

CHUNK = 16 << 20
ZEROS = bytes(CHUNK)


def write_zeros(f, n):
    while n > 0:
        step = min(n, CHUNK)
        f.write(ZEROS[:step] if step < CHUNK else ZEROS)
        n -= step


def safetensors(f):
    """Four [8192, 8192] F32 tensors: 1 GiB of data after the header."""
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    sizes = []
    for i in range(4):
        nbytes = 8192 * 8192 * 4
        header[f"layers.{i}.weight"] = {"dtype": "F32", "shape": [8192, 8192], "data_offsets": [offset, offset + nbytes]}
        sizes.append(nbytes)
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    # The format pads the header with spaces so the data starts 8-byte aligned.
    text += b" " * (-len(text) % 8)
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for nbytes in sizes:
        write_zeros(f, nbytes)


def records(n):
    """Small values of the kinds a pickled dataset or config holds; strings repeat, so the
    pickle has BINGETs of memoized strings as well as fresh MEMOIZEs."""
    keys = ("id", "name", "score", "ok")
    tags = [f"t{j}" for j in range(977)]
    words = [f"w{j}" for j in range(131)]
    out = []
    for i in range(n):
        k = i % 4
        if k == 0:
            out.append(i)
        elif k == 1:
            out.append((i, i * 0.5, tags[i % 977]))
        elif k == 2:
            out.append({keys[0]: i, keys[1]: f"item-{i}", keys[2]: (i % 1000) / 7.0, keys[3]: i % 3 == 0})
        else:
            out.append([words[i % 131], i & 0xFFFF, None, (i, -i)])
    return out


def dense_pickle(f):
    # pickle.dump streams the frames to the file as it goes; the list itself is in memory
    # (about 1.2 GB at the peak of this script's run).
    pickle.dump(records(4_500_000), f, protocol=4)


class _Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class _Tensor:
    def __init__(self, storage, size):
        self.storage, self.size = storage, size

    def __reduce_ex__(self, protocol):
        stride = tuple(_prod(self.size[i + 1 :]) for i in range(len(self.size)))
        # torch.Tensor._reduce_ex_internal for a plain CPU tensor.
        return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.size), stride, False, collections.OrderedDict()))


def _prod(dims):
    p = 1
    for d in dims:
        p *= d
    return p


def _rebuild_tensor_v2(*args):
    raise RuntimeError("a stand-in: only its name is pickled")


class FloatStorage:
    """Stands in for torch.FloatStorage, so pickle writes the same GLOBAL."""


def _fake_torch():
    """pickle names a function or class by its module and qualified name and checks that the
    module has it: two stand-in modules give torch's names without torch installed."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")
    torch._utils = utils
    torch.FloatStorage = FloatStorage
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils


class _TorchPickler(pickle.Pickler):
    # torch.save's persistent_id for a storage.
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", FloatStorage, obj.key, "cpu", obj.numel)
        return None


def torch_zip(f):
    _fake_torch()
    shapes = [("embed.weight", (32000, 1024))]
    for i in range(6):
        shapes += [(f"layers.{i}.weight", (2048, 4096)), (f"layers.{i}.bias", (2048,))]
    state = collections.OrderedDict()
    for key, (name, size) in enumerate(shapes):
        state[name] = _Tensor(_Storage(str(key), _prod(size)), size)

    def info(name):
        zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_STORED
        return zi

    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        with z.open(info("archive/data.pkl"), "w") as member:
            _TorchPickler(member, protocol=2).dump(state)
        z.writestr(info("archive/byteorder"), b"little")
        for key, (name, size) in enumerate(shapes):
            with z.open(info(f"archive/data/{key}"), "w") as member:
                write_zeros(member, _prod(size) * 4)
        z.writestr(info("archive/version"), b"3\n")


def malicious(f):
    # PROTO 4, FRAME, 'os' MEMOIZE, 'system' MEMOIZE, STACK_GLOBAL MEMOIZE,
    # 'echo pwned' MEMOIZE, TUPLE1 MEMOIZE, REDUCE MEMOIZE, STOP: pickle.loads runs os.system.
    body = b"\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x0aecho pwned\x94\x85\x94R\x94."
    f.write(b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body)


INPUTS = [
    ("malicious.pkl", malicious),
    ("big.safetensors", safetensors),
    ("dense.pkl", dense_pickle),
    ("model.pt", torch_zip),
]


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "target", "scan-bench")
    os.makedirs(out, exist_ok=True)
    for name, make in INPUTS:
        path = os.path.join(out, name)
        if os.path.exists(path):
            print(f"{path}: present, kept")
            continue
        tmp = path + ".part"
        with open(tmp, "wb") as f:
            make(f)
        os.replace(tmp, path)
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
