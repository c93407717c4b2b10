import os
from types import SimpleNamespace
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

Progress = Union[bool, Callable[[str, int, int], None]]

__version__: str

class InputError(ValueError):
    path: str
    line: Optional[int]
    kind: Optional[str]
    def __init__(
        self, message: str, path: str, line: Optional[int], kind: Optional[str] = None
    ) -> None: ...

class Report:
    @property
    def summary(self) -> dict: ...
    @property
    def params(self) -> dict: ...
    @property
    def boilerplate(self) -> List[dict]: ...
    @property
    def clusters(self) -> List[SimpleNamespace]: ...
    def to_dict(self) -> dict: ...
    def to_json(self, path: Union[str, os.PathLike], members: str = "all") -> None: ...
    def to_html(self, path: Union[str, os.PathLike], top: int = 50) -> None: ...
    def members(self) -> Any: ...
    def duplicate_mask(self) -> List[bool]: ...

class Fingerprinter:
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
    ) -> None: ...
    def band_keys(self, data: Any, text_field: str = "text") -> Any: ...
    def similarity(
        self, left: Sequence[Optional[str]], right: Sequence[Optional[str]]
    ) -> List[float]: ...

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
    progress: Progress = False,
    tmp_dir: Union[str, os.PathLike[str], None] = None,
) -> Report: ...

def dedup(
    source: Any,
    *,
    output: Optional[Union[str, os.PathLike]] = None,
    text_field: str = "text",
    id_field: str = "id",
    annotate: bool = False,
    drop_duplicate_documents: bool = False,
    **scan_options: Any,
) -> Any: ...

class CompareReport:
    def to_dict(self) -> Dict[str, Any]: ...
    @property
    def summary(self) -> Dict[str, Any]: ...
    @property
    def params(self) -> Dict[str, Any]: ...
    @property
    def reference(self) -> Dict[str, Any]: ...
    @property
    def items(self) -> List[Dict[str, Any]]: ...
    @property
    def errors(self) -> List[Dict[str, Any]]: ...
    def verdicts(self) -> List[Optional[str]]: ...
    def dirty_mask(self) -> List[bool]: ...
    def to_json(self, path: Union[str, os.PathLike]) -> None: ...

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
    progress: Progress = False,
) -> CompareReport: ...
