#!/usr/bin/env python3
"""Writes the scanner's test corpus: small model files, safe and hostile, and the verdict
the scanner must reach on each (expected.json).

Standard library only and deterministic (fixed timestamps, no randomness), so the committed
files can be regenerated and reviewed. Nothing here is ever unpickled. numpy, torch and onnx
are not needed: their formats are written by hand, with stand-in modules registered under
their names so that `pickle` emits exactly the imports the real libraries would.

Run from anywhere: python3 crates/warden-scan/tests/make_corpus.py
"""

import collections
import gzip
import io
import json
import os
import pickle
import shutil
import struct
import sys
import tarfile
import types
import zipfile
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
EXPECTED = {}
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write(rel, data, fmt, rules=(), globals_=(), error=False, members=()):
    """Writes one corpus file and records its expected verdict: its format, the rules that
    fire, imports that must be named, whether it is an error, and the archive members that
    hold findings."""
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    EXPECTED[rel] = {"format": fmt, "rules": sorted(set(rules)), "globals": sorted(globals_), "error": error,
                     "members": sorted(set(members))}


# --- stand-ins for the libraries whose pickles we imitate -----------------------------------

def fake_module(name, **attrs):
    module = types.ModuleType(name)
    for key, value in attrs.items():
        value.__module__ = name
        value.__qualname__ = key
        value.__name__ = key
        setattr(module, key, value)
    sys.modules[name] = module
    return module


def _rebuild_tensor_v2(*args):
    raise RuntimeError("stand-in, never called")


def _reconstruct(*args):
    raise RuntimeError("stand-in, never called")


class FloatStorage:
    pass


class ndarray:
    pass


class dtype:
    def __init__(self, descr):
        self.descr = descr

    def __reduce__(self):
        # numpy: (numpy.dtype, (descr, False, True), state)
        return (dtype, (self.descr, False, True), (3, "|", None, None, None, -1, -1, 63))


class Net:
    pass


fake_module("torch", FloatStorage=FloatStorage)
fake_module("torch._utils", _rebuild_tensor_v2=_rebuild_tensor_v2)
fake_module("numpy", ndarray=ndarray, dtype=dtype)
fake_module("numpy.core.multiarray", _reconstruct=_reconstruct)
fake_module("mylib")
fake_module("mylib.models", Net=Net)


class Evil:
    """What every malicious pickle here carries: os.system('echo')."""

    def __reduce__(self):
        return (os.system, ("echo",))


