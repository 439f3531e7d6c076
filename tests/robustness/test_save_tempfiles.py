"""save after writers of the same file were killed (kill -9) mid-save: their temporary files are
removed; a live writer's, and files that are not ours, are not."""

import os
import signal
import subprocess
import sys
import textwrap
import time

from fastconv.models import load_model
from tests.models.helpers import make_model

ROOT = __file__.rsplit("/tests/", 1)[0]

# A save that writes part of the archive, then stops: killed with SIGKILL ("kill") or waiting to
# be killed ("wait").
WRITER = textwrap.dedent("""
    import os, signal, sys, time
    import numpy as np
    from tests.models.helpers import make_model

    path, how = sys.argv[1], sys.argv[2]

    def stop(file, **arrays):
        file.write(b"PK\\x03\\x04" + bytes(100000))
        file.flush()
        if how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        print("writing", flush=True)
        time.sleep(600)

    np.savez = stop
    make_model().save(path)
""")


def _writer(path, how):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), how], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)


def _temporaries(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


def test_a_later_save_removes_what_killed_saves_left(tmp_path):
    path = tmp_path / "m.keras"
    for _ in range(3):
        writer = _writer(path, "kill")
        assert writer.wait(timeout=120) == -signal.SIGKILL
    # Each killed save removed its predecessor's file: only the last one's is left (before the
    # fix every one was, and stayed).
    left = _temporaries(tmp_path)
    assert len(left) == 1 and left[0].startswith(".m.keras.") and os.path.getsize(tmp_path / left[0]) > 0
    model = make_model()
    model.save(path)
    assert _temporaries(tmp_path) == []
    assert load_model(path).count_params() == model.count_params()


def test_only_dead_writers_files_of_this_name_are_removed(tmp_path):
    path = tmp_path / "m.keras"
    killed = _writer(path, "kill")
    assert killed.wait(timeout=120) == -signal.SIGKILL
    dead = _temporaries(tmp_path)
    live = _writer(path, "wait")
    try:
        assert live.stdout.readline() == "writing\n"
        live_files = sorted(set(_temporaries(tmp_path)) - set(dead))
        assert len(live_files) == 1
        token = dead[0][len(".m.keras."):-len(".fastconv.tmp")]
        not_ours = [f".m.keras.{token}.tmp",                   # another tool's (or an old fastconv's) name
                    f".other.keras.{token}.fastconv.tmp",      # another file's
                    f".m.keras.{token}x.fastconv.tmp",         # not exactly our pattern
                    f"m.keras.{token}.fastconv.tmp"]
        for name in not_ours:
            (tmp_path / name).write_bytes(b"keep")
        empty = tmp_path / f".m.keras.{'e' * 8}.fastconv.tmp"   # a writer about to lock its new file
        empty.write_bytes(b"")
        time.sleep(0.01)
        make_model().save(path)
        remaining = set(os.listdir(tmp_path))
        assert dead[0] not in remaining
        assert set(live_files) | set(not_ours) | {empty.name, "m.keras"} == remaining
    finally:
        live.kill()
        live.wait(timeout=60)
