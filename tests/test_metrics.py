import numpy as np
import pytest
from mosecrot.metrics import chance_levels, classification_report, macro_f1
from sklearn.metrics import accuracy_score, f1_score


@pytest.mark.parametrize("seed", range(5))
def test_macro_f1_agrees_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    labels = ["a", "b", "c", "d"]
    y_true = rng.choice(labels, 60).tolist()
    y_pred = rng.choice(labels[:3], 60).tolist()
    assert macro_f1(y_true, y_pred) == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    report = classification_report(y_true, y_pred, labels)
    assert report["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    per_class = f1_score(y_true, y_pred, average=None, labels=labels, zero_division=0)
    assert list(report["per_class_f1"].values()) == pytest.approx(per_class.tolist())
    assert np.array(report["confusion_matrix"]).sum() == 60


def test_chance_levels():
    y_true = ["a"] * 6 + ["b"] * 3 + ["c"]
    levels = chance_levels(y_true, ["a", "b", "c"])
    assert levels["majority_label"] == "a"
    assert levels["majority_macro_f1"] == pytest.approx(f1_score(y_true, ["a"] * 10, average="macro"))
    expected_uniform = np.mean([2 * p / 3 / (p + 1 / 3) for p in (0.6, 0.3, 0.1)])
    assert levels["uniform_macro_f1"] == pytest.approx(expected_uniform)