class Tensor:
    """Reduces like a torch.Tensor: _rebuild_tensor_v2(storage, offset, size, stride, grad, hooks)."""

    def __init__(self, key, numel):
        self.storage = ("storage", key, numel)

    def __reduce__(self):
        return (_rebuild_tensor_v2, (self.storage, 0, (self.storage[2],), (1,), False, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    """torch.save's pickler: storages become persistent ids."""

    def persistent_id(self, obj):
        if isinstance(obj, tuple) and len(obj) == 3 and obj[0] == "storage":
            return ("storage", FloatStorage, obj[1], "cpu", obj[2])
        return None


def torch_pickle(obj):
    out = io.BytesIO()
    TorchPickler(out, protocol=2).dump(obj)
    return out.getvalue()


class ObjectArray:
    """Reduces like a 1-d numpy array of dtype object holding `items`."""

    def __init__(self, items):
        self.items = items

    def __reduce__(self):
        state = (1, (len(self.items),), dtype("O8"), False, list(self.items))
        return (_reconstruct, (ndarray, (0,), b"b"), state)


EVIL_P2 = pickle.dumps(Evil(), protocol=2)
EVIL_P4 = pickle.dumps(Evil(), protocol=4)
STATE = collections.OrderedDict([("weight", Tensor("0", 4))])
FLOATS = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)


def zip_bytes(members, method=zipfile.ZIP_STORED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = method
            z.writestr(info, data)
    return out.getvalue()


def tar_bytes(members, fmt=tarfile.USTAR_FORMAT):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            t.addfile(info, io.BytesIO(data))
    return out.getvalue()


# --- raw pickles ---------------------------------------------------------------------------

def pickles():
    for proto in range(6):
        write(f"pickle/reduce_p{proto}.pkl", pickle.dumps(Evil(), protocol=proto), "pickle", ["WS001"], ["posix.system"])
        benign = {"a": [1, 2.5, b"x", None, True, (1, 2, 3), {1, 2}], "b": collections.OrderedDict(c=bytearray(b"y"))}
        write(f"pickle/benign_p{proto}.pkl", pickle.dumps(benign, protocol=proto), "pickle")
    # Module and name memoized, popped, then fetched back with BINGET before STACK_GLOBAL.
    write("pickle/memo_stack_global.pkl",
          b"\x80\x04\x8c\x02os\x94\x8c\x06system\x940h\x00h\x01\x93\x8c\x04echo\x85R.",
          "pickle", ["WS001"], ["os.system"])
    # STRING escapes spell the module: 'p\x6fsix'.
    write("pickle/escaped_string.pkl", b"\x80\x04S'p\\x6fsix'\nS'system'\n\x93S'echo'\n\x85R.",
          "pickle", ["WS001"], ["posix.system"])
    # Protocol 4 opcodes without the optional PROTO header: pickle.loads accepts them.
    write("pickle/no_proto_header.pkl", b"\x8c\x05posix\x8c\x06system\x93\x8c\x04echo\x85R.",
          "pickle", ["WS001"], ["posix.system"])
    # Protocol 0 INST, as Python 2 pickled old-style class instances.
    write("pickle/inst_p0.pkl", b"(S'echo'\nios\nsystem\n.", "pickle", ["WS001"], ["os.system"])
    # builtins through the Python 2 name the unpickler maps.
    write("pickle/builtin_eval_p2.pkl", b"\x80\x02c__builtin__\neval\nX\x0b\x00\x00\x00print('hi')\x85R.",
          "pickle", ["WS001"], ["__builtin__.eval"])
    # The module name is built at run time: str.join('', ['o', 's']) then STACK_GLOBAL.
    write("pickle/unresolved_concat.pkl",
          b"\x80\x04\x8c\x08builtins\x8c\x08str.join\x93\x8c\x00](\x8c\x01o\x8c\x01se\x86R"
          b"\x8c\x06system\x93\x8c\x04echo\x85R.",
          "pickle", ["WS002", "WS003"], ["builtins.str.join"])
    # An import taken from the copyreg extension registry.
    write("pickle/ext_code.pkl", b"\x80\x02\x82\x07)R.", "pickle", ["WS003"])
    # An application class: not known dangerous, not allowlisted.
    net = Net()
    net.layers = [1, 2]
    write("pickle/unknown_class.pkl", pickle.dumps(net, protocol=2), "pickle", ["WS002"], ["mylib.models.Net"])
    # A benign pickle, then a malicious one in the same file.
    write("pickle/two_pickles.pkl", pickle.dumps([1, 2], protocol=2) + EVIL_P2, "pickle", ["WS001"], ["posix.system"])
    write("pickle/corrupt_opcode.pkl", b"\x80\x02]\xff\xfe.", "pickle", ["WS004"])
    # Cut inside the argument tuple: the import was complete, so it is still reported.
    write("pickle/truncated.pkl", EVIL_P2[:20], "pickle", ["WS001", "WS004"], ["posix.system"])
    # joblib's default compression: a zlib stream around the pickle.
    write("pickle/model.joblib", zlib.compress(EVIL_P4), "zlib", ["WS001"], ["posix.system"])


# --- PyTorch ---------------------------------------------------------------------------------

def torch_zip(data_pkl, extra=()):
    members = [
        ("archive/data.pkl", data_pkl),
        ("archive/byteorder", b"little"),
        ("archive/data/0", FLOATS),
        ("archive/version", b"3\n"),
        ("archive/.data/serialization_id", b"0123456789"),
    ]
    return zip_bytes(members + list(extra))


def legacy(main_pickle):
    """torch.save(_use_new_zipfile_serialization=False): magic, protocol, sys_info, the
    object, the storage keys, then each storage as a little-endian element count and bytes."""
    parts = [
        pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2),
        pickle.dumps(1001, protocol=2),
        pickle.dumps({"protocol_version": 1001, "little_endian": True,
                      "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2),
        main_pickle,
        pickle.dumps(["0"], protocol=2),
        struct.pack("<q", 4) + FLOATS,
    ]
    return b"".join(parts)


def pytorch():
    clean = torch_pickle(STATE)
    write("pytorch/clean.pt", torch_zip(clean), "pytorch-zip")
    write("pytorch/evil_data_pkl.pt", torch_zip(EVIL_P2), "pytorch-zip", ["WS001"], ["posix.system"],
          members=["archive/data.pkl"])
    write("pytorch/evil_extra_member.pt", torch_zip(clean, [("archive/extra", EVIL_P2)]),
          "pytorch-zip", ["WS001"], ["posix.system"], members=["archive/extra"])
    write("pytorch/legacy_clean.pt", legacy(clean), "pytorch-legacy")
    write("pytorch/legacy_evil.pt", legacy(EVIL_P2), "pytorch-legacy", ["WS001"], ["posix.system"])
    storages = pickle.dumps(1, protocol=2) + pickle.dumps(("0", "cpu", FloatStorage), protocol=2) \
        + struct.pack("<q", 4) + FLOATS
    tensors = pickle.dumps(0, protocol=2)
    write("pytorch/legacy.tar",
          tar_bytes([("sys_info", pickle.dumps({"little_endian": True}, protocol=2)), ("pickle", EVIL_P2),
                     ("storages", storages), ("tensors", tensors)]),
          "pytorch-tar", ["WS001"], ["posix.system"], members=["pickle"])


# --- numpy -----------------------------------------------------------------------------------

def npy(descr, shape, payload):
    header = "{'descr': %s, 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    pad = 64 - (10 + len(header) + 1) % 64
    header = (header + " " * pad + "\n").encode("latin1")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


def numpy_files():
    floats = npy("'<f4'", "(4,)", FLOATS)
    write("numpy/float.npy", floats, "npy")
    write("numpy/object_benign.npy", npy("'|O'", "(2,)", pickle.dumps(ObjectArray([1, "a"]), protocol=3)),
          "npy", ["WS006"])
    evil = npy("'|O'", "(1,)", pickle.dumps(ObjectArray([Evil()]), protocol=3))
    write("numpy/object_evil.npy", evil, "npy", ["WS001", "WS006"], ["posix.system"])
    structured = npy("[('a', '<i4'), ('b', '|O')]", "(1,)", pickle.dumps(ObjectArray([Evil()]), protocol=3))
    write("numpy/structured_object.npy", structured, "npy", ["WS001", "WS006"], ["posix.system"])
    write("numpy/arrays.npz", zip_bytes([("a.npy", floats), ("b.npy", evil)], zipfile.ZIP_DEFLATED),
          "npz", ["WS001", "WS006"], ["posix.system"], members=["b.npy"])


# --- safetensors -----------------------------------------------------------------------------

def safetensors_file(header, buffer_len, header_len=None):
    text = json.dumps(header, separators=(",", ":")) if not isinstance(header, str) else header
    raw = text.encode()
    raw += b" " * (-len(raw) % 8)
    n = len(raw) if header_len is None else header_len
    return struct.pack("<Q", n) + raw + bytes(buffer_len)


def t(dtype_, shape, begin, end):
    return {"dtype": dtype_, "shape": shape, "data_offsets": [begin, end]}


def safetensors():
    good = {"__metadata__": {"format": "pt"}, "a": t("F32", [2, 2], 0, 16), "b": t("BF16", [3], 16, 22)}
    write("safetensors/good.safetensors", safetensors_file(good, 22), "safetensors")
    bad = {
        "gap": ({"a": t("U8", [2], 0, 2), "b": t("U8", [2], 4, 6)}, 6),
        "overlap": ({"a": t("U8", [4], 0, 4), "b": t("U8", [2], 2, 4)}, 4),
        "trailing_bytes": (good, 30),
        "size_mismatch": ({"a": t("F32", [3], 0, 8)}, 8),
        "overflow": ({"a": t("F32", [4294967296, 4294967296], 0, 0)}, 0),
        "metadata_not_string": ({"__metadata__": {"n": 1}}, 0),
        "duplicate_key": ('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
                          '"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', 2),
    }
    for name, (header, buffer_len) in bad.items():
        write(f"safetensors/bad_{name}.safetensors", safetensors_file(header, buffer_len), "safetensors", ["WS005"])
    write("safetensors/bad_header_length.safetensors", safetensors_file({}, 0, header_len=200_000_000),
          "safetensors", ["WS005"])


# --- ONNX ------------------------------------------------------------------------------------

def varint(v):
    out = bytearray()
    v &= (1 << 64) - 1
    while True:
        b = v & 0x7F
        v >>= 7
        if v == 0:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def num(field, v):
    return varint(field << 3) + varint(v)


def ld(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return varint((field << 3) | 2) + varint(len(payload)) + payload


def tensor(name, dims, location=None):
    out = b"".join(num(1, d) for d in dims) + num(2, 1) + ld(8, name)
    if location is None:
        count = 1
        for d in dims:
            count *= max(d, 0)
        return out + ld(9, bytes(4 * count))
    return out + ld(13, ld(1, "location") + ld(2, location)) + num(14, 1)


def node(op, inputs, outputs, domain=""):
    return b"".join(ld(1, i) for i in inputs) + b"".join(ld(2, o) for o in outputs) + ld(4, op) + ld(7, domain)


def model(nodes, initializers, domains=("",)):
    graph = b"".join(ld(1, n) for n in nodes) + ld(2, "g") + b"".join(ld(5, i) for i in initializers)
    opsets = b"".join(ld(8, ld(1, d) + num(2, 17 if d == "" else 1)) for d in domains)
    return num(1, 8) + ld(2, "make_corpus") + ld(7, graph) + opsets


def onnx_files():
    relu = node("Relu", ["x"], ["y"])
    write("onnx/clean.onnx", model([relu], [tensor("w", [2, 2])]), "onnx")
    write("onnx/external_absolute.onnx", model([relu], [tensor("w", [4], "/etc/passwd")]), "onnx", ["WS008"])
    write("onnx/external_dotdot.onnx", model([relu], [tensor("w", [4], "../secret.bin")]), "onnx", ["WS008"])
    write("onnx/external_ok/model.onnx", model([relu], [tensor("w", [4], "weights.bin")]), "onnx")
    write("onnx/external_ok/weights.bin", FLOATS, "unknown")
    custom = node("Exec", ["x"], ["y"], "com.example.evil")
    write("onnx/custom_domain.onnx", model([custom], [], ("", "com.example.evil")), "onnx", ["WS009"])
    write("onnx/huge_tensor.onnx", model([relu], [tensor("w", [1 << 40, 1 << 40], "weights.bin")]), "onnx", ["WS010"])
    write("onnx/negative_dim.onnx", model([relu], [tensor("w", [-1, 4], "weights.bin")]), "onnx", ["WS010"])


# --- archives --------------------------------------------------------------------------------

def overlapping_zip():
    """Two central-directory entries that point at the same local file data."""
    data = b"shared data"
    crc = zlib.crc32(data)
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0x21, crc, len(data), len(data), 5, 0)
    local += b"a.txt" + data
    central = b""
    for name in (b"a.txt", b"b.txt"):
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0x21, crc, len(data),
                               len(data), len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 2, 2, len(central), len(local), 0)
    return local + central + end


def zip64_member_count_lie():
    """A zip whose zip64 end record declares 2**33 members."""
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0x21, 0, 0, 0, 1, 0) + b"a"
    record_at = len(local)
    record = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, 1 << 33, 1 << 33, 0, record_at)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, record_at, 1)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return local + record + locator + end


