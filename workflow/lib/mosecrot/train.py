"""Fine-tuning and prediction for sequence classification with any input embedding table.

The classifier is a pre-trained encoder (a real transformers model) with a linear head over a
pooled sentence vector: BERT's [CLS] pooler, as BertForSequenceClassification does, or the
mean of the last hidden states, which sentence-embedding models such as all-MiniLM-L6-v2
and multilingual-e5 were trained with (their [CLS] pooler is untrained or absent).

Every random source is seeded; batches are padded per batch (dynamic padding); model
selection keeps the epoch with the best English dev macro-F1, ties broken by the lower
dev loss (a small dev set saturates at 1.0 while the model still improves), then the
earlier epoch. Each epoch can be checkpointed and a killed run resumes from its last
finished epoch with the same numbers as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from mosecrot.checkpoint import HEAD_CONFIG, HEAD_FILE, TRACE_FILE, pad_batch
from mosecrot.io import atomic_path, read_json, write_json
from mosecrot.metrics import macro_f1

log = logging.getLogger(__name__)

Encoder = Callable[[list[str]], list[list[int]]]
POOLINGS = ("cls", "mean")
COMPACT_EMBEDDINGS = True  # train only the embedding rows the data uses (same numbers; see _CompactEmbeddings)


@dataclass
class TrainSettings:
    learning_rate: float = 1e-5
    adam_eps: float = 1e-8
    weight_decay: float = 0.0
    epochs: int = 30
    batch_size: int = 8
    grad_accumulation: int = 2
    max_length: int = 100
    seed: int = 0
    freeze_embeddings: bool = False
    eval_batch_size: int = 64
    patience: int | None = None
    group_by_length: bool = False
    log_every_s: float = 30.0
    resume_every_s: float = 0.0  # the least seconds between two resume states (0: after every epoch)
    precision: str = "fp32"


def seed_everything(seed: int) -> None:
    """Seed every RNG a fine-tuning draws from, and ask for deterministic CUDA kernels. The
    CPU's kernels are deterministic already, and asking there only costs the import of
    torch's compiler stack (2.3 s of a 30 s demo fine-tuning; the weights are bitwise the same)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
        torch.use_deterministic_algorithms(True, warn_only=True)


def configure_determinism(deterministic: bool) -> None:
    """Bitwise-reproducible CUDA kernels when asked (cuBLAS needs a fixed workspace, set
    before CUDA starts); on the CPU our kernels are deterministic already."""
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        log.warning("CUDA requested but not available: using the CPU")
        return torch.device("cpu")
    return torch.device(requested)


# --------------------------------------------------------------------------- the classifier


