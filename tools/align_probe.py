"""A first look at dictionary-free alignment on a finished run's static spaces (issue 26;
no rule runs it yet): VecMap-style initialisation and Procrustes refinement
(mosecrot.unsupervised) of a target language's vectors onto the English ones, no dictionary
read, then P@1 of CSLS translation scored against every dictionary pair among the frequent
words, and the failure flag against unrelated spaces.

  .venv/bin/python tools/align_probe.py results/demo fr
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "lib"))

WORDS = 20_000  # the most frequent words of each space


def main(run_dir: str, lang: str) -> None:
    from mosecrot import lexicon, relrep, vectors
    from mosecrot import unsupervised as align

    started = time.time()
    run = Path(run_dir)
    spaces = [
        vectors.load_cache(run / "vectors" / code / "vectors.npy", run / "vectors" / code / "vectors.vocab.txt")
        for code in (lang, "en")
    ]
    x, z = (np.asarray(space.matrix[:WORDS], dtype=np.float32) for space in spaces)
    x, z = x - x.mean(axis=0), z - z.mean(axis=0)  # centred, as MUSE and VecMap normalise
    init = align.similarity_init(x, z, n=4000, k=10)
    aligned = align.refine(x, z, init, steps=5, n=10_000, k=10)
    unrelated = align.unrelated_criterion(x, z, steps=2, n=10_000, k=10)
    target_index, english_index = (space.index() for space in spaces)
    gold: dict[int, set[int]] = {}
    for english, target in lexicon.read_lexicon_tsv(run / "lexicons" / f"{lang}.tsv"):
        row, column = target_index.get(target), english_index.get(english)
        if row is not None and column is not None and row < WORDS and column < WORDS:
            gold.setdefault(row, set()).add(column)
    queries = np.array(sorted(gold))
    nearest, _ = align.csls_nearest(relrep.normalized(x[queries]) @ aligned.map, z, 10)
    p1 = float(np.mean([nearest[i] in gold[row] for i, row in enumerate(queries)]))
    print(
        f"{lang}: {len(init)} initial pairs; criterion per refinement step "
        f"{[round(c, 3) for c in aligned.criterion]} (unrelated spaces: {unrelated:.3f}; failed: "
        f"{align.failed(aligned, unrelated)}); P@1 {p1:.3f} over {len(queries)} dictionary words among the "
        f"{WORDS:,} most frequent; {time.time() - started:.0f} s"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
