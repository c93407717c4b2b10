"""paradup: find duplicated and near-duplicated paragraphs in text corpora.

The same engine as the ``paradup`` command, in Python::

    import paradup
    report = paradup.scan("data/")
    print(report.summary["duplicate_ratio"])

``scan`` takes paths (files and folders, any format the command reads: text, JSON Lines, JSON,
WET, Parquet, gzip or zstd), a list of strings or of dicts, or any Arrow table or stream (a
pyarrow ``Table`` or ``RecordBatchReader``, a Polars ``DataFrame``, a DuckDB result, a Hugging
Face ``datasets.Dataset``). Nothing is printed; the GIL is released while the engine works, and
Ctrl-C stops a scan between batches.
"""

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from typing import Any, Iterable, List, Optional, Sequence, Union

from . import _paradup

__all__ = [
    "scan",
    "dedup",
    "compare",
    "Report",
    "CompareReport",
    "Fingerprinter",
    "InputError",
    "__version__",
]
__version__ = _paradup.__version__


class InputError(ValueError):
    """A bad input: ``path`` names the file (or ``<texts>``, ``<arrow>``), ``line`` its line or
    0-based row when known, ``kind`` what is wrong as the JSON reports name it (``unreadable``,
    ``invalid_json``, ``missing_text``, ``text_not_string``, ``bad_column``, ...)."""

    def __init__(self, message: str, path: str, line: Optional[int], kind: Optional[str] = None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.kind = kind


class Report:
    """A finished scan. ``summary``, ``params``, ``boilerplate`` and ``clusters`` are the JSON
    report's parts (``paradup.report/v1``, as ``paradup scan --json`` writes it)."""

    def __init__(self, native: Any):
        self._native = native
        self._json: Optional[dict] = None
        self._head: Optional[dict] = None

    def _parsed(self) -> dict:
        if self._json is None:
            self._json = json.loads(self._native.json())
        return self._json

    def _parsed_head(self) -> dict:
        """The report without its member lists: enough for the totals, and much smaller."""
        if self._json is not None:
            return self._json
        if self._head is None:
            self._head = json.loads(self._native.json("none"))
        return self._head

    @property
    def summary(self) -> dict:
        """Totals: documents, paragraphs, duplicate paragraphs and bytes, ratios, clusters."""
        return self._parsed_head()["summary"]

    @property
    def params(self) -> dict:
        """The parameters the scan ran with."""
        return self._parsed_head()["params"]

    @property
    def boilerplate(self) -> List[dict]:
        """Cross-document clusters, most documents first."""
        return self._parsed_head()["boilerplate"]

    @property
    def clusters(self) -> List[SimpleNamespace]:
        """Every cluster: ``id``, ``kind``, ``size``, ``documents``, ``text`` and ``members``
        (each with ``doc``, ``location``, ``paragraph``, ``start``, ``end``, ``similarity``)."""
        return [
            SimpleNamespace(
                **{k: v for k, v in cluster.items() if k != "members"},
                members=[SimpleNamespace(**m) for m in cluster.get("members", [])],
            )
            for cluster in self._parsed()["clusters"]
        ]

    def to_dict(self) -> dict:
        """The whole JSON report as a dict."""
        return self._parsed()

    def to_json(self, path: Union[str, os.PathLike], members: str = "all") -> None:
        """Writes the JSON report to ``path`` (atomically); ``members``: all, canonical, none."""
        self._native.write_json(os.fspath(path), members)

    def to_html(self, path: Union[str, os.PathLike], top: int = 50) -> None:
        """Writes the HTML report to ``path`` (atomically)."""
        self._native.html(os.fspath(path), top)

    def members(self) -> Any:
        """Every cluster member as an Arrow table, the columns of ``scan --members``: a
        ``pyarrow.Table`` when pyarrow is installed, else an object with
        ``__arrow_c_stream__``."""
        table = self._native.members()
        try:
            import pyarrow
        except ImportError:
            return table
        return pyarrow.table(table)

    def duplicate_mask(self) -> List[bool]:
        """One boolean a row handed in: true where every paragraph with words is a repeat (the
        rows ``paradup dedup --drop-duplicate-documents`` leaves out). Keep the others with
        ``[not d for d in report.duplicate_mask()]``."""
        return self._native.duplicate_mask()

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<paradup.Report documents={s['documents']} paragraphs={s['paragraphs']} "
            f"duplicate_ratio={s['duplicate_ratio']}>"
        )


