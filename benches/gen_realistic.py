#!/usr/bin/env python3
"""Writes a corpus shaped like real web or forum text, for measuring speed and memory where
generated news flatters the tool: many short paragraphs, short lines (menus, lists, table rows),
site boilerplate, dense templated families (thousands of variants of one line), near copies, quoted
replies and signatures, and text in several scripts.

    gen_realistic.py web OUT.jsonl[.gz] TARGET_MB [SEED]
    gen_realistic.py forum OUT.jsonl[.gz] TARGET_MB [SEED]

`web`: pages of a few hundred sites (median paragraph about 25 words, about 6.5 M paragraphs a GB,
about 40% of paragraphs repeats). `forum`: threads of posts (about 100 bytes a paragraph, quoted
replies, signatures, greetings). TARGET_MB counts the text; the statistics of what was written are
printed on standard error. Deterministic for a given seed.
"""
import gzip
import json
import random
import re
import statistics
import sys

SCRIPTS = [
    # (share of documents, alphabet): most text is Latin; the rest covers other scripts.
    (0.78, "abcdefghijklmnopqrstuvwxyz"),
    (0.06, "абвгдежзийклмнопрстуфхцчшщыэюя"),
    (0.04, "αβγδεζηθικλμνξοπρστυφχψω"),
    (0.03, "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"),
    (0.03, "कखगघचछजझटठडढणतथदधनपफबभमयरलवशसह"),
    (0.06, None),  # CJK: written without spaces
]


