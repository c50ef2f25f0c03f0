"""Stage 6 (rules/analysis.smk): tables, claims, findings, plots."""

from __future__ import annotations

import logging
from pathlib import Path

from mosecrot import plan
from mosecrot.analysis import alignments as analysis_alignments
from mosecrot.io import read_json, write_text

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- analysis


def _diagnostics_by_construction(files: list[str]) -> dict[tuple[str, str], dict]:
    """(language, construction) -> diagnostics, for every relative build
    (relrep/<lang>/<variant>/diagnostics.json), linear map (linear/<lang>/<map>.json), static
    alignment (aligned/<lang>/diagnostics.json), peer method (peers/<lang>/<peer>.json) and
    the dictionary-only rows (dictionary/<lang>/<dict|dict-nodict>.json)."""
    found = {}
    for path in map(Path, files):
        nested = path.parts[-4] in ("relrep", "aligned")  # <stage>/<lang>/<variant>/diagnostics.json
        stage, lang = (path.parts[-4], path.parts[-3]) if nested else (path.parts[-3], path.parts[-2])
        name = {
            "relrep": f"rr {path.parent.name}",
            "aligned": f"{'refined' if path.stem == 'refined' else 'static'} alignment ({path.parent.name})",
            "dictionary": "dictionary-only rows" + (" (induced dictionary)" if path.stem == "dict-nodict" else ""),
            "induced": analysis_alignments.INDUCED,
        }.get(stage, path.stem)
        found[(lang, name)] = read_json(path)
    return found


def _main_diagnostics(files: list[str], weighting: str, default_k) -> dict[str, dict]:
    """Diagnostics of the main variant (sweep weighting, default k, main anchors, PLM space)
    by language: the ones the gain plot reports."""
    main = f"{weighting}-k{default_k}-main-plm"
    chosen = (read_json(path) for path in files if Path(path).parent.name == main)
    return {diagnostics["language"]: diagnostics for diagnostics in chosen}


def _sweep_rows(sweeps: dict, default_k, kind: str, codeswitch: dict | None = None) -> dict[str, str]:
    weighting = sweeps.get("weighting", "standard")
    base = f"rr-{weighting}"
    if kind == "k":
        rows = {f"k={k}": f"{base}-k{k}" for k in sweeps.get("k", [])}
        rows.setdefault(f"k={default_k}", base)
        return dict(sorted(rows.items(), key=lambda item: (item[0] == "k=all", _k_number(item[0]))))
    if kind == "codeswitch":
        switched = sweeps.get("codeswitch_weighting") or weighting
        return plan.codeswitch_sweep({"sweeps": sweeps, "codeswitch": codeswitch or {}}, switched)
    rows = {entry["name"]: f"{base}-a{entry['name']}" for entry in sweeps.get("anchors", [])}
    return {"all (main)": base, **rows}


def _k_number(label: str) -> float:
    value = label.split("=", 1)[1]
    return float("inf") if value == "all" else float(value)