def _engine_params(
    threshold: float,
    ngram: int,
    num_perm: int,
    min_words: int,
    split: str,
    unit: str,
    containment: Optional[float],
    threads: int,
    bands: Optional[int],
    rows: Optional[int],
    memory: Union[int, str, None] = None,
    tmp_dir: Union[str, os.PathLike, None] = None,
) -> dict:
    """The parameters as the extension module takes them (checked there)."""
    if memory is not None and not isinstance(memory, (int, str)):
        raise ValueError(f"memory must be a number of bytes or a size such as '512M', not {memory!r}")
    return dict(
        memory=memory,
        tmp_dir=None if tmp_dir is None else os.fspath(tmp_dir),
        threshold=threshold,
        ngram=ngram,
        num_perm=num_perm,
        min_words=min_words,
        split=split,
        unit=unit,
        containment=containment,
        threads=threads,
        bands=bands,
        rows=rows,
    )


class Fingerprinter:
    """The building blocks of a scan spread over many machines (a Spark job): band keys to join
    candidate pairs on, and the exact similarity that verifies a pair, computed exactly as
    ``scan`` computes them for the same parameters."""

    def __init__(
        self,
        *,
        threshold: float = 0.8,
        ngram: int = 3,
        num_perm: int = 128,
        min_words: int = 10,
        split: str = "auto",
        unit: str = "paragraph",
        bands: Optional[int] = None,
        rows: Optional[int] = None,
    ):
        self._native = _paradup.Fingerprinter(
            _engine_params(threshold, ngram, num_perm, min_words, split, unit, None, 0, bands, rows)
        )

    def band_keys(self, data: Any, text_field: str = "text") -> Any:
        """Arrow rows ``(doc, paragraph, start, end, exact_hash, band, key)``: one a band of each
        paragraph with at least ``min_words`` words, one (band and key null) of each shorter
        paragraph with words. ``doc`` is the row in ``data`` (Arrow data, or a list of strings
        when pyarrow is installed); ``start``/``end`` are byte offsets in its UTF-8 text.
        Paragraphs sharing ``exact_hash`` are exact copies; sharing ``(band, key)``, candidates."""
        arrow = _arrow_source(data)
        if arrow is None:
            import pyarrow

            arrow = pyarrow.table({text_field: list(data)})
        table = self._native.band_keys(arrow, text_field)
        try:
            import pyarrow
        except ImportError:
            return table
        return pyarrow.table(table)

    def similarity(self, left: Sequence[Optional[str]], right: Sequence[Optional[str]]) -> List[float]:
        """The exact Jaccard similarity of each pair of paragraphs ``(left[i], right[i])``: a
        candidate pair is a near copy when it reaches the threshold."""
        return self._native.similarity(list(left), list(right))


def _field(record: dict, path: str) -> Any:
    if path in record:
        return record[path]
    value: Any = record
    for name in path.split("."):
        if not isinstance(value, dict) or name not in value:
            return None
        value = value[name]
    return value