def archives():
    nested = zip_bytes([("evil.pkl", EVIL_P2)])
    for level in range(7):
        nested = zip_bytes([(f"level{level}.zip", nested)])
    write("archive/deep.zip", nested, "zip", ["WS007"],
          members=["level6.zip!level5.zip!level4.zip!level3.zip!level2.zip"])
    write("archive/overlap.zip", overlapping_zip(), "zip", ["WS007"])
    write("archive/member_count_lie.zip", zip64_member_count_lie(), "zip", ["WS007"])
    # A member that looks like a zip and inflates about 1000:1 (past the 16 MiB floor).
    bomb = b"PK\x03\x04" + bytes(32 << 20)
    write("archive/zip_bomb.zip", zip_bytes([("inner.zip", bomb)], zipfile.ZIP_DEFLATED), "zip", ["WS007"],
          members=["inner.zip"])
    bundle = tar_bytes([("model/config.json", b'{"a": 1}'), ("model/data.pkl", EVIL_P2)])
    write("archive/bundle.tar.gz", gzip.compress(bundle, mtime=0), "gzip", ["WS001"], ["posix.system"],
          members=["model/data.pkl"])
    # Names longer than the 100-byte header field: GNU long-name and PAX records.
    long_name = "models/" + "x" * 150 + "/data.pkl"
    for fmt, label in ((tarfile.GNU_FORMAT, "gnu"), (tarfile.PAX_FORMAT, "pax")):
        write(f"archive/{label}_long_name.tar", tar_bytes([(long_name, EVIL_P2)], fmt), "tar", ["WS001"],
              ["posix.system"], members=[long_name])
    write("archive/plain.tar", tar_bytes([("notes.txt", b"hello\n"), ("w.safetensors", safetensors_file({}, 0))]),
          "tar")