def aggregate(
    eval_files: list[str],
    english_files: list[str],
    diagnostics_files: list[str],
    run: str,
    methods: list[str],
    seen_languages: list[str],
    sweeps: dict,
    seeds: list[int],
    default_k,
    settings: dict,
    out: dict[str, str],
    codeswitch: dict | None = None,
) -> None:
    """Tables (with intervals), the claims tested, the stitching/transfer split and the
    findings README of a run."""
    import pandas as pd

    from mosecrot import analysis

    resamples, seed, alpha = settings["resamples"], settings["seed"], settings["alpha"]
    sweep_seeds = sweeps.get("seeds") or seeds
    evaluations = analysis.load_evaluations(eval_files)
    english = analysis.load_evaluations(english_files, key=lambda r: f"{r['trained_for']}/{r['method']}")
    summary = analysis.summarize(evaluations, resamples, seed)
    analysis.write_frame(evaluations.per_seed, out["per_seed"])
    analysis.write_frame(summary, out["summary"])
    analysis.write_frame(english.per_seed, out["english_csv"])
    main_tables, numeric, sweep_text, claim_rows = {}, [], [], []
    main_methods = analysis.method_order(set(methods) & set(summary["method"]) | {"original"} & set(summary["method"]))
    for dataset in sorted(summary["dataset"].unique()):
        languages = sorted(set(summary[summary["dataset"] == dataset]["language"]) - {"en"})
        frame, text = analysis.paper_table(summary, dataset, methods=[m for m in main_methods if m != "original"])
        numeric.append(frame.assign(dataset=dataset))
        main_tables[dataset] = text
        claims = analysis.claim_list(methods, languages, seen_languages)
        claim_rows += analysis.test_claims(evaluations, dataset, claims, resamples, seed, default_k)
        for kind, title in (
            ("k", "Top-k sweep (paper Table 3)"),
            ("anchors", "Anchor subsets (paper Table 4)"),
            ("codeswitch", "Code-switching rate r (-cs)"),
        ):
            rows = _sweep_rows(sweeps, default_k, kind, codeswitch)
            if len(rows) > 1:
                part = analysis.sweep_summary(evaluations, rows, sweep_seeds, resamples, seed)
                table = analysis.sweep_table(part, dataset, rows, sweeps.get("languages"))[1]
                sweep_text.append(f"## {dataset}: {title}\n\n" + table)
    claims = analysis.finalize_claims(claim_rows, alpha)
    if warning := analysis.one_seed_warning(claims):
        log.warning(warning.strip("*"))
    costs = analysis.transfer_costs(evaluations, english, methods, default_k, resamples, seed)
    analysis.write_frame(pd.concat(numeric) if numeric else pd.DataFrame(), out["main_csv"], index=True)
    analysis.write_frame(claims, out["claims_csv"])
    analysis.write_frame(costs, out["costs_csv"])
    claims_md, costs_md = analysis.claims_markdown(claims, alpha), analysis.costs_markdown(costs)
    write_text(out["main_md"], "\n".join(f"## {d}\n\n{t}" for d, t in main_tables.items()))
    write_text(out["sweeps_md"], "\n".join(sweep_text) or "No sweep configured in this run.\n")
    write_text(out["claims_md"], claims_md)
    write_text(out["costs_md"], costs_md)
    diagnostics = _diagnostics_by_construction(diagnostics_files)
    points, rho = analysis.alignment_vs_transfer(summary, diagnostics, methods, default_k)
    analysis.write_frame(points, out["alignment_csv"])
    paragraph = analysis.summary_paragraph(claims, costs, summary, alpha, rho, len(points))
    failed = analysis_alignments.failed_alignment_warnings(diagnostics)
    for warning in failed:
        log.warning(warning.strip("*"))
    paragraph = "\n\n".join([*failed, paragraph])
    readme = analysis.findings_markdown(
        run,
        paragraph,
        summary,
        main_tables,
        claims_md,
        costs_md,
        diagnostics,
        english.per_seed,
        analysis.tuned_variants(evaluations),
        analysis.alignment_markdown(points, rho) + analysis_alignments.alignments_markdown(diagnostics),
        analysis.codeswitch_markdown(evaluations.per_seed),
    )
    if sweep_text:
        readme += "\n" + "\n".join(sweep_text)
    write_text(out["readme"], readme)


def plots(
    per_seed_csv: str,
    summary_csv: str,
    costs_csv: str,
    english_files: list[str],
    eval_files: list[str],
    diagnostics_files: list[str],
    dataset: str,
    methods: list[str],
    sweeps: dict,
    seeds: list[int],
    default_k,
    settings: dict,
    out: dict[str, str],
) -> None:
    import pandas as pd

    from mosecrot import analysis

    per_seed = pd.read_csv(per_seed_csv)
    summary = pd.read_csv(summary_csv)
    costs = pd.read_csv(costs_csv) if Path(costs_csv).stat().st_size > 1 else pd.DataFrame()
    weighting = sweeps.get("weighting", "standard")
    diagnostics = _main_diagnostics(diagnostics_files, weighting, default_k)
    evaluations = analysis.load_evaluations(eval_files)
    analysis.plot_bars(per_seed, summary, dataset, out["bars"], methods)
    for kind, label in (("k", "k"), ("anchors", "anchor subset")):
        rows = _sweep_rows(sweeps, default_k, kind)
        part = analysis.sweep_summary(
            evaluations, rows, sweeps.get("seeds") or seeds, settings["resamples"], settings["seed"]
        )
        analysis.plot_sweep(part, dataset, rows, label, out[f"sweep_{kind}"])
    analysis.plot_gain(summary, dataset, diagnostics, f"rr-{weighting}", out["gain"])
    analysis.plot_drift(per_seed, dataset, out["drift"])
    analysis.plot_costs(costs, dataset, out["costs"])
    curves = analysis.load_evaluations(english_files).curves + evaluations.curves
    analysis.plot_curves(_unique_curves(curves), dataset, out["curves"])


def _unique_curves(curves: list[dict]) -> list[dict]:
    """One curve per fine-tuned model (several evaluations read the same model)."""
    return list({curve["path"]: curve for curve in curves}.values())
