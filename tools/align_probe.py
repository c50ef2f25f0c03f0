"""Dictionary-free alignment on a finished run's spaces, outside the pipeline (issue 26):
the target language's static vectors aligned with no dictionary read onto

- `english`: the English static vectors (what rule induce_dictionary does), or
- `plm`: the PLM's own input embeddings (TreLM aligns into the PLM's space: no English
  static vectors needed; 300-d onto 384-d, so the map is semi-orthogonal or least squares),
  the whole-word tokens ranked by English word frequency (wordfreq; a WordPiece vocabulary
  is not in frequency order),

then P@1 of CSLS translation against every dictionary pair among the frequent words, and the
failure flag against unrelated spaces.

  .venv/bin/python tools/align_probe.py results/demo fr [--into plm] [--fit lstsq] [--init adversarial]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "lib"))

WORDS = 20_000  # the most frequent words of each space


def _plm_space(run: Path) -> tuple[np.ndarray, list[str]]:
    """The PLM's whole-word token rows in English frequency order (the run's source model)."""
    import yaml
    from mosecrot import anchors
    from mosecrot.stages import plm_vocabulary
    from wordfreq import zipf_frequency

    models = sorted((ROOT / "resources" / "models").glob("*/*"))
    config = yaml.safe_load((ROOT / "config" / f"{run.name}.yaml").read_text()) if run.name == "demo" else {}
    wanted = (config.get("models", {}).get("source", {}) or {}).get("package", "")
    model = next((m for m in models if wanted and wanted in m.name), models[0])
    vocab, specials, embeddings = plm_vocabulary(str(model))
    whole = anchors.whole_word_vocab(vocab, specials)
    tokens = sorted(whole, key=lambda t: (-zipf_frequency(t, "en"), whole[t]))
    return np.asarray(embeddings[[whole[t] for t in tokens]], dtype=np.float32), tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir")
    parser.add_argument("lang")
    parser.add_argument("--into", choices=("english", "plm"), default="english")
    parser.add_argument("--fit", choices=("orthogonal", "lstsq"), default="orthogonal")
    parser.add_argument("--init", choices=("similarity", "adversarial"), default="similarity")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()

    from mosecrot import lexicon, relrep, vectors
    from mosecrot import unsupervised as align

    started = time.time()
    run = Path(args.run_dir)
    cache = run / "vectors" / args.lang
    target = vectors.load_cache(cache / "vectors.npy", cache / "vectors.vocab.txt")
    if args.into == "english":
        english = vectors.load_cache(
            run / "vectors" / "en" / "vectors.npy", run / "vectors" / "en" / "vectors.vocab.txt"
        )
        other, other_words = np.asarray(english.matrix[:WORDS]), english.words[:WORDS]
    else:
        other, other_words = _plm_space(run)
        other, other_words = other[:WORDS], other_words[:WORDS]
    x, z = align.centred(target.matrix[:WORDS]), align.centred(other)
    fit = relrep.orthogonal_map if args.fit == "orthogonal" else relrep.least_squares_map
    if args.init == "similarity":
        init = align.similarity_init(x, z, n=4000, k=10)
    else:
        if x.shape[1] != z.shape[1]:
            sys.exit("the adversarial map is square: use --into english")
        from mosecrot import adversarial

        w, _ = adversarial.adversarial_map(x, z, lambda m: align.criterion(x, z, m, 10_000, 10), seed=0)
        init = align.mutual_pairs(x[:10_000] @ w, z[:10_000], 10)
    aligned = align.refine(x, z, init, steps=args.steps, n=10_000, k=10, fit=fit)
    noise = np.random.default_rng(0).standard_normal(z.shape).astype(np.float32)
    unrelated = max(
        align.refine(x, noise, align.similarity_init(x, noise, 4000, 10), args.steps, 10_000, 10, fit).criterion
    )
    target_index = target.index()
    other_index = {w.lower(): i for i, w in reversed(list(enumerate(other_words)))}
    gold: dict[int, set[int]] = {}
    for english_word, word in lexicon.read_lexicon_tsv(run / "lexicons" / f"{args.lang}.tsv"):
        row, column = target_index.get(word), other_index.get(english_word.lower())
        if row is not None and column is not None and row < WORDS:
            gold.setdefault(row, set()).add(column)
    queries = np.array(sorted(gold))
    mapped = relrep.normalized(x) @ aligned.map
    nearest, _ = align.csls_nearest(mapped[queries], z, 10, source=mapped)
    p1 = float(np.mean([nearest[i] in gold[row] for i, row in enumerate(queries)]))
    failed = max(aligned.criterion) < unrelated + 0.05
    print(
        f"{args.lang} onto {args.into} ({args.init} init, {args.fit} map {x.shape[1]}->{z.shape[1]}): {len(init)} "
        f"initial pairs; criterion per step {[round(c, 3) for c in aligned.criterion]} (unrelated spaces: "
        f"{unrelated:.3f}; failed: {failed}); P@1 {p1:.3f} over {len(queries)} dictionary words among the "
        f"{WORDS:,} most frequent; {time.time() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