def zip_symlink(name, target):
    """A zip member that unzip (not Python's zipfile) extracts as a symbolic link."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.create_system = 3
    info.external_attr = (0o120777 << 16)
    return info, target


def zip_infos(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info, data in members:
            z.writestr(info, data)
    return out.getvalue()


def tar_entries(entries, fmt=tarfile.USTAR_FORMAT):
    """Tar members of any type: (name, data) for files, (name, type, linkname) for links."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as t:
        for entry in entries:
            info = tarfile.TarInfo(entry[0])
            info.mtime, info.mode = 0, 0o644
            if len(entry) == 3:
                info.type, info.linkname = entry[1], entry[2]
                t.addfile(info)
            else:
                info.size = len(entry[1])
                t.addfile(info, io.BytesIO(entry[1]))
    return out.getvalue()


def traversal():
    """Members that extraction writes outside the target directory (WS013)."""
    script = b"#!/bin/sh\necho pwned\n"
    write("archive/zip_slip.zip", zip_bytes([("../../../tmp/evil.sh", script), ("/etc/cron.d/evil", script),
                                             ("ok.txt", b"fine\n")]), "zip", ["WS013"])
    write("archive/zip_symlink.zip",
          zip_infos([zip_symlink("link", "../../../../etc/passwd"), zip_symlink("inside", "sub/target"),
                     (zipfile.ZipInfo("sub/target", date_time=ZIP_DATE), b"x")]), "zip", ["WS013"])
    slip = tar_bytes([("../evil.pkl", EVIL_P2)])
    write("archive/tar_slip.tar", slip, "tar", ["WS001", "WS013"], ["posix.system"], members=["../evil.pkl"])
    write("archive/tar_slip.tar.gz", gzip.compress(slip, mtime=0), "gzip", ["WS001", "WS013"], ["posix.system"],
          members=["../evil.pkl"])
    write("archive/tar_absolute.tar", tar_entries([("/etc/cron.d/evil", script)]), "tar", ["WS013"])
    # A link out, then a file written through it; a hard link out.
    write("archive/tar_links.tar",
          tar_entries([("etc", tarfile.SYMTYPE, "/etc"), ("etc/cron.d/evil", script),
                       ("shadow", tarfile.LNKTYPE, "../../etc/shadow")]), "tar", ["WS013"])
    # A link target longer than the header's 100 bytes, in a PAX record.
    write("archive/tar_pax_linkpath.tar",
          tar_entries([("deep", tarfile.SYMTYPE, "../" * 40 + "etc/passwd")], tarfile.PAX_FORMAT), "tar", ["WS013"])
    # Links that stay inside: a versioned directory and a hard link to a member.
    write("archive/tar_links_ok.tar",
          tar_entries([("v1/notes.txt", b"hello\n"), ("current", tarfile.SYMTYPE, "v1"),
                       ("v1/up", tarfile.SYMTYPE, "../v1/notes.txt"), ("copy.txt", tarfile.LNKTYPE, "v1/notes.txt")]),
          "tar")


