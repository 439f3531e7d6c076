"""A restricted reader for data files in the official CIFAR python format.

Those files are pickles of one dict whose values are strings, numbers, lists of numbers or of
strings, and NumPy arrays. This reader never calls pickle's unpickler: it interprets itself the
few opcodes such files use (protocols 0-5: Python 2's cPickle, as the release was written, and
Python 3) and accepts only that shape of data:

- one dict, at the top; its keys are strings, its values strings, numbers, lists or arrays;
- lists hold only numbers and strings (never lists), tuples only what the allowed calls take
  (atoms, or tuples of atoms: never deeper);
- the only globals are ``numpy.ndarray``, ``numpy.dtype``, ``numpy[._]core.multiarray._reconstruct``,
  ``numpy[._]core.numeric._frombuffer`` and ``_codecs.encode``, resolved to small local functions
  that rebuild plain numeric arrays (never object arrays) from bytes;
- a memo reference may fetch only a global, a dtype or a string of at most 64 characters (the
  real files share ``_codecs.encode``, ``'latin1'`` and dtypes this way), never a list, a tuple
  or array data.

So every opcode costs time and memory in proportion to the bytes it reads, and the whole load is
linear in the input size: shared structures cannot expand, and a crafted file can at worst fail to
load with a ValueError. Not a general-purpose pickle loader.
"""

import math
import pickletools
import re
import struct

import numpy as np

__all__ = ["safe_load", "UnsafePickleError"]

# dtype kinds a data file may hold: bool, signed/unsigned ints, floats. Never 'O' (objects) or 'V'.
_ALLOWED_KINDS = frozenset("biuf")
# the longest string a memo reference may fetch: names and encodings, never data
_MAX_SHARED_LEN = 64
# the longest text line of a protocol-0 number, memo index or global name
_MAX_SHORT_LINE = 64
_MAX_DIM = 2**31 - 1
_TYPE_CODE = re.compile(r"[<>|=]?[a-zA-Z?][0-9]{0,2}")

_ATOMS = (int, float, str, bytes, type(None))  # bool is an int


class UnsafePickleError(ValueError):
    """The pickle holds something the CIFAR format never needs (a global, a nested list, an object array)."""


def _text(value):
    """Python 2 pickles read with encoding='bytes' give their strings as bytes."""
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _checked_dtype(descr):
    descr = _text(descr)
    # a type code ('u1', '<f4', 'b'): NumPy parses other strings as expressions
    if not isinstance(descr, str) or not _TYPE_CODE.fullmatch(descr):
        raise UnsafePickleError(f"refusing dtype {descr!r}: only plain numeric dtypes are allowed")
    try:
        dtype = np.dtype(descr)
    except TypeError as err:
        raise UnsafePickleError(f"refusing dtype {descr!r}: {err}") from None
    if dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise UnsafePickleError(f"refusing dtype {descr!r}: only plain numeric dtypes are allowed")
    return dtype


class _DType:
    """Stands in for ``numpy.dtype(descr, align, copy)`` and takes its pickled state."""

    def __init__(self, descr, align=False, copy=False):
        if align not in (0, 1) or copy not in (0, 1):  # bools, or Python 2's 0 and 1
            raise UnsafePickleError(f"refusing numpy.dtype with align={align!r}, copy={copy!r}")
        self.dtype = _checked_dtype(descr)

    def __setstate__(self, state):
        # (version 3, byteorder, subdescr, names, fields, elsize, alignment, flags): a plain
        # numeric dtype's state, as NumPy 1.x and 2.x write it, is (3, order, None, None, None, -1, -1, 0)
        order = _text(state[1]) if len(state) == 8 else None
        if order not in ("<", ">", "|") or state[0] != 3 or state[2:] != (None, None, None, -1, -1, 0):
            raise UnsafePickleError(f"refusing dtype state {state!r}: not a plain numeric dtype's")
        if order != "|":
            self.dtype = self.dtype.newbyteorder(order)


def _as_dtype(value):
    if not isinstance(value, _DType):
        raise UnsafePickleError(f"refusing array dtype {value!r}: not a numpy.dtype")
    return value.dtype