def _label(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _arrow_source(source: Any) -> Any:
    """The Arrow stream behind ``source``, or None when it is not Arrow data."""
    if hasattr(source, "__arrow_c_stream__"):
        return source
    # A Hugging Face datasets.Dataset holds a pyarrow table, and, after a select or a shuffle,
    # a mapping of its rows into it: the rows are made real first, so that rows and mask agree.
    if getattr(source, "_indices", None) is not None and hasattr(source, "flatten_indices"):
        source = source.flatten_indices()
    data = getattr(source, "data", None)
    table = getattr(data, "table", None)
    if table is not None and hasattr(table, "__arrow_c_stream__"):
        return table
    # A DuckDB relation, or a Polars frame of an older version.
    for method in ("arrow", "to_arrow"):
        if hasattr(source, method) and not isinstance(source, (str, bytes)):
            converted = getattr(source, method)()
            if hasattr(converted, "__arrow_c_stream__"):
                return converted
    return None


def _paths(source: Any) -> Optional[List[str]]:
    """The paths ``source`` names: a string or ``os.PathLike`` is one path; a list of them is a
    list of paths when every item is an ``os.PathLike`` or names a file or folder that exists
    (a list of strings that do not is a list of texts)."""
    if isinstance(source, (str, os.PathLike)):
        return [os.fspath(source)]
    if not isinstance(source, (list, tuple)) or not source:
        return None
    if all(isinstance(p, os.PathLike) for p in source) or all(
        isinstance(p, str) and os.path.exists(p) for p in source
    ):
        return [os.fspath(p) for p in source]
    return None


_PHASES = {
    "read": "reading",
    "cluster": "clustering",
    "report": "building the report",
    "index": "indexing the reference",
    "measure": "measuring",
    "done": "done",
}


def _progress_callback(progress: Any) -> Any:
    """What the engine calls as ``callback(phase, documents, bytes)`` between batches: the
    caller's own function, a line on ``sys.stderr`` kept up to date for ``True``, nothing for
    ``False``/``None``."""
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    if progress is not True:
        raise TypeError("progress is True, False, or a function(phase, documents, bytes)")
    import sys
    import time

    started = time.monotonic()

    def show(phase: str, documents: int, text_bytes: int) -> None:
        seconds = time.monotonic() - started
        line = (
            f"paradup: {_PHASES.get(phase, phase)}  {documents:,} documents  "
            f"{text_bytes / 1e6:,.1f} MB  {seconds:.1f} s"
        )
        end = "\n" if phase == "done" else ""
        sys.stderr.write("\r" + line.ljust(78) + end)
        sys.stderr.flush()

    return show


def _wrap(call: Any) -> Report:
    try:
        return Report(call())
    except _paradup.RawInputError as error:
        raise InputError(*error.args) from None


def scan(
    source: Any,
    *,
    text_field: str = "text",
    id_field: str = "id",
    source_field: Optional[str] = None,
    threshold: float = 0.8,
    ngram: int = 3,
    num_perm: int = 128,
    min_words: int = 10,
    split: str = "auto",
    unit: str = "paragraph",
    containment: Optional[float] = None,
    memory: Union[int, str, None] = None,
    threads: int = 0,
    strict: bool = False,
    bands: Optional[int] = None,
    rows: Optional[int] = None,
    progress: Any = False,
    tmp_dir: Union[str, os.PathLike, None] = None,
) -> Report:
    """Finds the repeated paragraphs of ``source``; the words and defaults are the command's.

    ``source``: a path or a list of paths; a list (or iterable) of strings, or of dicts whose
    ``text_field`` holds the text (dots reach into nested dicts); or Arrow data. ``threads=0``
    uses one worker a core; ``bands`` and ``rows`` set LSH's banding (default: chosen for the
    threshold, as on the command line). Raises ``InputError`` for unreadable input (with ``strict``, also
    for the first skipped record), ``ValueError`` for bad parameters, ``KeyboardInterrupt`` at
    Ctrl-C. ``progress=True`` keeps a line on ``sys.stderr`` up to date (phase, documents,
    megabytes of text); a function is called as ``progress(phase, documents, bytes)`` instead,
    phases ``read``, ``cluster``, ``report`` and ``done``. Nothing is printed otherwise.
    ``memory`` keeps the scan's peak memory under a budget (bytes, or a size such as ``"512M"``
    or ``"8G"``; default: three quarters of physical memory, as on the command line): past half
    of it the scan's tables go to a spill folder in ``tmp_dir`` (default: the system's temporary
    folder), removed when the call fails or is interrupted; the report is the same. The clusters'
    copies stay in that folder while the report lives (its outputs read them a window at a time),
    and the folder goes with the report.
    Raises ``OSError`` when the spill folder cannot be written or lacks the space needed. Once it
    spills, a scan of files estimates what it keeps in memory whatever the budget (documents,
    exact hashes, distinct paragraphs) by the end of its input, and gives a ``RuntimeWarning`` at
    once when that passes half the budget: the peak would pass the budget.
    """
    callback = _progress_callback(progress)
    params = _engine_params(
        threshold,
        ngram,
        num_perm,
        min_words,
        split,
        unit,
        containment,
        threads,
        bands,
        rows,
        memory,
        tmp_dir,
    )
    kind, data, ids, sources = _side(source, text_field, id_field, source_field)
    if kind == "paths":
        return _wrap(
            lambda: _paradup.scan_paths(
                data, text_field, id_field, source_field, strict, params, callback
            )
        )
    if kind == "arrow":
        return _wrap(
            lambda: _paradup.scan_arrow(data, text_field, id_field, source_field, params, callback)
        )
    return _wrap(lambda: _paradup.scan_texts(data, ids, sources, params, callback))


_FILE_FLAGS = {
    "source_field": "--source-field",
    "threshold": "--threshold",
    "ngram": "--ngram",
    "num_perm": "--num-perm",
    "min_words": "--min-words",
    "split": "--split",
    "unit": "--unit",
    "containment": "--containment",
    "bands": "--bands",
    "rows": "--rows",
    "memory": "--memory",
    "tmp_dir": "--tmp-dir",
}


def _dedup_files(
    paths: List[str],
    output: Union[str, os.PathLike],
    text_field: str,
    id_field: str,
    annotate: bool,
    drop_duplicate_documents: bool,
    scan_options: dict,
) -> str:
    """``paradup dedup PATHS -o OUTPUT``, run in this process."""
    for path in paths:
        if not os.path.exists(path):
            raise InputError(f"{path}: cannot open: no such file or folder", path, None, "unreadable")
    args = ["paradup", "dedup", *paths, "-o", os.fspath(output), "--quiet"]
    args += ["--text-field", text_field, "--id-field", id_field]
    if annotate:
        args.append("--annotate")
    if drop_duplicate_documents:
        args.append("--drop-duplicate-documents")
    threads = scan_options.pop("threads", 0)
    if scan_options.pop("strict", False):
        args.append("--strict")
    if scan_options.pop("progress", False):
        raise ValueError("progress is shown for data handed in; files are deduplicated quietly")
    for name, value in scan_options.items():
        if name not in _FILE_FLAGS:
            raise TypeError(f"dedup() got an unexpected keyword argument '{name}'")
        if value is not None:
            args += [_FILE_FLAGS[name], str(value)]
    code, error = _paradup.command(args, threads)
    if error is not None:
        raise OSError(error)
    if code != 0:
        raise InputError(
            "records could not be read (the command exits 2); the output is written, with "
            "those records kept as they were",
            ", ".join(paths),
            None,
        )
    return os.fspath(output)


def dedup(
    source: Any,
    *,
    output: Optional[Union[str, os.PathLike]] = None,
    text_field: str = "text",
    id_field: str = "id",
    annotate: bool = False,
    drop_duplicate_documents: bool = False,
    **scan_options: Any,
) -> Any:
    """``source`` without its repeated paragraphs, as ``paradup dedup`` writes it: each repeat's
    paragraph (and the blank lines that went with it) is cut from the text, the first copy kept.

    For Arrow data, returns a ``pyarrow.Table`` with every column kept and ``text_field`` (a
    top-level column) cleaned; with ``annotate``, a ``paradup_removed`` column lists the byte
    ranges cut from each row instead (the text is left as it was); with
    ``drop_duplicate_documents``, rows whose every paragraph is a repeat are left out. For a list
    of strings, returns the list of cleaned strings (rows left out the same way). For paths,
    ``output`` is required and the files are written there as ``paradup dedup INPUT -o OUTPUT``
    writes them (a file for one input file, else a folder; every format and compression the
    command writes; ``annotate`` adds the command's field to JSON Lines records), and the output
    path is returned; a record skipped (named on standard error, as the command names it) raises
    ``InputError`` after the output is written.
    ``scan_options`` are ``scan``'s.
    """
    paths = _paths(source)
    if paths is not None:
        if output is None:
            raise ValueError("dedup of files writes files: give output= (a file or a folder)")
        return _dedup_files(
            paths, output, text_field, id_field, annotate, drop_duplicate_documents, scan_options
        )
    if output is not None:
        raise ValueError("output= is for files; data handed in comes back deduplicated")
    report = scan(source, text_field=text_field, id_field=id_field, **scan_options)
    texts, removed, whole = report._native.dedup_rows()
    keep = [not (drop_duplicate_documents and w) for w in whole]
    arrow = _arrow_source(source)
    if arrow is None:
        return [t for t, k in zip(texts, keep) if k]
    import pyarrow

    table = pyarrow.table(arrow)
    if annotate:
        ranges = pyarrow.array(
            [[{"start": a, "end": b} for a, b in r] for r in removed],
            type=pyarrow.list_(pyarrow.struct([("start", pyarrow.uint64()), ("end", pyarrow.uint64())])),
        )
        table = table.append_column("paradup_removed", ranges)
    else:
        index = table.schema.get_field_index(text_field)
        if index < 0:
            raise ValueError(f"dedup cleans a top-level text column; '{text_field}' is not one")
        column_type = table.schema.field(index).type
        table = table.set_column(
            index, table.schema.field(index), pyarrow.array(texts, type=column_type)
        )
    return table.filter(pyarrow.array(keep)) if drop_duplicate_documents else table


class CompareReport:
    """A finished comparison: the JSON report of ``paradup compare --json``
    (``paradup.compare/v2``) as ``summary``, ``params``, ``reference``, ``items`` and ``errors``,
    and each input row's verdict."""

    def __init__(self, native: Any):
        self._native = native
        self._json: Optional[dict] = None

    def to_dict(self) -> dict:
        """The whole JSON report as a dict."""
        if self._json is None:
            self._json = json.loads(self._native.json())
        return self._json

    @property
    def summary(self) -> dict:
        """Totals: items, words, matched words, and how many items are clean, partial, dirty."""
        return self.to_dict()["summary"]

    @property
    def params(self) -> dict:
        """The parameters the comparison ran with."""
        return self.to_dict()["params"]

    @property
    def reference(self) -> dict:
        """The reference's size: documents, words, n-grams, index bytes."""
        return self.to_dict()["reference"]

    @property
    def items(self) -> List[dict]:
        """Every measured input document, in input order: its share of matched words, verdict
        and matched spans with their place in the reference."""
        return self.to_dict()["items"]

    @property
    def errors(self) -> List[dict]:
        """Records left out, on either side."""
        return self.to_dict()["errors"]

    def verdicts(self) -> List[Optional[str]]:
        """``"clean"``, ``"partial"`` or ``"dirty"`` for every row handed in (every document read,
        for paths); ``None`` for a row that was not measured (a null text)."""
        return self._native.verdicts()

    def dirty_mask(self) -> List[bool]:
        """One boolean a row handed in: true where the row is dirty (drop those to decontaminate)."""
        return [v == "dirty" for v in self.verdicts()]

    def to_json(self, path: Union[str, os.PathLike]) -> None:
        """Writes the JSON report to ``path`` (atomically), as ``paradup compare --json`` does."""
        self._native.write_json(os.fspath(path))

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<paradup.CompareReport items={s['items']} dirty={s['dirty']} "
            f"partial={s['partial']} clean={s['clean']}>"
        )