# --- Keras -----------------------------------------------------------------------------------

# base64 of marshal.dumps of a lambda's code object, as Keras' func_dump writes it. A stand-in
# of the right shape: never decoded, never loaded.
BYTECODE = "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAQAAAHIBAAAA\n"
DTYPE = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def k3_layer(cls, name, module="keras.layers", **config):
    return {"module": module, "class_name": cls,
            "config": {"name": name, "trainable": True, "dtype": DTYPE, **config},
            "registered_name": None if module.startswith("keras") else f"custom>{cls}",
            "build_config": {"input_shape": [None, 4]}}


def k3_model(*layers):
    """A Keras 3 Sequential model's config.json."""
    inputs = {"module": "keras.layers", "class_name": "InputLayer",
              "config": {"batch_shape": [None, 4], "dtype": "float32", "sparse": False, "name": "input_layer"},
              "registered_name": None}
    return {"module": "keras", "class_name": "Sequential",
            "config": {"name": "sequential", "trainable": True, "dtype": DTYPE, "layers": [inputs, *layers]},
            "registered_name": None, "build_config": {"input_shape": [None, 4]},
            "compile_config": {"optimizer": {"module": "keras.optimizers", "class_name": "Adam",
                                             "config": {"name": "adam", "learning_rate": 0.001},
                                             "registered_name": None}, "loss": "mse"}}