class SequenceClassifier(torch.nn.Module):
    """Encoder + dropout + linear head over the pooled sentence vector."""

    def __init__(self, encoder, n_labels: int, pooling: str):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}: use {POOLINGS}")
        config = encoder.config
        self.encoder = encoder
        self.pooling = pooling
        self.dropout = torch.nn.Dropout(getattr(config, "classifier_dropout", None) or config.hidden_dropout_prob)
        self.head = torch.nn.Linear(config.hidden_size, n_labels)
        # BertForSequenceClassification's initialisation of the new head.
        torch.nn.init.normal_(self.head.weight, std=getattr(config, "initializer_range", 0.02))
        torch.nn.init.zeros_(self.head.bias)

    def get_input_embeddings(self):
        return self.encoder.get_input_embeddings()

    def set_input_embeddings(self, table) -> None:
        self.encoder.set_input_embeddings(table)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.classify(self.encoder(input_ids=input_ids, attention_mask=attention_mask), attention_mask)

    def forward_embedded(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits from word embeddings already looked up (any table)."""
        return self.classify(self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask), attention_mask)

    def classify(self, output, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.pooling == "cls":
            pooled = output.pooler_output
        else:
            weights = attention_mask.unsqueeze(-1).to(output.last_hidden_state.dtype)
            pooled = (output.last_hidden_state * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


class EmbeddedInputs(torch.nn.Module):
    """The classifier below its word-embedding lookup: (inputs_embeds, mask) -> logits."""

    def __init__(self, classifier: SequenceClassifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.classifier.forward_embedded(inputs_embeds, attention_mask)


def trace_classifier(model: SequenceClassifier, path: str | Path, seed: int = 0) -> None:
    """Save a TorchScript trace of the model below its embedding lookup (see inference.py),
    after checking it against the model on batches of other shapes, with and without
    padding: a trace that baked in a shape never gets written."""
    model = copy.deepcopy(model).cpu().eval()
    body = EmbeddedInputs(model).eval()
    table = model.get_input_embeddings().weight.detach()
    generator = torch.Generator().manual_seed(seed)

    def batch(lengths: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(lengths)
        ids = torch.randint(0, table.shape[0], (len(lengths), width), generator=generator)
        mask = (torch.arange(width)[None, :] < torch.tensor(lengths)[:, None]).long()
        return table[ids], mask

    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings: the trace is checked right below instead
        traced = torch.jit.trace(body, batch([7, 4, 2]), check_trace=False)
        for lengths in ([12, 3, 9, 1], [5, 5], [1]):
            embeds, mask = batch(lengths)
            gap = float((traced(embeds, mask) - body(embeds, mask)).abs().max())
            if gap > 1e-4:
                raise RuntimeError(f"the TorchScript trace differs from the model by {gap} on lengths {lengths}")
    with atomic_path(path) as tmp:
        traced.save(str(tmp))


def resolve_pooling(model_dir: str | Path, requested: str = "auto") -> str:
    """'auto': the pooling the checkpoint was trained with. A sentence-transformers pooling
    config says it; a checkpoint without pooler weights (e5 as converted here) means mean;
    otherwise BERT's [CLS] pooler (BertForSequenceClassification)."""
    if requested in POOLINGS:
        return requested
    if requested != "auto":
        raise ValueError(f"unknown pooling {requested!r}: use auto, cls or mean")
    model_dir = Path(model_dir)
    st_config = model_dir / "1_Pooling" / "config.json"
    if st_config.exists():
        modes = read_json(st_config)
        if modes.get("pooling_mode_mean_tokens"):
            return "mean"
        if modes.get("pooling_mode_cls_token"):
            return "cls"
    from safetensors import safe_open

    weights = model_dir / "model.safetensors"
    if weights.exists():
        with safe_open(str(weights), "np") as handle:
            if not any(".pooler." in key or key.startswith("pooler.") for key in handle.keys()):  # noqa: SIM118
                return "mean"
    return "cls"


def _load_encoder(model_dir: str, pooling: str):
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # unused pooler weights under mean pooling are expected
    try:
        return AutoModel.from_pretrained(model_dir, add_pooling_layer=pooling == "cls")
    except TypeError:  # architectures without a pooler option
        return AutoModel.from_pretrained(model_dir)


def load_classifier(model_dir: str | Path, labels: list[str], pooling: str = "auto"):
    """(classifier, tokenizer). A fine-tuned directory (written by save_classifier) brings
    its head and pooling; a pre-trained one gets a new head, seeded by the caller."""
    from transformers import AutoTokenizer

    model_dir = str(model_dir)
    head_config = Path(model_dir) / HEAD_CONFIG
    if head_config.exists():
        saved = read_json(head_config)
        if saved["labels"] != list(labels):
            raise ValueError(f"{model_dir} was trained for labels {saved['labels']}, not {list(labels)}")
        model = SequenceClassifier(_load_encoder(model_dir, saved["pooling"]), len(labels), saved["pooling"])
        from safetensors.torch import load_file

        model.head.load_state_dict(load_file(str(Path(model_dir) / HEAD_FILE)))
    else:
        chosen = resolve_pooling(model_dir, pooling)
        model = SequenceClassifier(_load_encoder(model_dir, chosen), len(labels), chosen)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return model, tokenizer


def save_classifier(
    model: SequenceClassifier, tokenizer, labels: list[str], out_dir: str | Path, trace: bool = True
) -> None:
    """A transformers model directory for the encoder, plus the head, its settings, the
    tokenizer's special ids, and (with `trace`) the TorchScript trace that evaluation runs
    on the CPU. Models fine-tuned on a GPU are evaluated on one with transformers: no trace
    (it would double the checkpoint's size)."""
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    model.encoder.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    save_file({k: v.detach().cpu().contiguous() for k, v in model.head.state_dict().items()}, str(out_dir / HEAD_FILE))
    special = {name: getattr(tokenizer, f"{name}_token_id") for name in ("cls", "sep", "pad", "unk", "mask")}
    write_json(out_dir / HEAD_CONFIG, {"labels": list(labels), "pooling": model.pooling, "special_ids": special})
    if trace:
        trace_classifier(model, out_dir / TRACE_FILE)


def plm_encoder(tokenizer, max_length: int, prefix: str = "") -> Encoder:
    def encode(texts: list[str]) -> list[list[int]]:
        return tokenizer([prefix + t for t in texts], truncation=True, max_length=max_length)["input_ids"]

    return encode


def set_input_embeddings(model, matrix: np.ndarray) -> None:
    """Swap the input embedding table for `matrix` (any number of rows, same width)."""
    current = model.get_input_embeddings()
    if tuple(matrix.shape) == tuple(current.weight.shape):
        with torch.no_grad():
            current.weight.copy_(torch.from_numpy(np.asarray(matrix, dtype=np.float32)))
        return
    if matrix.shape[1] != current.weight.shape[1]:
        raise ValueError(f"embedding width {matrix.shape[1]} != model width {current.weight.shape[1]}")
    weights = torch.from_numpy(np.array(matrix, dtype=np.float32)).to(current.weight.device)
    table = torch.nn.Embedding.from_pretrained(weights, freeze=not current.weight.requires_grad)
    model.set_input_embeddings(table)
    model.encoder.config.vocab_size = matrix.shape[0]


def _padded(batch: list[list[int]], pad_id: int, device) -> dict[str, torch.Tensor]:
    input_ids, mask = pad_batch(batch, pad_id)
    return {"input_ids": input_ids.to(device), "attention_mask": mask.to(device)}


@torch.no_grad()
def predict_logits(model, encoded: list[list[int]], pad_id: int, batch_size: int = 64) -> torch.Tensor:
    model.eval()
    device = next(model.parameters()).device
    logits = [
        model(**_padded(encoded[s : s + batch_size], pad_id, device)).float().cpu()
        for s in range(0, len(encoded), batch_size)
    ]
    return torch.cat(logits) if logits else torch.zeros((0, model.head.out_features))


def predict(model, encoded: list[list[int]], pad_id: int, batch_size: int = 64) -> list[int]:
    return predict_logits(model, encoded, pad_id, batch_size).argmax(dim=-1).tolist()


# --------------------------------------------------------------------------- fine-tuning


class _CompactEmbeddings:
    """Train only the embedding rows the data uses. With AdamW and no weight decay a row
    that never gets a gradient never moves (its moments stay 0), so training a table of
    the used rows and writing them back gives the same numbers as training the full
    table, without updating ~10M untouched parameters every step."""

    def __init__(self, model, token_lists: list[list[list[int]]], pad_id: int, more_ids: set[int] = frozenset()):
        self.model = model
        self.full = model.get_input_embeddings()
        self.rows = self.full.weight.shape[0]
        ids = {i for tokens in token_lists for ids in tokens for i in ids} | {pad_id} | set(more_ids)
        used = sorted(i for i in ids if i < self.rows)  # ids beyond the table: frozen extra rows
        self.used = torch.tensor(used, dtype=torch.long)
        self.compact_id = {token: row for row, token in enumerate(used)}
        # from_pretrained draws no random init: the RNG stream (dropout) stays the full table's.
        compact = torch.nn.Embedding.from_pretrained(self.full.weight.detach()[self.used].clone(), freeze=False)
        model.set_input_embeddings(compact)

    def remap(self, tokens: list[list[int]]) -> list[list[int]]:
        """Table ids to compact rows; the frozen extra rows (ids >= the table's rows) follow them."""
        shift = len(self.compact_id) - self.rows
        return [[self.compact_id[i] if i < self.rows else i + shift for i in ids] for ids in tokens]

    def restore(self) -> None:
        """Write the trained rows back into the full table and put it back in the model."""
        with torch.no_grad():
            self.full.weight[self.used.to(self.full.weight.device)] = self.model.get_input_embeddings().weight
        self.model.set_input_embeddings(self.full)


class SwitchedEmbedding(torch.nn.Module):
    """The input embedding table followed by frozen extra rows: id n + j reads extra row j
    (code-switching's target rows, used at test time as built). A buffer, not a parameter:
    the optimiser never sees them, and no checkpoint stores them (the model saved is the
    plain table). With mixup, ids from n + len(extra) on are the epoch's mixed slots
    (set_slots): lam * extra row + (1 - lam) * the mean of the word's own (trained) rows."""

    def __init__(self, table: torch.nn.Embedding, extra_rows: np.ndarray):
        super().__init__()
        self.table = table
        rows = torch.from_numpy(np.ascontiguousarray(extra_rows, dtype=np.float32)).to(table.weight.device)
        self.register_buffer("extra", rows, persistent=False)
        self.slots = None

    def set_slots(self, tokens: list[list[int]], extra: list[int], lam: list[float]) -> None:
        device = self.table.weight.device
        width = max((len(t) for t in tokens), default=1)
        padded = [t + [-1] * (width - len(t)) for t in tokens]
        self.slots = (
            torch.tensor(padded, dtype=torch.long, device=device).reshape(len(tokens), width),
            torch.tensor(extra, dtype=torch.long, device=device),
            torch.tensor(lam, dtype=torch.float32, device=device),
        )

    def _slot_rows(self) -> torch.Tensor:
        tokens, extra, lam = self.slots
        valid = (tokens >= 0).unsqueeze(-1).to(self.table.weight.dtype)
        own = (self.table(tokens.clamp(min=0)) * valid).sum(dim=1) / valid.sum(dim=1).clamp(min=1.0)
        return lam.unsqueeze(-1) * self.extra[extra] + (1 - lam).unsqueeze(-1) * own

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        n = self.table.weight.shape[0]
        inside = ids < n
        own = self.table(torch.where(inside, ids, 0))
        if bool(inside.all()):
            return own
        n_extra = self.extra.shape[0]
        extra_part = inside.logical_not() & (ids < n + n_extra)
        extra = torch.nn.functional.embedding(torch.where(extra_part, ids - n, 0), self.extra)
        out = torch.where(extra_part.unsqueeze(-1), extra, own)
        mixed = ids >= n + n_extra
        if bool(mixed.any()):
            rows = self._slot_rows()
            slot = torch.nn.functional.embedding(torch.where(mixed, ids - n - n_extra, 0), rows)
            out = torch.where(mixed.unsqueeze(-1), slot, out)
        return out


def _aligned_pairs(alignments: list[list[tuple[int, int, int]]], index) -> list[tuple[int, int, int, int]]:
    """(row in the batch, switched position, English start, English end) of every switched
    word in the batch's sentences."""
    return [(row, *span) for row, i in enumerate(index) for span in alignments[i]]


def realignment_loss(
    switched_states: torch.Tensor,
    english_states: torch.Tensor,
    pairs: list[tuple[int, int, int, int]],
    temperature: float,
) -> torch.Tensor:
    """Contrastive realignment (Gaschi et al. 2023) between a code-switched sentence and its
    English copy, whose word alignment is known by construction: the last-layer state of
    each switched word and the mean state of its English tokens are a positive pair, every
    other pair of the batch a negative; InfoNCE in both directions, averaged."""
    rows = torch.tensor([p[0] for p in pairs], device=switched_states.device)
    positions = torch.tensor([p[1] for p in pairs], device=switched_states.device)
    switched = switched_states[rows, positions]
    english = torch.stack([english_states[row, start:end].mean(dim=0) for row, _, start, end in pairs])
    switched = torch.nn.functional.normalize(switched.float(), dim=-1)
    english = torch.nn.functional.normalize(english.float(), dim=-1)
    similarity = switched @ english.T / temperature
    target = torch.arange(len(pairs), device=similarity.device)
    cross_entropy = torch.nn.functional.cross_entropy
    return (cross_entropy(similarity, target) + cross_entropy(similarity.T, target)) / 2


def _batches(lengths: list[int], settings: TrainSettings, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's batches: a seeded shuffle; with group_by_length, batches of similar
    length (sorted within windows of 16 batches, batch order shuffled) to cut padding."""
    order = rng.permutation(len(lengths))
    size = settings.batch_size
    if not settings.group_by_length:
        return [order[s : s + size] for s in range(0, len(order), size)]
    window = size * 16
    batches = []
    for start in range(0, len(order), window):
        part = order[start : start + window]
        part = part[np.argsort([-lengths[i] for i in part], kind="stable")]
        batches += [part[s : s + size] for s in range(0, len(part), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _evaluate(model, ids, labels, pad_id, batch_size) -> tuple[float, float]:
    logits = predict_logits(model, ids, pad_id, batch_size)
    target = torch.tensor(labels, dtype=torch.long)
    loss = float(torch.nn.functional.cross_entropy(logits, target)) if len(labels) else 0.0
    return macro_f1([str(x) for x in labels], [str(x) for x in logits.argmax(dim=-1).tolist()]), loss


def _selection_key(row: dict) -> tuple[float, float]:
    return (row["dev_macro_f1"], -row["dev_loss"])


def _rng_state(order_rng: np.random.Generator) -> dict:
    state = {"torch": torch.get_rng_state(), "numpy": order_rng.bit_generator.state, "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict, order_rng: np.random.Generator) -> None:
    torch.set_rng_state(state["torch"])
    order_rng.bit_generator.state = state["numpy"]
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def finetune(
    model,
    train_ids: list[list[int]],
    train_labels: list[int],
    dev_ids: list[list[int]],
    dev_labels: list[int],
    pad_id: int,
    settings: TrainSettings,
    resume_path: str | Path | None = None,
    on_epoch_end: Callable[[int], None] | None = None,
    switcher=None,
) -> tuple[dict, list[dict]]:
    """Train; return (state dict of the selected epoch, training curve).

    With `resume_path`, the state after an epoch is saved there (atomically; after every
    epoch, or with settings.resume_every_s after the first epoch that ends at least that
    many seconds after the last state), and a run that finds it continues after that epoch:
    the numbers equal those of a run that was never interrupted (model, optimiser, schedule
    and every RNG are restored).

    With a `switcher` (codeswitch.Switcher over the same training sentences), every epoch
    trains on its code-switched ids instead of `train_ids`: the extra target rows sit
    frozen after the embedding table (SwitchedEmbedding) and leave with it. Its draws have
    their own generator, so at rate 0 the run is the plain run, number for number."""
    from transformers import get_linear_schedule_with_warmup

    seed_everything(settings.seed)
    device = next(model.parameters()).device
    if settings.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    compact = None
    remap = list
    if COMPACT_EMBEDDINGS and not settings.freeze_embeddings and settings.weight_decay == 0:
        more = switcher.token_ids() if switcher is not None else set()
        compact = _CompactEmbeddings(model, [train_ids, dev_ids], pad_id, more)
        remap = compact.remap
        train_ids, dev_ids, pad = compact.remap(train_ids), compact.remap(dev_ids), compact.compact_id[pad_id]
    else:
        pad = pad_id
    if switcher is not None:
        table = model.get_input_embeddings()
        if switcher.base_rows != (compact.rows if compact is not None else table.weight.shape[0]):
            raise ValueError(f"the switcher's extra ids start at {switcher.base_rows}, not after the table")
        model.set_input_embeddings(SwitchedEmbedding(table, switcher.table.rows))
    parameters = [p for p in model.parameters() if p.requires_grad]
    # The fused kernel: one pass over all parameters per step instead of a Python loop.
    optimizer = torch.optim.AdamW(
        parameters, lr=settings.learning_rate, eps=settings.adam_eps, weight_decay=settings.weight_decay, fused=True
    )
    steps_per_epoch = -(-len(train_ids) // (settings.batch_size * settings.grad_accumulation))
    scheduler = get_linear_schedule_with_warmup(optimizer, 0, steps_per_epoch * settings.epochs)
    order_rng = np.random.default_rng(settings.seed)
    lengths = [len(ids) for ids in train_ids]
    curve: list[dict] = []
    best_state, best_key, first_epoch = None, None, 1
    # How often the state is written changes no number: a state written at another interval resumes.
    fingerprint = {k: v for k, v in asdict(settings).items() if k != "resume_every_s"}
    fingerprint |= {"train_examples": len(train_ids), "dev_examples": len(dev_ids)}
    if switcher is not None:
        fingerprint["codeswitch"] = switcher.record()
    if resume_path is not None and Path(resume_path).exists():
        saved = torch.load(resume_path, weights_only=False)
        if saved["fingerprint"] == fingerprint:
            model.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            _set_rng_state(saved["rng"], order_rng)
            curve, best_state, first_epoch = saved["curve"], saved["best_state"], saved["epoch"] + 1
            best_key = _selection_key(max(curve, key=_selection_key)) if curve else None
            log.info("resuming after epoch %d from %s", saved["epoch"], resume_path)
        else:
            log.warning("%s was written with other settings: training from the start", resume_path)
    loss_fn = torch.nn.CrossEntropyLoss()
    mixed = autocast_context(settings.precision, device)
    realign = switcher is not None and switcher.realign_weight > 0
    english_ids = train_ids  # the unswitched sentences: realignment's English copies
    last_resume_state = time.time()
    for epoch in range(first_epoch, settings.epochs + 1):
        if settings.patience is not None and _epochs_since_best(curve) >= settings.patience:
            log.info("stopping early: no better dev score for %d epochs", settings.patience)
            break
        model.train()
        started = last_log = time.time()
        switched = None
        if switcher is not None:
            this_epoch = switcher.switched_epoch(epoch)
            switched, slots = this_epoch.counts, this_epoch.slots
            train_ids = remap(this_epoch.ids)
            lengths = [len(ids) for ids in train_ids]
            if slots:
                model.get_input_embeddings().set_slots(
                    remap([slot.tokens for slot in slots]), [s.extra for s in slots], [s.lam for s in slots]
                )
        total_loss, batches = 0.0, _batches(lengths, settings, order_rng)
        optimizer.zero_grad()
        for step, index in enumerate(batches, start=1):
            batch = _padded([train_ids[i] for i in index], pad, device)
            labels = torch.tensor([train_labels[i] for i in index], device=device)
            pairs = _aligned_pairs(this_epoch.alignments, index) if realign else []
            with mixed():
                if len(pairs) < 2:  # no contrast without two pairs: the plain step
                    logits = model(**batch)
                else:
                    output = model.encoder(**batch)
                    logits = model.classify(output, batch["attention_mask"])
                    copy_batch = _padded([english_ids[i] for i in index], pad, device)
                    english_states = model.encoder(**copy_batch).last_hidden_state
            loss = loss_fn(logits.float(), labels)
            if len(pairs) >= 2:
                align = realignment_loss(output.last_hidden_state, english_states, pairs, switcher.realign_temperature)
                loss = loss + switcher.realign_weight * align
            (loss / settings.grad_accumulation).backward()
            total_loss += loss.item()
            if step % settings.grad_accumulation == 0 or step == len(batches):
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            if time.time() - last_log >= settings.log_every_s:
                last_log = time.time()
                log.info("epoch %d step %d/%d loss %.4f", epoch, step, len(batches), total_loss / step)
        dev_f1, dev_loss = _evaluate(model, dev_ids, dev_labels, pad, settings.eval_batch_size)
        row = {
            "epoch": epoch,
            "train_loss": total_loss / max(len(batches), 1),
            "dev_macro_f1": dev_f1,
            "dev_loss": dev_loss,
            "seconds": round(time.time() - started, 2),
        }
        if switched is not None:
            row["codeswitched"] = switched
        curve.append(row)
        log.info(
            "epoch %d/%d loss %.4f dev macro-F1 %.4f dev loss %.4f",
            epoch,
            settings.epochs,
            row["train_loss"],
            dev_f1,
            dev_loss,
        )
        if best_key is None or _selection_key(row) > best_key:
            best_key, best_state = _selection_key(row), copy.deepcopy(model.state_dict())
        if resume_path is not None and time.time() - last_resume_state >= settings.resume_every_s:
            _save_resume(resume_path, model, optimizer, scheduler, order_rng, curve, best_state, epoch, fingerprint)
            last_resume_state = time.time()
        if on_epoch_end is not None:
            on_epoch_end(epoch)
    model.load_state_dict(best_state)
    if switcher is not None:
        model.set_input_embeddings(model.get_input_embeddings().table)
    if compact is not None:
        compact.restore()
    return copy.deepcopy(model.state_dict()), curve


def effective_precision(requested: str, device: torch.device) -> str:
    """bf16 mixed precision runs on CUDA only: on the CPU it is slower on most machines
    and would change the numbers a CPU run is compared by, so the CPU trains in fp32."""
    return requested if device.type == "cuda" else "fp32"


def autocast_context(requested: str, device: torch.device) -> Callable[[], contextlib.AbstractContextManager]:
    """The forward pass's context: bf16 autocast (float32 weights, optimiser and loss) or none."""
    if effective_precision(requested, device) == "bf16":
        return lambda: torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext


def _epochs_since_best(curve: list[dict]) -> int:
    if not curve:
        return 0
    best = max(range(len(curve)), key=lambda i: (_selection_key(curve[i]), -i))
    return len(curve) - 1 - best


def selected_epoch(curve: list[dict]) -> dict:
    """The epoch model selection keeps: best dev macro-F1, then lowest dev loss, then earliest."""
    return max(curve, key=lambda row: (*_selection_key(row), -row["epoch"]))


def _save_resume(path, model, optimizer, scheduler, order_rng, curve, best_state, epoch, fingerprint) -> None:
    with atomic_path(path) as tmp:
        torch.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": _rng_state(order_rng),
                "curve": curve,
                "best_state": best_state,
                "epoch": epoch,
                "fingerprint": fingerprint,
            },
            tmp,
        )