def _side(
    source: Any, text_field: str, id_field: str, source_field: Optional[str] = None, verb: str = "scan"
) -> tuple:
    """How ``source`` crosses to the engine: ``(kind, data, ids, sources)``, kind ``paths``,
    ``arrow`` or ``texts`` (ids and sources, one a text, only for a list of dicts)."""
    paths = _paths(source)
    if paths is not None:
        return ("paths", paths, None, None)
    arrow = _arrow_source(source)
    if arrow is not None:
        return ("arrow", arrow, None, None)
    if isinstance(source, (str, bytes)) or not isinstance(source, Iterable):
        raise TypeError(f"cannot {verb} a {type(source).__name__}")
    items: Sequence[Any] = source if isinstance(source, (list, tuple)) else list(source)
    if items and all(isinstance(item, dict) for item in items):
        texts = [_field(item, text_field) for item in items]
        for row, text in enumerate(texts):
            if text is not None and not isinstance(text, str):
                raise InputError(
                    f"'{text_field}' is not a string", "<texts>", row, "text_not_string"
                )
        ids = [_label(_field(item, id_field)) for item in items]
        sources = (
            [_label(_field(item, source_field)) for item in items] if source_field else None
        )
        return ("texts", texts, ids, sources)
    for row, item in enumerate(items):
        if not isinstance(item, str):
            raise InputError(
                f"item is a {type(item).__name__}, not a string or a dict",
                "<texts>",
                row,
                "text_not_string",
            )
    return ("texts", list(items), None, None)


