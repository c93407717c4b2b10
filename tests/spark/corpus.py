"""A generated corpus with planted repeats, for checking paradup.spark against the command.

Every kind of repeat a scan must find is planted: exact copies within a document and across
documents, near copies (a word replaced), a dense family of variants (one LSH bucket of thousands:
the bounded treatment of large buckets), drift chains (each step a word away from the one before,
the ends far apart), texts too short for the near tier, and text in Greek, Cyrillic and Chinese
(the last written without spaces: character shingles).
"""

from __future__ import annotations

import json
import os
import random
from typing import Dict, List

WORDS = (
    "harbour council river market school bridge winter budget railway museum garden station "
    "library factory village harvest theatre hospital airport festival tunnel orchard quarry "
    "ferry chapel meadow canal forest mill castle valley plaza tower clinic stadium archive "
    "gallery workshop pier beacon lantern courtyard vineyard granary observatory foundry "
    "approved rejected delayed announced extended repaired opened closed funded planned "
    "northern southern eastern western local regional national public private annual"
).split()
GREEK = "το λιμάνι της πόλης άνοιξε ξανά μετά από πολλά χρόνια εργασιών και ελέγχων".split()
CYRILLIC = "городской совет утвердил новый план развития северной набережной и парка".split()
CHINESE = [
    "港务局批准了将北码头延长两百米的计划此前经过了漫长的公众咨询",
    "市议会决定在明年春季重新开放老图书馆并增加儿童阅读区域",
]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _replace_words(rng: random.Random, text: str, count: int) -> str:
    words = text.split(" ")
    for position in rng.sample(range(1, len(words) - 1), count):
        words[position] = rng.choice(WORDS) + "x"
    return " ".join(words)


def generate(documents: int = 2500, family: int = 2000, chain: int = 150, seed: int = 7) -> List[Dict[str, str]]:
    """``documents`` records ``{"id", "text", "source"}`` with the repeats above planted."""
    rng = random.Random(seed)
    bodies: List[List[str]] = [
        [_sentence(rng, rng.randint(12, 45)) for _ in range(rng.randint(2, 5))] for _ in range(documents)
    ]

    def plant(paragraph: str, doc: int) -> None:
        at = rng.randint(0, len(bodies[doc]))
        bodies[doc].insert(at, paragraph)

    # Cross-document boilerplate and exact repeats.
    boilerplate = [_sentence(rng, 25) for _ in range(4)]
    for text in boilerplate:
        for doc in rng.sample(range(documents), 40):
            plant(text, doc)
    # Within-document repeats: a document carrying one of its paragraphs twice.
    for doc in rng.sample(range(documents), 60):
        plant(bodies[doc][0], doc)
    # Near copies: a paragraph copied elsewhere with one or two words replaced.
    for _ in range(80):
        source_doc, target = rng.sample(range(documents), 2)
        original = max(bodies[source_doc], key=len)
        if len(original.split(" ")) >= 30:
            plant(_replace_words(rng, original, rng.randint(1, 2)), target)
    # A dense family: variants of one 60-word paragraph, one or two words replaced in each.
    base = _sentence(rng, 60)
    for index in range(family):
        plant(_replace_words(rng, base, 1 + index % 2), rng.randrange(documents))
    # Drift chains: each step one word away from the step before.
    for _ in range(2):
        step = _sentence(rng, 50)
        for _ in range(chain):
            step = _replace_words(rng, step, 1)
            plant(step, rng.randrange(documents))
    # Short texts: exact tier only (fewer than min_words words).
    for text in ["Read more.", "All rights reserved.", "Share this article on social media"]:
        for doc in rng.sample(range(documents), 30):
            plant(text, doc)
    # Non-ASCII text: Greek and Cyrillic paragraphs and their near copies, Chinese without spaces.
    for words in (GREEK, CYRILLIC):
        text = " ".join(words + words)
        for doc in rng.sample(range(documents), 12):
            plant(text, doc)
        plant(text.replace(words[3], "ΧΧ", 1), rng.randrange(documents))
    for text in CHINESE:
        for doc in rng.sample(range(documents), 8):
            plant(text, doc)
    sources = ["news.example", "blog.example", "forum.example", None]
    return [
        {
            "id": f"doc-{index:05d}",
            "text": "\n\n".join(paragraphs),
            **({"source": sources[index % 4]} if sources[index % 4] else {}),
        }
        for index, paragraphs in enumerate(bodies)
    ]


def write_jsonl_shards(records: List[Dict[str, str]], folder: str, shards: int = 3) -> List[str]:
    """Writes the records as JSON Lines shards ``part-0.jsonl``... in order; returns the paths."""
    os.makedirs(folder, exist_ok=True)
    size = -(-len(records) // shards)
    paths = []
    for shard in range(shards):
        path = os.path.join(folder, f"part-{shard}.jsonl")
        with open(path, "w", encoding="utf-8") as out:
            for record in records[shard * size : (shard + 1) * size]:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths
