"""CIFAR batches pickled byte for byte as the official release was: Python 2 cPickle, protocol 2,
NumPy 1.x. Strings are Python 2 str (SHORT_BINSTRING / BINSTRING, read back as bytes), every
string longer than one character and every list and dict is memoized (BINPUT, LONG_BINPUT past
255, from 1), and lists and dicts are written in batches of 1000 (MARK ... APPENDS)."""

import struct


class _Writer:
    def __init__(self):
        self.out = [b"\x80\x02"]
        self.memo = 0

    def put(self):
        self.memo += 1
        self.out.append(b"q" + bytes([self.memo]) if self.memo < 256 else b"r" + struct.pack("<I", self.memo))

    def string(self, text):
        self.out.append(b"U" + bytes([len(text)]) + text if len(text) < 256
                        else b"T" + struct.pack("<i", len(text)) + text)
        if len(text) > 1:
            self.put()

    def int(self, value):
        if 0 <= value < 256:
            self.out.append(b"K" + bytes([value]))
        elif 0 <= value < 65536:
            self.out.append(b"M" + struct.pack("<H", value))
        else:
            self.out.append(b"J" + struct.pack("<i", value))

    def value(self, value):
        if isinstance(value, bytes):
            self.string(value)
        elif isinstance(value, int):
            self.int(value)
        elif isinstance(value, list):
            self.out.append(b"]")
            self.put()
            for start in range(0, len(value), 1000):
                self.out.append(b"(")
                for item in value[start:start + 1000]:
                    self.value(item)
                self.out.append(b"e")
        else:
            self.array(value)

    def array(self, data):
        n, width = data.shape
        self.out.append(b"cnumpy.core.multiarray\n_reconstruct\n")
        self.put()
        self.out.append(b"cnumpy\nndarray\n")
        self.put()
        self.out.append(b"K\x00\x85U\x01b\x87R")
        self.put()
        self.out.append(b"(K\x01")
        self.int(n)
        self.int(width)
        self.out.append(b"\x86cnumpy\ndtype\n")
        self.put()
        self.out.append(b"U\x02u1K\x00K\x01\x87R")
        self.put()
        self.out.append(b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89")
        self.string(data.tobytes())
        self.out.append(b"tb")

    def dict(self, items):
        self.out.append(b"}")
        self.put()
        self.out.append(b"(")
        for key, value in items.items():
            self.string(key)
            self.value(value)
        self.out.append(b"u.")
        return b"".join(self.out)


def python2_batch_pickle(data, labels, filenames=None, batch_label=b"training batch 1 of 5"):
    """The bytes of a batch file: keys in the release's order (data, labels, batch_label, filenames)."""
    items = {b"data": data, b"labels": list(labels), b"batch_label": batch_label}
    if filenames is not None:
        items[b"filenames"] = list(filenames)
    return _Writer().dict(items)


def python2_meta_pickle(label_names, num_cases_per_batch=10000):
    """The bytes of batches.meta."""
    return _Writer().dict({b"num_cases_per_batch": num_cases_per_batch, b"label_names": list(label_names),
                           b"num_vis": 3072})