def compare(
    inputs: Any,
    reference: Any,
    *,
    text_field: str = "text",
    id_field: str = "id",
    reference_text_field: Optional[str] = None,
    reference_id_field: Optional[str] = None,
    ngram: int = 13,
    min_ngram: int = 8,
    max_gap: int = 3,
    clean_share: float = 0.2,
    dirty_share: float = 0.8,
    fold_digits: bool = False,
    max_reference_documents: Optional[int] = None,
    threads: int = 0,
    progress: Any = False,
) -> CompareReport:
    """How much of every input document (a test set's records, say) also stands in
    ``reference`` (the training data), by word n-gram overlap, as ``paradup compare INPUT
    --reference REF`` measures it; the words and defaults are the command's.

    ``inputs`` and ``reference`` each take what ``scan`` takes: paths, a list of strings or of
    dicts, or Arrow data. The reference's fields default to the inputs'. Raises ``InputError``
    for unreadable input, ``ValueError`` for bad parameters or an empty reference,
    ``KeyboardInterrupt`` at Ctrl-C. ``progress`` as for ``scan`` (phases ``index``, ``measure``,
    ``done``).
    """
    callback = _progress_callback(progress)
    args = dict(
        ngram=ngram,
        min_ngram=min_ngram,
        max_gap=max_gap,
        clean_share=clean_share,
        dirty_share=dirty_share,
        fold_digits=fold_digits,
        max_reference_documents=max_reference_documents,
        threads=threads,
    )
    reference_text_field = reference_text_field or text_field
    reference_id_field = reference_id_field or id_field
    input_kind, input_data, input_ids, _ = _side(inputs, text_field, id_field, verb="compare")
    reference_kind, reference_data, reference_ids, _ = _side(
        reference, reference_text_field, reference_id_field, verb="compare"
    )
    try:
        native = _paradup.compare(
            input_kind,
            input_data,
            input_ids,
            reference_kind,
            reference_data,
            reference_ids,
            text_field,
            id_field,
            reference_text_field,
            reference_id_field,
            args,
            callback,
        )
    except _paradup.RawInputError as error:
        raise InputError(*error.args) from None
    return CompareReport(native)
