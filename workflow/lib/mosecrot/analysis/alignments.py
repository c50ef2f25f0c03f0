"""The alignments of a run in its findings: the dictionary's Procrustes map, its refinement,
and the dictionary-free alignment with its induced dictionary, each scored on the same
held-out pairs; and the loud warning a failed dictionary-free alignment carries."""

from __future__ import annotations

INDUCED = "dictionary-free alignment"


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def failed_alignment_warnings(diagnostics: dict[tuple[str, str], dict]) -> list[str]:
    """One warning per language whose dictionary-free alignment failed: every -nodict method
    of that language reads noise."""
    warnings = []
    for (lang, name), found in sorted(diagnostics.items()):
        if name == INDUCED and found.get("failed"):
            best = max(found["criterion_per_step"])
            warnings.append(
                f"**Warning: the dictionary-free alignment of {lang} failed (its best criterion {best:.3f} is below "
                f"the failure threshold {found['failure_threshold']:.3f}, the criterion unrelated spaces reach plus "
                f"the margin; held-out P@1 {_fmt(found['held_out'].get('p@1'))}). Its induced dictionary is noise: "
                f"the {lang} scores of every -nodict method show what stitching gives without a usable dictionary, "
                "not what a dictionary-free alignment gives.**"
            )
    return warnings


def alignments_markdown(diagnostics: dict[tuple[str, str], dict]) -> list[str]:
    """Per language: the static alignments (held-out P@1 of the aligned target words' nearest
    candidate, the one scoring of every construction) and the dictionary-free alignment's own
    numbers (criterion, unrelated spaces, induced pairs, their precision on held-out words)."""
    languages = sorted({lang for lang, name in diagnostics if name == INDUCED or " alignment (" in name})
    if not languages:
        return []
    lines = [
        "## Alignments: the dictionary's, refined, and without a dictionary",
        "",
        "Held-out lexicon induction P@1 of each static alignment (cosine nearest PLM-token candidate with an "
        "English static vector; the same held-out pairs and candidates as the diagnostics table). Refined: "
        "Procrustes on mutual CSLS neighbours, the step with the best unsupervised criterion kept (step 0 is the "
        "map itself). The dictionary-free alignment reads no dictionary; the real dictionary's held-out pairs "
        "only score it.",
        "",
        "| language | anchors | alignment P@1 | refined P@1 (step kept) |",
        "|---|---|---|---|",
    ]
    for lang in languages:
        for anchor_set, label in (("main", "dictionary"), ("nodict", "induced dictionary (-nodict)")):
            found = diagnostics.get((lang, f"static alignment ({anchor_set})"))
            if not found:
                continue
            refined = diagnostics.get((lang, f"refined alignment ({anchor_set})")) or {}
            lines.append(
                f"| {lang} | {label}: {found['pairs_used']} pairs | {_fmt(found['lexicon_induction'].get('p@1'))} | "
                f"{_fmt((refined.get('lexicon_induction') or {}).get('p@1'))} ({refined.get('best_step', '–')}) |"
            )
    induced = [(lang, diagnostics[(lang, INDUCED)]) for lang in languages if (lang, INDUCED) in diagnostics]
    if induced:
        lines += [
            "",
            "The dictionary-free alignments (criterion: mean CSLS of the frequent words' nearest translations; "
            "unrelated: what the same procedure reaches on Gaussian spaces of the same shape; P@1: CSLS translation "
            "of the held-out words among the frequent words; precision: induced pairs of held-out words that the "
            "real dictionary confirms):",
            "",
            "| language | init | initial pairs | criterion per step | unrelated (threshold) | induced pairs "
            "| held-out P@1 (words) | precision (covered) | verdict |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for lang, d in induced:
            held = d["held_out"]
            steps = ", ".join(f"{c:.3f}" for c in d["criterion_per_step"])
            lines.append(
                f"| {lang} | {d['init']} | {d['initial_pairs']} | {steps} | {d['unrelated_criterion']:.3f} "
                f"({d['failure_threshold']:.3f}) | {d['induced_pairs']} | {_fmt(held.get('p@1'))} "
                f"({held['translated']}) | {_fmt(held.get('induced_pair_precision'))} "
                f"({held['in_induced_dictionary']}) "
                f"| {'**FAILED**' if d['failed'] else 'aligned'} |"
            )
    return lines + [""]
