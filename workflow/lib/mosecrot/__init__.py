"""MoSECroT: model stitching with static word embeddings for crosslingual zero-shot transfer.

The importable library behind the Snakemake workflow. Rule scripts in workflow/scripts/
are thin wrappers around these functions; tests import them directly.
"""

__version__ = "0.1.0"
