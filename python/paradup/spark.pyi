from typing import Any, Dict, Optional, Sequence

FULL_PAIRING_LIMIT: int
BLOCK: int
PARAGRAPH_BITS: int
CONTAINMENT_SAMPLE: int
CONTAINMENT_POSTING_LIMIT: int

class SparkScan:
    members: Any
    clusters: Any
    summary: Any
    def __init__(self, members: Any, clusters: Any, summary: Any, extra: Dict[str, Any]) -> None: ...
    def report(self, members: str = "all") -> dict: ...
    def write_json(self, path: str, members: str = "all") -> None: ...
    def write_clusters(self, path: str, mode: str = "overwrite") -> None: ...
    def write_members(self, path: str, mode: str = "overwrite") -> None: ...

def read(
    spark: Any,
    paths: Sequence[str],
    *,
    text_col: str = "text",
    id_col: str = "id",
    source_col: Optional[str] = None,
    format: Optional[str] = None,
) -> Any: ...
def scan(
    df: Any,
    text_col: str = "text",
    id_col: str = "id",
    source_col: Optional[str] = None,
    *,
    order_col: Optional[str] = None,
    location_col: Optional[str] = None,
    threshold: float = 0.8,
    ngram: int = 3,
    num_perm: int = 128,
    min_words: int = 10,
    split: str = "auto",
    unit: str = "paragraph",
    containment: Optional[float] = None,
    bands: Optional[int] = None,
    rows: Optional[int] = None,
    max_rounds: int = 100,
) -> SparkScan: ...
def connected_components(edges: Any, src: str = "src", dst: str = "dst", max_rounds: int = 100) -> Any: ...
def main(argv: Optional[Sequence[str]] = None) -> int: ...
