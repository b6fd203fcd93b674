"""The book's robust-accuracy protocol: rnnsec.adversarial.evaluate_robustness."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec import set_seed
from rnnsec.adversarial import RobustnessReport, evaluate_robustness
from rnnsec.models import sequence_classifier
from rnnsec.stats import proportion_interval

CLIP = {"clip_min": 0.0, "clip_max": 1.0}
FAST = {"steps": 5, "restarts": 2}


@pytest.fixture(scope="module")
def digits_report(trained_digits_lstm):
    model, x, y = trained_digits_lstm
    return evaluate_robustness(model, x, y, 0.08, cascade=False, seed=0, **FAST, **CLIP)


def test_worst_case_is_below_every_attack_and_clean_accuracy(digits_report):
    report = digits_report
    assert isinstance(report, RobustnessReport)
    assert report.attacks == ("pgd-ce", "pgd-margin", "apgd-ce", "apgd-dlr")
    assert report.robust_accuracy <= report.clean_accuracy
    for name, accuracy in report.attack_accuracies.items():
        assert report.robust_accuracy <= accuracy, name
    cumulative = list(report.cumulative_accuracies.values())
    assert np.all(np.diff(cumulative) <= 0)
    assert cumulative[-1] == report.robust_accuracy
    assert report.robust_accuracy < report.clean_accuracy  # the attacks did break examples


def test_report_holds_intervals_inputs_and_a_readable_summary(trained_digits_lstm,
                                                               digits_report):
    model, x, y = trained_digits_lstm
    report = digits_report
    assert report.n == len(x) and report.robust.shape == (len(x),)
    assert report.robust_accuracy == report.robust.mean()
    ci = proportion_interval(report.robust_accuracy, n=len(x))
    assert (report.robust_interval.low, report.robust_interval.high) == (ci.low, ci.high)
    # the worst-case inputs: in the ball and the range, misclassified exactly where not robust
    assert np.abs(report.x_adv - x).max() <= 0.08 + 1e-5
    assert report.x_adv.min() >= 0.0 and report.x_adv.max() <= 1.0
    pred = np.argmax(model(report.x_adv).numpy(), axis=1)
    np.testing.assert_array_equal(pred == y, report.robust)
    text = repr(report)
    for part in ("robust accuracy", "Wilson", "pgd-margin", "apgd-dlr", "n=60",
                 report.robust_interval.text()):
        assert part in text
    row = report.as_dict()
    assert row["robust_accuracy"] == report.robust_accuracy and row["n"] == 60
    assert set(report.cpu_seconds) == set(report.attacks)


def test_cascade_attacks_only_survivors_and_is_no_weaker_than_its_first_attack(
        trained_digits_lstm, digits_report):
    model, x, y = trained_digits_lstm
    report = evaluate_robustness(model, x, y, 0.08, seed=0, **FAST, **CLIP)
    assert report.cascade and report.attacked["pgd-ce"] == round(report.clean_accuracy * 60)
    first = report.attack_accuracies["pgd-ce"]
    assert first is not None and report.robust_accuracy <= first
    assert report.attack_accuracies["apgd-dlr"] is None
    attacked = list(report.attacked.values())
    assert np.all(np.diff(attacked) <= 0)
    assert report.clean_accuracy == digits_report.clean_accuracy


def test_masked_model_padding_is_never_changed(trained_vowels_masked):
    model, x, y, mask = trained_vowels_masked
    report = evaluate_robustness(model, x, y, 0.2, mask=mask, seed=0, cascade=False,
                                 losses=("ce",), **FAST)
    padded = mask == 0
    np.testing.assert_array_equal(report.x_adv[padded], x[padded])
    assert report.robust_accuracy <= report.clean_accuracy
    assert report.robust_accuracy <= report.attack_accuracies["pgd-ce"]


def test_fixed_seed_repeats_the_evaluation(trained_toy_lstm):
    model, x, y = trained_toy_lstm
    mask = np.ones((40, 6))
    mask[::2, -2:] = 0
    kw = dict(mask=mask, steps=4, restarts=2, seed=5, **CLIP)
    a = evaluate_robustness(model, x[200:240], y[200:240], 0.2, **kw)
    b = evaluate_robustness(model, x[200:240], y[200:240], 0.2, **kw)
    np.testing.assert_array_equal(a.robust, b.robust)
    np.testing.assert_array_equal(a.x_adv, b.x_adv)
    assert a.attack_accuracies == b.attack_accuracies


def test_a_binary_model_gets_apgd_on_the_margin_loss():
    set_seed(0)
    model = sequence_classifier((4, 2), 2, units=4)
    x = np.random.default_rng(0).normal(size=(6, 4, 2)).astype("float32")
    y = np.argmax(model(x).numpy(), axis=1)
    report = evaluate_robustness(model, x, y, 0.5, steps=2, restarts=1)
    assert report.attacks == ("pgd-ce", "pgd-margin", "apgd-ce", "apgd-margin")
    with pytest.raises(ValueError, match="at least 3 classes"):
        evaluate_robustness(model, x, y, 0.5, losses=("dlr",))


def test_only_pgd_when_apgd_is_off(trained_toy_lstm):
    model, x, y = trained_toy_lstm
    report = evaluate_robustness(model, x[:10], y[:10], 0.1, losses=("margin",), apgd=False,
                                 steps=2, restarts=1)
    assert report.attacks == ("pgd-margin",)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"epsilon": -1.0}, ValueError, "epsilon"),
    ({"norm": "1"}, ValueError, "norm"),
    ({"steps": 0}, ValueError, "steps"),
    ({"restarts": 0}, ValueError, "restarts"),
    ({"losses": "ce"}, TypeError, "losses"),
    ({"losses": ("ce", "ce")}, ValueError, "distinct"),
    ({"losses": ("ce", "hinge")}, ValueError, "loss must be one of"),
    ({"losses": (), "apgd": False}, ValueError, "at least one"),
    ({"apgd": "yes"}, TypeError, "apgd"),
    ({"cascade": 1}, TypeError, "cascade"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"progress": None}, TypeError, "progress"),
    ({"seed": -3}, ValueError, "seed"),
    ({"mask": np.ones((3, 3))}, ValueError, "mask"),
    ({"clip_min": 0.5}, ValueError, "clip_min"),
])
def test_bad_arguments_are_refused(trained_toy_lstm, kwargs, error, match):
    model, x, y = trained_toy_lstm
    args = {"epsilon": 0.1, **kwargs}
    with pytest.raises(error, match=match):
        evaluate_robustness(model, x[:5], y[:5], args.pop("epsilon"), **args)
    with pytest.raises(ValueError, match="y"):
        evaluate_robustness(model, x[:5], y[:4], 0.1)
