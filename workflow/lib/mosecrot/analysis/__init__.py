"""Aggregation of evaluation JSONs into tables, significance tests, plots and a findings
README. Every number here is read from the evaluation files; nothing is typed in.

One module per concern (as stages/ is split by stage); the package re-exports what the
analysis stage and the tests call:
- evaluations: reading the JSONs, the summary over seeds, method kinds and order;
- tables: the paper-style tables and the sweeps;
- claims: which claims, the method-level tests, Holm, verdicts, intervals;
- costs: stitching, transfer and swap costs;
- findings: the findings README;
- plots: the figures.
"""

from mosecrot.analysis.claims import Claim, claim_list, claims_markdown, finalize_claims, test_claims
from mosecrot.analysis.costs import costs_markdown, transfer_costs
from mosecrot.analysis.evaluations import (
    DETERMINISTIC,
    MAIN_ORDER,
    NOT_STITCHED,
    PUBLISHED_WITH,
    SUMMARY_COLUMNS,
    WEIGHTINGS,
    Evaluations,
    is_stitched,
    load_evaluations,
    method_order,
    summarize,
    write_frame,
)
from mosecrot.analysis.findings import (
    alignment_markdown,
    alignment_vs_transfer,
    codeswitch_markdown,
    findings_markdown,
    one_seed_warning,
    summary_paragraph,
    tuned_variants,
)
from mosecrot.analysis.plots import plot_bars, plot_costs, plot_curves, plot_drift, plot_gain, plot_sweep
from mosecrot.analysis.tables import paper_table, sweep_summary, sweep_table

__all__ = [
    "DETERMINISTIC",
    "MAIN_ORDER",
    "NOT_STITCHED",
    "PUBLISHED_WITH",
    "SUMMARY_COLUMNS",
    "WEIGHTINGS",
    "Claim",
    "Evaluations",
    "alignment_markdown",
    "alignment_vs_transfer",
    "claim_list",
    "claims_markdown",
    "codeswitch_markdown",
    "costs_markdown",
    "finalize_claims",
    "findings_markdown",
    "is_stitched",
    "load_evaluations",
    "method_order",
    "one_seed_warning",
    "paper_table",
    "plot_bars",
    "plot_costs",
    "plot_curves",
    "plot_drift",
    "plot_gain",
    "plot_sweep",
    "summarize",
    "summary_paragraph",
    "sweep_summary",
    "sweep_table",
    "test_claims",
    "transfer_costs",
    "tuned_variants",
    "write_frame",
]
