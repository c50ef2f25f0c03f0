# Stage 6: tables, plots and the findings README, all computed from the evaluation JSONs.


rule aggregate:
    input:
        evaluations=evaluation_files(),
        diagnostics=diagnostics_files(),
    output:
        summary=f"results/{RUN}/tables/summary.csv",
        per_seed=f"results/{RUN}/tables/per_seed.csv",
        main_md=report(
            f"results/{RUN}/tables/main.md",
            caption="../report/main_table.rst",
            category="Tables",
        ),
        main_csv=f"results/{RUN}/tables/main.csv",
        sweeps_md=report(
            f"results/{RUN}/tables/sweeps.md",
            caption="../report/sweeps_table.rst",
            category="Tables",
        ),
        readme=report(
            f"results/{RUN}/README.md",
            caption="../report/findings.rst",
            category="Findings",
        ),
    log:
        f"logs/{RUN}/analysis/aggregate.log",
    conda:
        "../envs/analysis.yaml"
    params:
        run=RUN,
        seen_languages=config["models"]["multilingual"].get("languages_seen", []),
        sweeps=canonical(config["sweeps"]),
        default_k=DEFAULT_K,
    script:
        "../workflow/scripts/aggregate.py"


rule plots:
    input:
        per_seed=f"results/{RUN}/tables/per_seed.csv",
        summary=f"results/{RUN}/tables/summary.csv",
        diagnostics=diagnostics_files(),
    output:
        bars=report(
            f"results/{RUN}/plots/{{dataset}}/bars.png",
            caption="../report/bars.rst",
            category="Plots",
            subcategory="{dataset}",
        ),
        sweep_k=report(
            f"results/{RUN}/plots/{{dataset}}/sweep_k.png",
            caption="../report/sweep_k.rst",
            category="Plots",
            subcategory="{dataset}",
        ),
        sweep_anchors=report(
            f"results/{RUN}/plots/{{dataset}}/sweep_anchors.png",
            caption="../report/sweep_anchors.rst",
            category="Plots",
            subcategory="{dataset}",
        ),
        gain=report(
            f"results/{RUN}/plots/{{dataset}}/gain.png",
            caption="../report/gain.rst",
            category="Plots",
            subcategory="{dataset}",
        ),
        drift=report(
            f"results/{RUN}/plots/{{dataset}}/drift.png",
            caption="../report/drift.rst",
            category="Plots",
            subcategory="{dataset}",
        ),
    log:
        f"logs/{RUN}/analysis/plots_{{dataset}}.log",
    conda:
        "../envs/analysis.yaml"
    params:
        sweeps=canonical(config["sweeps"]),
        default_k=DEFAULT_K,
    script:
        "../workflow/scripts/plots.py"