class Writer:
    def __init__(self, kind, seed):
        self.rng = random.Random(seed)
        self.kind = kind
        rng = self.rng
        self.vocab = {}
        for _, alphabet in SCRIPTS:
            if alphabet is None:
                continue
            self.vocab[alphabet] = [
                "".join(rng.choices(alphabet, k=max(1, int(rng.expovariate(1 / 5)) + 1)))
                for _ in range(6000)
            ]
        self.cjk = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
        self.sites = [self.site(n) for n in range(300)]
        # Paragraphs that recur across the corpus: syndicated copy, quoted text, shared answers.
        self.pool = [self.paragraph(self.latin()) for _ in range(20000)]
        # Dense families: one template, thousands of variants differing in a word or two.
        self.families = [self.template() for _ in range(60)]
        self.names = [w.capitalize() for w in self.vocab[SCRIPTS[0][1]][:2000]]

    def latin(self):
        return SCRIPTS[0][1]

    def script(self):
        roll = self.rng.random()
        for share, alphabet in SCRIPTS:
            if roll < share:
                return alphabet
            roll -= share
        return self.latin()

    def words(self, alphabet, count):
        if alphabet is None:
            return "".join(self.rng.choices(self.cjk, k=count * 2)) + "。"
        words = self.rng.choices(self.vocab[alphabet], k=count)
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    def paragraph(self, alphabet, low=4, median=25):
        # Lengths skewed like web paragraphs: many short, a long tail.
        count = max(low, int(self.rng.lognormvariate(0, 0.7) * median))
        return self.words(alphabet, min(count, 200))

    def template(self):
        rng = self.rng
        words = rng.choices(self.vocab[self.latin()], k=rng.randint(12, 30))
        slots = sorted(rng.sample(range(len(words)), 2))
        return words, slots

    def family_member(self):
        words, slots = self.rng.choice(self.families)
        words = list(words)
        for slot in slots:
            words[slot] = self.rng.choice(self.names)
        if self.rng.random() < 0.3:
            words[self.rng.randrange(len(words))] = self.rng.choice(self.names)
        return " ".join(words) + "."

    def near_copy(self, text):
        words = text.split(" ")
        for _ in range(max(1, len(words) // 15)):
            words[self.rng.randrange(len(words))] = self.rng.choice(self.vocab[self.latin()])
        return " ".join(words)

    def site(self, n):
        rng = self.rng
        latin = self.latin()
        menu = " | ".join(w.capitalize() for w in rng.choices(self.vocab[latin], k=rng.randint(4, 8)))
        footer = [self.paragraph(latin, 8, 18) for _ in range(rng.randint(1, 3))]
        cookie = self.paragraph(latin, 15, 30)
        return {"host": f"site{n:03d}.example", "menu": menu, "footer": footer, "cookie": cookie}

    def web_document(self):
        rng = self.rng
        site = rng.choice(self.sites)
        alphabet = self.script()
        parts = [site["menu"]]
        if rng.random() < 0.5:
            parts.append(site["cookie"])
        for _ in range(rng.randint(3, 22)):
            roll = rng.random()
            if roll < 0.40:
                parts.append(rng.choice(self.pool))
            elif roll < 0.46:
                parts.append(self.near_copy(rng.choice(self.pool)))
            elif roll < 0.52:
                parts.append(self.family_member())
            elif roll < 0.58:
                # A list: one short item a line.
                items = [self.words(alphabet, rng.randint(2, 7)) for _ in range(rng.randint(3, 6))]
                parts.append("\n".join("- " + item for item in items))
            elif roll < 0.61:
                rows = [" | ".join(str(rng.randint(1, 999)) for _ in range(4)) for _ in range(rng.randint(2, 6))]
                parts.append("\n".join(rows))
            else:
                parts.append(self.paragraph(alphabet))
        parts.extend(site["footer"])
        if rng.random() < 0.04:
            # The body scraped twice.
            parts.extend(parts[1:])
        return site["host"], "\n\n".join(parts)

    def forum_document(self):
        rng = self.rng
        latin = self.latin()
        posts = []
        for _ in range(rng.randint(2, 9)):
            author = rng.choice(self.names)
            lines = []
            if rng.random() < 0.6:
                lines.append(rng.choice(["Hi all,", "Hello,", "Hi " + rng.choice(self.names) + ",", "Hey,"]))
            if posts and rng.random() < 0.55:
                quoted = rng.choice(posts).split("\n\n")[: rng.randint(1, 2)]
                lines.append("\n".join("> " + q for part in quoted for q in part.split("\n")))
            for _ in range(rng.randint(1, 4)):
                roll = rng.random()
                if roll < 0.15:
                    lines.append(rng.choice(self.pool)[: rng.randint(60, 200)])
                elif roll < 0.2:
                    lines.append(self.family_member())
                else:
                    lines.append(self.paragraph(latin, 6, 24))
            lines.append(rng.choice(["Thanks,", "Cheers,", "Regards,", "Thanks in advance!"]))
            lines.append(f"-- \n{author}\nSent from my phone")
            posts.append("\n\n".join(lines))
        return "forum.example", "\n\n".join(posts)


def main():
    kind, out, target_mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 7
    if kind not in ("web", "forum"):
        sys.exit("kind: web or forum")
    writer = Writer(kind, seed)
    target = int(target_mb * 1e6)
    opener = gzip.open if out.endswith(".gz") else open
    written = documents = 0
    lengths = []
    seen = set()
    paragraphs = repeats = 0
    with opener(out, "wt", encoding="utf-8") as f:
        while written < target:
            host, text = writer.web_document() if kind == "web" else writer.forum_document()
            record = {"id": f"{kind}-{documents:09d}", "source": host, "text": text}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += len(text.encode("utf-8"))
            documents += 1
            # Statistics on a sample: blank-line paragraphs, exact repeats after folding case.
            if documents % 10 == 0 or target < 50_000_000:
                for paragraph in re.split(r"\n\s*\n", text):
                    key = " ".join(paragraph.lower().split())
                    paragraphs += 1
                    repeats += key in seen
                    seen.add(key)
                    lengths.append(len(paragraph.split()))
                if len(seen) > 3_000_000:
                    seen.clear()
    sample = len(lengths)
    print(
        f"{kind}: {documents} documents, {written / 1e6:.1f} MB of text; sampled {sample} paragraphs "
        f"(blank-line split): median {statistics.median(lengths):.0f} words, "
        f"{written / max(1, documents) / max(1, sample / max(1, documents if target < 50_000_000 else documents // 10)):.0f} bytes a paragraph, "
        f"{repeats / max(1, paragraphs):.1%} exact repeats",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