def k3_dense(name):
    return k3_layer("Dense", name, units=4, activation="relu", use_bias=True)


def k3_lambda(name, function, **config):
    return k3_layer("Lambda", name, function=function, output_shape=None, arguments={}, **config)


def k3_function(module, name):
    return {"module": module, "class_name": "function", "config": name, "registered_name": "function"}


K3_BYTECODE = {"class_name": "__lambda__", "config": {"code": BYTECODE, "defaults": None, "closure": None}}
# The weights of a .keras file: an HDF5 file without a model config (a signature suffices).
WEIGHTS_H5 = b"\x89HDF\r\n\x1a\n" + bytes(56)


def keras_zip(config_json):
    if not isinstance(config_json, (bytes, str)):
        config_json = json.dumps(config_json)
    metadata = json.dumps({"keras_version": "3.6.0", "date_saved": "2024-01-01@00:00:00"})
    return zip_bytes([("metadata.json", metadata), ("config.json", config_json), ("model.weights.h5", WEIGHTS_H5)],
                     zipfile.ZIP_DEFLATED)


def reordered(value):
    """The same JSON value with the keys of every object in reverse order."""
    if isinstance(value, dict):
        return {k: reordered(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


def k2_lambda(name):
    """A Lambda layer as tf.keras 2 writes it: the lambda as [bytecode, defaults, closure]."""
    return {"class_name": "Lambda",
            "config": {"name": name, "trainable": True, "dtype": "float32", "function": [BYTECODE, None, None],
                       "function_type": "lambda", "module": "__main__", "output_shape": None,
                       "output_shape_type": "raw", "output_shape_module": None, "arguments": {}}}


def k2_model(*layers):
    dense = {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "units": 4, "activation": "relu"}}
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [dense, *layers]},
            "keras_version": "2.15.0", "backend": "tensorflow"}


def h5_attribute(name, value):
    """An HDF5 attribute message, version 1, holding `value` as a fixed-length string (as h5py
    2 wrote `f.attrs[name] = json.dumps(config).encode()`): version, reserved, name size,
    datatype size, dataspace size, the name, a string datatype and a scalar dataspace, each
    padded to 8 bytes, then the value."""
    name = name.encode() + b"\0"
    padded = name + bytes(-len(name) % 8)
    datatype = struct.pack("<BBBBI", 0x13, 0, 0, 0, len(value))
    dataspace = struct.pack("<BBBBI", 1, 0, 0, 0, 0)
    return struct.pack("<BBHHH", 1, 0, len(name), len(datatype), len(dataspace)) + padded + datatype + dataspace + value


