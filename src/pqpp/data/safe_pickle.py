"""Reading untrusted pickles without executing them.

The upstream relevance judgments are a pickled ``dict[int, list[int]]`` whose first 1,000 lists hold
numpy integer scalars. A plain ``pickle.load`` would run whatever callable a tampered file names.
:func:`safe_load` admits only what the pickle protocol builds without calling a global (containers,
numbers, strings, bytes) plus a few named globals that are replaced by pure-Python stand-ins:

* ``builtins.set`` / ``frozenset`` / ``complex`` / ``bytearray`` and ``_codecs.encode`` for latin-1 text
  (protocol 2 spells sets and bytes this way);
* numpy integer scalars (``numpy.core.multiarray.scalar`` with ``numpy.dtype``), decoded from their raw
  bytes into Python ``int`` without importing numpy.

Any other global raises :class:`UnsafePickleError` when the pickle names it, before it could be called.

Example:
    >>> import pickle
    >>> safe_load(pickle.dumps({1: [2, 3], "a": (4.5, None)}))
    {1: [2, 3], 'a': (4.5, None)}
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

__all__ = ["UnsafePickleError", "safe_load", "safe_load_file"]


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for something outside the allowed set."""


# Integer dtype codes numpy pickles (``np.dtype("i8")`` pickles as ``dtype("i8", False, True)``).
_INT_CODES = {"i1": (1, True), "i2": (2, True), "i4": (4, True), "i8": (8, True)}
_INT_CODES |= {"u" + code[1:]: (size, False) for code, (size, _) in _INT_CODES.items()}


class _IntDType:
    """Stand-in for ``numpy.dtype`` that only knows integer dtypes."""

    def __init__(self, code: object, align: object = False, copy: object = True) -> None:
        if not isinstance(code, str) or code not in _INT_CODES:
            raise UnsafePickleError(f"pickle asks for numpy dtype {code!r}; only integer dtypes are allowed")
        self.size, self.signed = _INT_CODES[code]
        self.byteorder = "little"

    def __setstate__(self, state: object) -> None:
        # numpy's dtype state: (version, byteorder char, subarray, names, fields, elsize, alignment, flags)
        if not isinstance(state, tuple) or len(state) < 2 or state[1] not in ("<", ">", "|", "="):
            raise UnsafePickleError(f"unexpected numpy dtype state {state!r}")
        if state[1] == ">":
            self.byteorder = "big"


def _int_scalar(dtype: object, data: object) -> int:
    """Stand-in for ``numpy.core.multiarray.scalar``: decode an integer scalar's bytes."""
    if not isinstance(dtype, _IntDType):
        raise UnsafePickleError("numpy scalar with a non-integer dtype")
    if isinstance(data, str):  # pickles written under Python 2 carry latin-1 text
        data = data.encode("latin-1")
    if not isinstance(data, bytes) or len(data) != dtype.size:
        raise UnsafePickleError(f"numpy integer scalar needs {dtype.size} bytes, got {data!r}")
    return int.from_bytes(data, dtype.byteorder, signed=dtype.signed)


def _latin1_bytes(text: object, encoding: object = "latin1") -> bytes:
    """Stand-in for ``_codecs.encode``, which protocol 2 uses to spell ``bytes``."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"_codecs.encode({type(text).__name__}, {encoding!r}) is not allowed")
    return text.encode("latin-1")


def _bytearray(data: object = b"") -> bytearray:
    # bytearray(n) would allocate n bytes: only copies of bytes are allowed.
    if not isinstance(data, bytes | bytearray):
        raise UnsafePickleError(f"bytearray({type(data).__name__}) is not allowed")
    return bytearray(data)


_ALLOWED: dict[tuple[str, str], Any] = {
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex,
    ("builtins", "bytearray"): _bytearray,
    ("_codecs", "encode"): _latin1_bytes,
    ("numpy", "dtype"): _IntDType,
    ("numpy.core.multiarray", "scalar"): _int_scalar,
    ("numpy._core.multiarray", "scalar"): _int_scalar,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "__builtin__":  # protocols 0-2 use the Python 2 name
            module = "builtins"
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to load {module}.{name} from an untrusted pickle; allowed: builtin containers, "
                "numbers, strings and numpy integer scalars"
            ) from None


def safe_load(data: bytes) -> Any:
    """Unpickle ``data`` allowing only plain data (see the module docstring).

    Raises:
        UnsafePickleError: the pickle names a global outside the allowed set.
    """
    return _RestrictedUnpickler(io.BytesIO(data)).load()


def safe_load_file(path: str | Path) -> Any:
    """:func:`safe_load` the file at ``path``."""
    return safe_load(Path(path).read_bytes())
