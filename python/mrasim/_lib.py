"""Loading the shared library and calling it: the only module that knows ctypes.

The library is found, in order, at the path given to load_library, at the
path in the MRASIM_LIBRARY environment variable, or beside this file
(libmrasim.so, where the documented build command puts it).
"""

import ctypes
import json
import os

API_VERSION = 1

_lib = None

_i64 = ctypes.c_int64
_u64 = ctypes.c_uint64
_ptr = ctypes.c_void_p
_str = ctypes.c_char_p

_SIGNATURES = {
    "mrasim_api_version": ([], _i64),
    "mrasim_last_error": ([_ptr, _i64], _i64),
    "mrasim_games": ([_ptr, _i64], _i64),
    "mrasim_sub_seed": ([_u64, _u64], _u64),
    "mrasim_env_new": ([_str, _str, _str, _i64, _i64, _i64, _i64], _i64),
    "mrasim_env_info": ([_i64, _ptr, _i64], _i64),
    "mrasim_env_bind": ([_i64] + [_ptr] * 12, _i64),
    "mrasim_env_reset": ([_i64, _u64], _i64),
    "mrasim_env_reset_copy": ([_i64, _i64, _u64], _i64),
    "mrasim_env_step": ([_i64], _i64),
    "mrasim_env_save": ([_i64, _i64, _ptr, _i64], _i64),
    "mrasim_env_restore": ([_i64, _i64, _ptr, _i64], _i64),
    "mrasim_env_render_shape": ([_i64, _i64], _i64),
    "mrasim_env_render": ([_i64, _i64, _i64, _ptr, _i64], _i64),
    "mrasim_env_free": ([_i64], _i64),
    "mrasim_random_new": ([_u64], _i64),
    "mrasim_random_act": ([_i64, _i64], _i64),
    "mrasim_random_free": ([_i64], _i64),
}


class MrasimError(Exception):
    """An error the library reported: a code and its message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class HandleError(MrasimError):
    """A handle that is not (or no longer) valid: the object was closed."""


class StateError(MrasimError, ValueError):
    """A saved state that does not belong to the game."""


class UnsupportedError(MrasimError):
    """The game cannot do what was asked, such as rendering a matrix game."""


class UnknownGameError(MrasimError, KeyError):
    """No game is registered under the name."""

    def __str__(self):
        return self.args[0]


class ArgumentError(MrasimError, ValueError):
    """A bad argument: parameters, population, actions."""


class InternalError(MrasimError, RuntimeError):
    """A recovered panic inside the library: a bug worth reporting."""


_CLASSES = {1: ArgumentError, 2: UnknownGameError, 3: StateError, 4: HandleError, 5: UnsupportedError, 6: InternalError}


def default_path():
    """The library path used when none is given."""
    return os.environ.get("MRASIM_LIBRARY") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "libmrasim.so")


def load_library(path=None):
    """Load the shared library at path (default: default_path()) and make it
    the one every later call uses. Returns the ctypes library.

    A library built from your own main package (with your games registered)
    is loaded the same way.
    """
    global _lib
    path = path or default_path()
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"mrasim: no shared library at {path}; build it from the repository root with\n"
            "  go build -buildmode=c-shared -o python/mrasim/libmrasim.so ./bindings/libmrasim\n"
            "or point MRASIM_LIBRARY at one")
    lib = ctypes.CDLL(path)
    for name, (args, res) in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = res
    got = lib.mrasim_api_version()
    if got != API_VERSION:
        raise MrasimError(0, f"mrasim: library {path} speaks C API version {got}, this package version {API_VERSION}")
    _lib = lib
    return lib


def lib():
    """The loaded library, loading the default one on first use."""
    return _lib if _lib is not None else load_library()


def last_error():
    n = lib().mrasim_last_error(None, 0)
    buf = ctypes.create_string_buffer(n)
    lib().mrasim_last_error(buf, n)
    return buf.raw[:n].decode("utf-8", "replace")


def check(result):
    """Return result, or raise the error a negative result stands for."""
    if result < 0:
        code = -result
        raise _CLASSES.get(code, MrasimError)(code, last_error())
    return result


def read_text(fn, *args):
    """Call fn(*args, buf, n) twice, first for the length, and decode JSON."""
    n = check(fn(*args, None, 0))
    buf = ctypes.create_string_buffer(max(n, 1))
    check(fn(*args, buf, n))
    return json.loads(buf.raw[:n].decode("utf-8"))


def games():
    """The games the library registers: a list of dicts with name, summary,
    types (name, Min, Max, Doc), params (name, allowed, default, doc)."""
    return read_text(lib().mrasim_games)


def sub_seed(seed, i):
    """env.SubSeed: an independent 64-bit seed for stream i of seed, as
    mrasim derives the seeds of populations, episodes and agents."""
    return lib().mrasim_sub_seed(seed & (2**64 - 1), i & (2**64 - 1))