def h5_file(config):
    """A file that starts like HDF5 (signature and a version 0 superblock's first bytes) and
    holds the attributes legacy Keras writes, as an object header's messages would."""
    superblock = b"\x89HDF\r\n\x1a\n" + bytes([0, 0, 0, 0, 0, 8, 8, 0]) + bytes(80)
    attrs = h5_attribute("keras_version", b"2.15.0") + h5_attribute("backend", b"tensorflow")
    attrs += h5_attribute("model_config", json.dumps(config).encode())
    return superblock + attrs + bytes(256)


def keras_files():
    clean = k3_model(k3_dense("dense"), k3_dense("dense_1"))
    write("keras/clean.keras", keras_zip(clean), "keras")
    write("keras/lambda_bytecode.keras", keras_zip(k3_model(k3_dense("dense"), k3_lambda("lambda", K3_BYTECODE))),
          "keras", ["WS014"], members=["config.json"])
    write("keras/lambda_named.keras", keras_zip(k3_model(k3_lambda("scale", k3_function("mylib.ops", "scale")))),
          "keras", ["WS011"], members=["config.json"])
    write("keras/custom_object.keras", keras_zip(k3_model(k3_layer("Gate", "gate", module="mylib.layers"))),
          "keras", ["WS012"], members=["config.json"])
    # CVE-2025-9906's first step turns safe_mode off; its second loads a model with it off.
    bypass = k3_model(k3_lambda("unsafe", k3_function("keras.config", "enable_unsafe_deserialization")),
                      k3_lambda("load", k3_function("keras.models", "load_model")))
    write("keras/safe_mode_bypass.keras", keras_zip(bypass), "keras", ["WS014"], members=["config.json"])
    evil = k3_model(k3_dense("dense"), k3_lambda("lambda", K3_BYTECODE))
    write("keras/reordered.keras", keras_zip(reordered(evil)), "keras", ["WS014"], members=["config.json"])
    text = json.dumps(evil)
    write("keras/truncated.keras", keras_zip(text[:text.index('"build_config"', text.index("__lambda__"))]),
          "keras", ["WS014"], error=True, members=["config.json"])
    write("keras/deep_nesting.keras", keras_zip('{"class_name": "Sequential", "config": ' + "[" * 100_000),
          "keras", error=True)
    write("keras/not_keras.zip", zip_bytes([("config.json", '{"hidden_size": 8, "model_type": "bert"}'),
                                            ("model.safetensors", safetensors_file({}, 0))]), "zip")
    # model.to_json() of tf.keras 2, a file of its own.
    write("keras/model.json", json.dumps(k2_model(k2_lambda("lambda"))).encode(), "keras-json", ["WS014"])
    write("keras/lambda.h5", h5_file(reordered(k2_model(k2_lambda("lambda")))), "hdf5", ["WS014"])
    write("keras/clean.h5", h5_file(k2_model()), "hdf5")
    # Real HDF5 files from h5py (tests/h5py/make_h5py.py), committed there.
    h5py_dir = os.path.join(os.path.dirname(OUT), "h5py")
    for name in sorted(os.listdir(h5py_dir)):
        if name.endswith(".h5"):
            with open(os.path.join(h5py_dir, name), "rb") as f:
                data = f.read()
            write(f"keras/h5py/{name}", data, "hdf5", [] if name.startswith("clean") else ["WS014"])
    bundle = tar_bytes([("models/evil.keras", keras_zip(evil)), ("models/lambda.h5", h5_file(k2_model(k2_lambda("l"))))])
    write("keras/models.tar.gz", gzip.compress(bundle, mtime=0), "gzip", ["WS014"],
          members=["models/evil.keras!config.json", "models/lambda.h5"])


def misc():
    write("misc/readme.txt", b"Licensed under the Apache License, Version 2.0\n", "unknown")
    write("misc/code.py", b"class Foo:\n    pass\n", "unknown")
    write("misc/empty.bin", b"", "unknown")
    write("misc/config.json", b'{"hidden_size": 8}\n', "unknown")
    # Starts like a zlib stream but is not one: unknown, not an error.
    write("misc/not_zlib.bin", b"\x78\x9c" + bytes(range(64)), "unknown")


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for make in (pickles, pytorch, numpy_files, safetensors, onnx_files, archives, traversal, keras_files, misc):
        make()
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(EXPECTED, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(EXPECTED)} files to {OUT}")


if __name__ == "__main__":
    main()
