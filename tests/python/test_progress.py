"""The module stays quiet unless asked: no output by default, a progress line with
``progress=True``, a caller's function called with each phase; Ctrl-C stops a long scan.

Run by .ci/run after the wheel is installed in its venv.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa

import paradup

ROOT = Path(__file__).resolve().parents[2]


def texts(count=5000):
    words = "harbour lantern council winter ferry market school bridge garden village".split()
    return [
        " ".join(words[(i * 7 + k) % len(words)] for k in range(12 + i % 20)) + f" item {i % 900}"
        for i in range(count)
    ]


def test_nothing_is_printed_unless_asked(capfd):
    paradup.scan(texts(), threads=2)
    paradup.scan(str(ROOT / "data"))
    paradup.compare(texts(50), texts(500))
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_true_keeps_a_line_on_stderr(capfd):
    paradup.scan(texts(), progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert "paradup: reading" in err
    assert err.rstrip().splitlines()[-1].lstrip("\r").split("\r")[-1].startswith("paradup: done  5,000 documents")


def test_a_progress_function_sees_every_phase_in_order():
    seen = []
    data = texts(9000)
    table = pa.table({"text": data})
    stream = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=1000))
    paradup.scan(stream, progress=lambda *a: seen.append(a))
    phases = [phase for phase, _, _ in seen]
    order = ["read", "cluster", "report", "done"]
    assert [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p] == order
    documents = [d for _, d, _ in seen]
    assert documents == sorted(documents)
    assert seen[-1][1] == len(data)
    assert seen[-1][2] == sum(len(t.encode()) for t in data)
    compared = []
    paradup.compare(data[:100], data, progress=lambda *a: compared.append(a[0]))
    assert compared[0] == "index" and compared[-1] == "done" and "measure" in compared


def test_an_error_in_the_progress_function_stops_the_scan():
    def failing(phase, documents, text_bytes):
        if phase == "cluster":
            raise RuntimeError("stop here")

    try:
        paradup.scan(texts(), progress=failing)
    except RuntimeError as error:
        assert "stop here" in str(error)
    else:
        raise AssertionError("the scan went on after its progress function failed")


CHILD = r"""
import sys, time, paradup
words = "harbour lantern council winter ferry market school bridge garden village".split()
base = [" ".join(words[(i * 7 + k) % 10] for k in range(40)) + f" item {i}" for i in range(2000)]
data = base * 400
print("ready", flush=True)
started = time.monotonic()
try:
    paradup.scan(data, threads=THREADS)
    print("finished", time.monotonic() - started, flush=True)
except KeyboardInterrupt:
    print("interrupted", time.monotonic() - started, flush=True)
"""


def run_and_interrupt(threads):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.replace("THREADS", str(threads))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    return out.strip(), err


def test_ctrl_c_interrupts_a_long_scan():
    # 800,000 texts of 41 words: far more than a second of work on any thread count; the scan
    # looks for Ctrl-C between batches on the calling thread, also with a pool of its own.
    for threads in (0, 2):
        out, err = run_and_interrupt(threads)
        assert out.startswith("interrupted"), (out, err)
        assert float(out.split()[1]) < 30