def _as_shape(value):
    if (not isinstance(value, tuple) or len(value) > 8
            or not all(type(n) is int and 0 <= n <= _MAX_DIM for n in value)):
        raise UnsafePickleError(f"refusing array shape {value!r}")
    return value


def _array_from_bytes(raw, dtype, shape, fortran):
    if not isinstance(raw, (bytes, bytearray)):
        raise UnsafePickleError(f"refusing array data of type {type(raw).__name__} (object arrays are not allowed)")
    nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if nbytes != len(raw):
        raise ValueError(f"array of shape {shape} and dtype {dtype} needs {nbytes} bytes, the file holds {len(raw)}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()


class _NDArray:
    """Stands in for ``numpy.ndarray`` while unpickling; ``array`` is the rebuilt array."""

    array = None

    def __setstate__(self, state):
        # (version, shape, dtype, is_fortran, raw) or the older (shape, dtype, is_fortran, raw)
        if self.array is not None:
            raise UnsafePickleError("refusing to give an array its data twice")
        if len(state) not in (4, 5) or (len(state) == 5 and state[0] != 1):
            raise UnsafePickleError("refusing an array state that is not (1, shape, dtype, fortran, data)")
        shape, dtype, fortran, raw = state[-4:]
        if fortran not in (0, 1):  # a bool, or 0/1 from old protocols
            raise UnsafePickleError(f"refusing array order flag {fortran!r}")
        self.array = _array_from_bytes(raw, _as_dtype(dtype), _as_shape(shape), bool(fortran))


def _reconstruct(cls, shape, dtype):
    """``numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')``: an empty array to fill."""
    if cls is not _NDArray:
        raise UnsafePickleError("refusing _reconstruct of anything but numpy.ndarray")
    _as_shape(shape), _checked_dtype(dtype)  # never used, but NumPy would refuse bad ones too
    return _NDArray()


def _frombuffer(buf, dtype, shape, order):
    """``numpy.core.numeric._frombuffer`` (pickle protocol 5)."""
    if _text(order) not in ("C", "F"):
        raise UnsafePickleError(f"refusing array order {order!r}")
    result = _NDArray()
    result.array = _array_from_bytes(buf, _as_dtype(dtype), _as_shape(shape), _text(order) == "F")
    return result


def _encode(text, encoding="utf-8"):
    """``_codecs.encode(str, 'latin1')``: how protocol-2 pickles written by Python 3 store bytes."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "iso-8859-1"):
        raise UnsafePickleError(f"refusing _codecs.encode with encoding {encoding!r}")
    try:
        return text.encode("latin1")
    except UnicodeEncodeError:
        raise UnsafePickleError("refusing _codecs.encode of a string beyond latin1") from None


_GLOBALS = {
    ("numpy", "ndarray"): _NDArray,
    ("numpy", "dtype"): _DType,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("_codecs", "encode"): _encode,
}
_GLOBAL_OBJECTS = tuple(set(_GLOBALS.values()))
# the name a file uses for each stand-in, for messages
_GLOBAL_NAMES = {id(obj): f"{module}.{name}" for (module, name), obj in reversed(list(_GLOBALS.items()))}
# what REDUCE may call, with its (fewest, most) arguments; numpy.ndarray only goes to _reconstruct
_CALLS = {_DType: (1, 3), _reconstruct: (3, 3), _frombuffer: (4, 4), _encode: (1, 2)}


def _is_global(value):
    return any(value is g for g in _GLOBAL_OBJECTS)


def _fits_tuple(value):
    """Tuples hold the arguments and states of the allowed calls: atoms, globals, dtypes and
    flat tuples of atoms (shapes). Nothing deeper, so shared tuples cannot expand."""
    if isinstance(value, (_ATOMS, bytearray, _DType)) or _is_global(value):
        return True
    return type(value) is tuple and all(isinstance(v, _ATOMS) for v in value)


def _shareable(value):
    """What a memo reference may fetch: the real files share globals, dtypes and short strings."""
    if isinstance(value, (str, bytes)):
        return len(value) <= _MAX_SHARED_LEN
    return isinstance(value, _DType) or _is_global(value)


class _Reader:
    """One pass over the opcodes; each handler reads its argument and updates the stack."""

    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.stack = []
        self.marks = []  # stack heights at each MARK
        self.memo = {}
        self.root = None  # the one dict
        self.stopped = False
        self.frame_end = None  # where the current protocol 4+ frame ends

    # -- reading arguments; a declared length is checked against the bytes left before any copy

    def take(self, n):
        if n > len(self.data) - self.pos:
            raise ValueError(f"truncated: needs {n} bytes, {len(self.data) - self.pos} left")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def uint(self, n):
        return int.from_bytes(self.take(n), "little")

    def line(self, limit=None):
        end = self.data.find(b"\n", self.pos, None if limit is None else self.pos + limit + 1)
        if end < 0:
            raise ValueError("a text argument has no end of line" + (f" within {limit} bytes" if limit else ""))
        text = self.data[self.pos:end]
        self.pos = end + 1
        return text

    def sized(self, width, signed=False):
        n = int.from_bytes(self.take(width), "little", signed=signed)
        if n < 0:
            raise ValueError(f"negative length {n}")
        return self.take(n)

    def unicode(self, raw, codec="utf-8"):
        try:
            return raw.decode(codec, "surrogatepass" if codec == "utf-8" else "strict")
        except UnicodeDecodeError as err:
            raise ValueError(f"a string is not valid {codec}: {err.reason}") from None

    def short_line(self):
        return self.line(_MAX_SHORT_LINE)

    def line_int(self):
        try:
            return int(self.short_line())
        except ValueError:
            raise ValueError("a text number is not an integer") from None

    # -- the stack

    def push(self, value):
        self.stack.append(value)

    def pop_n(self, n):
        """The top n items, bottom first; never below the last MARK."""
        if len(self.stack) - n < (self.marks[-1] if self.marks else 0):
            raise ValueError("stack underflow")
        items = self.stack[-n:]
        del self.stack[-n:]
        return items

    def pop(self):
        return self.pop_n(1)[0]

    def pop_mark(self):
        if not self.marks:
            raise ValueError("no MARK to pop to")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def top(self):
        (value,) = self.pop_n(1)
        self.push(value)
        return value

    # -- building values, each checked against what CIFAR files hold

    def tuple(self, items):
        if not all(_fits_tuple(v) for v in items):
            raise UnsafePickleError("refusing a tuple holding a list, dict, array or nested tuple")
        self.push(tuple(items))

    def new_dict(self, items):
        if self.root is not None or self.stack or self.marks:
            raise UnsafePickleError("refusing a dict that is not the file's one top-level dict")
        self.root = {}
        self.push(self.root)
        self.set_items(self.root, items)

    def set_items(self, target, items):
        if target is not self.root or self.root is None:
            raise UnsafePickleError("refusing to set items on anything but the top-level dict")
        if len(items) % 2:
            raise ValueError("SETITEMS with an odd number of items")
        for key, value in zip(items[::2], items[1::2]):
            if not isinstance(key, (str, bytes)):
                raise UnsafePickleError(f"refusing a dict key of type {type(key).__name__}")
            if isinstance(value, _NDArray):
                if value.array is None:
                    raise UnsafePickleError("an array in the file was never given its data")
            elif not isinstance(value, (_ATOMS, list)):
                raise UnsafePickleError(f"refusing a dict value of type {type(value).__name__}")
            target[key] = value

    def append(self, target, items):
        if type(target) is not list:
            raise UnsafePickleError("refusing to append to anything but a list")
        if not all(isinstance(v, (int, float, str, bytes)) for v in items):
            raise UnsafePickleError("refusing a list item that is not a number or a string (no nested lists)")
        target.extend(items)
        return target

    def append_to_top(self, items):
        self.append(self.top(), items)

    def set_items_of_top(self, items):
        self.set_items(self.top(), items)

    def find_global(self, module, name):
        try:
            self.push(_GLOBALS[(module, name)])
        except KeyError:
            raise UnsafePickleError(f"refusing to load global {module}.{name}: CIFAR data files hold only "
                                    "dicts, lists, strings, numbers and numeric NumPy arrays") from None

    def reduce(self):
        args, func = self.pop(), self.pop()
        name = _GLOBAL_NAMES.get(id(func), type(func).__name__)
        if not _is_global(func) or func not in _CALLS or type(args) is not tuple:
            raise UnsafePickleError(f"refusing to call {name}: only numpy.dtype, _reconstruct, _frombuffer and "
                                    "_codecs.encode are called")
        fewest, most = _CALLS[func]
        if not fewest <= len(args) <= most:
            raise UnsafePickleError(f"refusing {name} with {len(args)} arguments")
        self.push(func(*args))

    def build(self):
        state, target = self.pop(), self.top()
        if not isinstance(target, (_NDArray, _DType)) or type(state) is not tuple:
            raise UnsafePickleError("refusing to set the state of anything but an array or a dtype")
        target.__setstate__(state)

    def put(self, index):
        if index < 0:
            raise ValueError(f"negative memo index {index}")
        self.memo[index] = self.top()

    def get(self, index):
        try:
            value = self.memo[index]
        except KeyError:
            raise ValueError(f"memo reference {index} was never stored") from None
        if not _shareable(value):
            raise UnsafePickleError("refusing a memo reference to a list, tuple, array or long string: "
                                    "CIFAR files share only globals, dtypes and short strings")
        self.push(value)

    def stop(self):
        if self.root is None or self.stack != [self.root] or self.marks:
            raise UnsafePickleError("refusing a pickle that is not one dict")
        if self.pos != len(self.data):
            raise ValueError(f"{len(self.data) - self.pos} bytes after the end of the pickle")
        self.stopped = True

    def frame(self):
        """Protocol 4+ frames: the data is read whole, so a frame only has to lie within it, and
        the next frame may begin only where this one ends (as pickle checks)."""
        if self.frame_end is not None and self.pos - 1 != self.frame_end:
            raise ValueError("a frame begins before the previous one ends")
        n = self.uint(8)
        if n > len(self.data) - self.pos:
            raise ValueError(f"truncated: a frame of {n} bytes, {len(self.data) - self.pos} left")
        self.frame_end = self.pos + n

    def proto(self):
        if self.uint(1) > 5:
            raise ValueError("unknown pickle protocol")


def _bool_or_int(r):
    text = r.short_line()
    if text in (b"00", b"01"):  # protocol 0's False and True
        return text == b"01"
    try:
        return int(text)
    except ValueError:
        raise ValueError("a text number is not an integer") from None


def _text_float(r):
    try:
        return float(r.short_line())
    except ValueError:
        raise ValueError("a text number is not a float") from None


def _stack_global(r):
    name, module = r.pop(), r.pop()
    if not (isinstance(module, str) and isinstance(name, str)):
        raise UnsafePickleError("refusing STACK_GLOBAL of non-strings")
    r.find_global(module, name)


def _global(r):
    module, name = r.short_line(), r.short_line()
    r.find_global(r.unicode(module, "ascii"), r.unicode(name, "ascii"))


# opcode -> handler; every opcode not here is refused
_OPS = {
    b"\x80": _Reader.proto,                                       # PROTO
    b"\x95": _Reader.frame,                                       # FRAME
    b".": _Reader.stop,                                           # STOP
    b"(": lambda r: r.marks.append(len(r.stack)),                 # MARK
    b"N": lambda r: r.push(None),                                 # NONE
    b"\x88": lambda r: r.push(True),                              # NEWTRUE
    b"\x89": lambda r: r.push(False),                             # NEWFALSE
    b"I": lambda r: r.push(_bool_or_int(r)),                      # INT
    b"J": lambda r: r.push(int.from_bytes(r.take(4), "little", signed=True)),  # BININT
    b"K": lambda r: r.push(r.uint(1)),                            # BININT1
    b"M": lambda r: r.push(r.uint(2)),                            # BININT2
    b"G": lambda r: r.push(struct.unpack(">d", r.take(8))[0]),    # BINFLOAT
    b"F": lambda r: r.push(_text_float(r)),                       # FLOAT (protocol 0)
    b"T": lambda r: r.push(r.sized(4, signed=True)),              # BINSTRING (Python 2 str)
    b"U": lambda r: r.push(r.sized(1)),                           # SHORT_BINSTRING
    b"B": lambda r: r.push(r.sized(4)),                           # BINBYTES
    b"C": lambda r: r.push(r.sized(1)),                           # SHORT_BINBYTES
    b"\x8e": lambda r: r.push(r.sized(8)),                        # BINBYTES8
    b"\x96": lambda r: r.push(bytearray(r.sized(8))),             # BYTEARRAY8
    b"V": lambda r: r.push(r.unicode(r.line(), "raw-unicode-escape")),  # UNICODE
    b"X": lambda r: r.push(r.unicode(r.sized(4))),                # BINUNICODE
    b"\x8c": lambda r: r.push(r.unicode(r.sized(1))),             # SHORT_BINUNICODE
    b"\x8d": lambda r: r.push(r.unicode(r.sized(8))),             # BINUNICODE8
    b")": lambda r: r.tuple([]),                                  # EMPTY_TUPLE
    b"t": lambda r: r.tuple(r.pop_mark()),                        # TUPLE
    b"\x85": lambda r: r.tuple(r.pop_n(1)),                       # TUPLE1
    b"\x86": lambda r: r.tuple(r.pop_n(2)),                       # TUPLE2
    b"\x87": lambda r: r.tuple(r.pop_n(3)),                       # TUPLE3
    b"]": lambda r: r.push([]),                                   # EMPTY_LIST
    b"l": lambda r: r.push(r.append([], r.pop_mark())),           # LIST
    b"a": lambda r: r.append_to_top(r.pop_n(1)),                  # APPEND
    b"e": lambda r: r.append_to_top(r.pop_mark()),                # APPENDS
    b"}": lambda r: r.new_dict([]),                               # EMPTY_DICT
    b"d": lambda r: r.new_dict(r.pop_mark()),                     # DICT
    b"s": lambda r: r.set_items_of_top(r.pop_n(2)),               # SETITEM
    b"u": lambda r: r.set_items_of_top(r.pop_mark()),             # SETITEMS
    b"c": _global,                                                # GLOBAL
    b"\x93": _stack_global,                                       # STACK_GLOBAL
    b"R": _Reader.reduce,                                         # REDUCE
    b"b": _Reader.build,                                          # BUILD
    b"p": lambda r: r.put(r.line_int()),                          # PUT
    b"q": lambda r: r.put(r.uint(1)),                             # BINPUT
    b"r": lambda r: r.put(r.uint(4)),                             # LONG_BINPUT
    b"\x94": lambda r: r.put(len(r.memo)),                        # MEMOIZE
    b"g": lambda r: r.get(r.line_int()),                          # GET
    b"h": lambda r: r.get(r.uint(1)),                             # BINGET
    b"j": lambda r: r.get(r.uint(4)),                             # LONG_BINGET
}


def safe_load(data):
    """Read ``data`` (bytes or a binary file), a CIFAR-format pickle, allowing only what CIFAR files hold.

    Python 2 strings come back as bytes (as ``pickle.load(f, encoding="bytes")`` gives them).
    Time and memory are linear in the size of the data.

    Raises:
        UnsafePickleError (a ValueError): the pickle holds something CIFAR files never do: a
            global other than the allowed five, a nested list, an object array, ...
        ValueError: the data is not a valid pickle (truncated, corrupt).
    """
    if not isinstance(data, (bytes, bytearray)):
        data = data.read()
    reader = _Reader(bytes(data))
    while not reader.stopped:
        start = reader.pos
        code = reader.take(1) if reader.pos < len(reader.data) else None
        if code is None:
            raise ValueError(f"at byte {start}: truncated: the pickle ends before its STOP opcode")
        handler = _OPS.get(code)
        try:
            if handler is None:
                op = pickletools.code2op.get(code.decode("latin1"))
                raise UnsafePickleError(f"refusing opcode {op.name if op else code!r}: CIFAR files do not use it")
            handler(reader)
        except ValueError as err:  # say where; UnsafePickleError stays itself
            raise (UnsafePickleError if isinstance(err, UnsafePickleError) else ValueError)(
                f"at byte {start}: {err}") from None
    return {key: value.array if isinstance(value, _NDArray) else value for key, value in reader.root.items()}
