"""The command line from the Python package: ``python -m paradup`` runs the binary's command line
in-process (same output, same exit status), and ``paradup.dedup`` of files writes what
``paradup dedup`` writes, byte for byte.

Run by .ci/run after the wheel is installed in its venv; the binary compared against is
$PARADUP, else target/ci/paradup.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import paradup
from test_python_api import corpus, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("PARADUP", ROOT / "target" / "ci" / "paradup")).resolve()


def without_timing(report):
    report = dict(report)
    report.pop("timing", None)
    return report


def test_python_m_paradup_is_the_command(tmp_path):
    by_module = subprocess.run(
        [sys.executable, "-m", "paradup", "scan", str(ROOT / "data"), "--json", str(tmp_path / "m.json"), "-q"],
        capture_output=True,
        text=True,
    )
    assert by_module.returncode == 0, by_module.stderr
    by_binary = subprocess.run(
        [str(BINARY), "scan", str(ROOT / "data"), "--json", str(tmp_path / "b.json"), "-q"],
        capture_output=True,
        text=True,
    )
    assert by_binary.returncode == 0, by_binary.stderr
    assert without_timing(json.loads((tmp_path / "m.json").read_text())) == without_timing(
        json.loads((tmp_path / "b.json").read_text())
    )
    # The terminal summary goes to standard output, as the binary prints it.
    shown = subprocess.run([sys.executable, "-m", "paradup", "scan", str(ROOT / "data")], capture_output=True, text=True)
    assert shown.returncode == 0 and "duplicate" in shown.stdout
    # Errors: the same exit status and message.
    missing = subprocess.run(
        [sys.executable, "-m", "paradup", "scan", str(tmp_path / "missing.jsonl")], capture_output=True, text=True
    )
    binary_missing = subprocess.run([str(BINARY), "scan", str(tmp_path / "missing.jsonl")], capture_output=True, text=True)
    assert missing.returncode == binary_missing.returncode == 2
    assert "missing.jsonl" in missing.stderr
    bad_flag = subprocess.run([sys.executable, "-m", "paradup", "scan", "--no-such-flag"], capture_output=True, text=True)
    assert bad_flag.returncode == 2 and "--no-such-flag" in bad_flag.stderr


def test_dedup_of_files_writes_what_the_command_writes(tmp_path):
    docs = corpus(documents=200, seed=31)
    for i in range(0, 60, 4):
        docs.append({"id": f"copy-{i}", "text": docs[i]["text"]})
    folder = tmp_path / "in"
    (folder / "part").mkdir(parents=True)
    write_jsonl(folder / "a.jsonl", docs[:120])
    write_jsonl(folder / "part" / "b.jsonl", docs[120:])
    for options, flags in [({}, []), ({"drop_duplicate_documents": True}, ["--drop-duplicate-documents"]),
                           ({"annotate": True, "threshold": 0.7}, ["--annotate", "--threshold", "0.7"])]:
        by_python = tmp_path / f"py{len(flags)}"
        by_binary = tmp_path / f"bin{len(flags)}"
        assert paradup.dedup(str(folder), output=by_python, threads=2, **options) == str(by_python)
        out = subprocess.run([str(BINARY), "dedup", str(folder), "-o", str(by_binary), "-q", *flags],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        for name in ("a.jsonl", "part/b.jsonl"):
            assert (by_python / name).read_bytes() == (by_binary / name).read_bytes()
        assert (by_python / "a.jsonl").read_bytes() != (folder / "a.jsonl").read_bytes()
    # One file to one file.
    single = tmp_path / "single.jsonl"
    paradup.dedup(str(folder / "a.jsonl"), output=single)
    subprocess.run([str(BINARY), "dedup", str(folder / "a.jsonl"), "-o", str(tmp_path / "single_bin.jsonl"), "-q"], check=True)
    assert single.read_bytes() == (tmp_path / "single_bin.jsonl").read_bytes()


def test_dedup_of_files_reports_errors(tmp_path):
    with pytest.raises(ValueError, match="output="):
        paradup.dedup(str(ROOT / "data"))
    with pytest.raises(paradup.InputError) as missing:
        paradup.dedup(str(tmp_path / "missing.jsonl"), output=tmp_path / "out.jsonl")
    assert missing.value.kind == "unreadable" and missing.value.path.endswith("missing.jsonl")
    # An error that ends the command's run is an OSError with the command's message.
    with pytest.raises(OSError, match="same path|overwrite|input"):
        paradup.dedup(str(ROOT / "data"), output=ROOT / "data")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a line of text long enough to count as words here"}\n{"text": oops\n')
    with pytest.raises(paradup.InputError):
        paradup.dedup(str(bad), output=tmp_path / "bad_out.jsonl")
    # The output is written all the same; the record that could not be read is kept as it was
    # (dedup drops nothing it was not asked to drop).
    assert (tmp_path / "bad_out.jsonl").read_bytes() == bad.read_bytes()
    with pytest.raises(TypeError, match="colour"):
        paradup.dedup(str(bad), output=tmp_path / "x.jsonl", colour="red")
