"""Same seed, same inputs, same numbers: also across BLAS kernels, which differ between CPUs.
The LR baseline once gave fi macro-F1 0.851 on one machine and 0.846 on another: fitted in
float32 and stopped at sklearn's default tolerance, its solution depended on the kernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

CHILD = """
import json, sys
import numpy as np
sys.path.insert(0, {lib!r})
from mosecrot import transfer
data = np.load({features!r})
model = transfer.logistic_regression(data["train_x"], data["train_y"].tolist(), seed=0)
print(json.dumps({{"predicted": model.predict(data["test_x"]).tolist(), "coef": model[-1].coef_.ravel().tolist()}}))
"""


def _kernels() -> tuple[str, str]:
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return ("Haswell", "SkylakeX") if "avx512f" in flags else ("Sandybridge", "Haswell")


@pytest.fixture(scope="module")
def fi_features(tmp_path_factory):
    """The demo's Finnish LR features: intents sample and floret vectors, as the rules make them."""
    from mosecrot import datasets, transfer, vectors
    from mosecrot.io import package_dir

    root = tmp_path_factory.mktemp("lr")
    vectors.export_spacy_vectors(
        package_dir("spacy_fi_experimental_web_md") / "fi_experimental_web_md-0.15.0" / "vocab",
        "fi",
        root / "fi.vec",
        50000,
    )
    known, _ = vectors.read_vec(root / "fi.vec")
    config = json.loads(
        json.dumps(__import__("yaml").safe_load((ROOT / "config/demo.yaml").read_text())["datasets"]["intents"])
    )
    frame = datasets.sample_intents(
        package_dir("home_assistant_intents") / "data",
        "fi",
        config["intents"],
        config["per_intent"],
        0,
        config["fractions"],
    )
    split = transfer.Tokenization(punctuation="drop").split
    index = known.index()
    train, test = frame[frame["split"] == "train"], frame[frame["split"] == "test"]
    train_x, _, _ = transfer.average_vectors([split(t) for t in train["text"]], index, known.matrix)
    test_x, _, _ = transfer.average_vectors([split(t) for t in test["text"]], index, known.matrix)
    path = root / "features.npz"
    np.savez(path, train_x=train_x, train_y=np.array(train["label"].tolist()), test_x=test_x)
    return path


def test_lr_baseline_gives_the_same_predictions_with_every_blas_kernel(fi_features):
    results = []
    for kernel in _kernels():
        env = {**os.environ, "OPENBLAS_CORETYPE": kernel}
        code = CHILD.format(lib=str(ROOT / "workflow" / "lib"), features=str(fi_features))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert results[0]["predicted"] == results[1]["predicted"]
    # Converged: kernels agree to ~1e-6 (float32 at the default tolerance: ~3e-3).
    np.testing.assert_allclose(results[0]["coef"], results[1]["coef"], rtol=0, atol=2e-5)
