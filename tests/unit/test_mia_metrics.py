"""Tests of rnnsec.privacy.metrics against scikit-learn and brute force."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn import metrics as skm

from rnnsec.privacy.metrics import (
    MembershipAttackResult,
    auc,
    evaluate_attack,
    membership_advantage,
    roc_curve,
    tpr_at_fpr,
)


def _synthetic(seed: int, n: int = 300, rounding: int | None = None):
    rng = np.random.default_rng(seed)
    is_member = rng.random(n) < 0.4
    scores = rng.normal(size=n) + 0.8 * is_member
    if rounding is not None:  # coarse scores create many ties
        scores = np.round(scores, rounding)
    return scores, is_member


def _brute_force_rates(scores, is_member):
    """(fpr, tpr) of 'member if score >= t' for every t in the scores, plus t = +inf."""
    points = [(0.0, 0.0)]
    for t in np.unique(scores):
        pred = scores >= t
        points.append((np.mean(pred[~is_member]), np.mean(pred[is_member])))
    return np.array(points)


@pytest.mark.parametrize("seed, rounding", [(0, None), (1, 1), (2, 0)])
def test_roc_curve_matches_sklearn(seed, rounding):
    scores, is_member = _synthetic(seed, rounding=rounding)
    roc = roc_curve(scores, is_member)
    fpr, tpr, thresholds = skm.roc_curve(is_member, scores, drop_intermediate=False)
    np.testing.assert_allclose(roc.fpr, fpr)
    np.testing.assert_allclose(roc.tpr, tpr)
    np.testing.assert_allclose(roc.thresholds[1:], thresholds[1:])
    assert roc.thresholds[0] == np.inf
    assert auc(scores, is_member) == pytest.approx(skm.roc_auc_score(is_member, scores))


@pytest.mark.parametrize("seed, rounding", [(3, None), (4, 1)])
def test_tpr_at_fpr_and_advantage_match_brute_force(seed, rounding):
    scores, is_member = _synthetic(seed, n=200, rounding=rounding)
    points = _brute_force_rates(scores, is_member)  # [K, 2] (fpr, tpr)
    for target in (0.01, 0.05, 0.1, 0.5):
        expected = points[points[:, 0] <= target, 1].max()
        assert tpr_at_fpr(scores, is_member, target) == pytest.approx(expected)
    expected_adv = np.max(points[:, 1] - points[:, 0])
    assert membership_advantage(scores, is_member) == pytest.approx(expected_adv)


def test_perfect_reversed_and_constant_attacks():
    is_member = np.array([1, 1, 1, 0, 0, 0])
    perfect = np.array([6.0, 5, 4, 3, 2, 1])
    assert auc(perfect, is_member) == 1.0
    assert membership_advantage(perfect, is_member) == 1.0
    assert tpr_at_fpr(perfect, is_member, 0.001) == 1.0
    assert auc(-perfect, is_member) == 0.0
    assert membership_advantage(-perfect, is_member) == 0.0
    assert tpr_at_fpr(-perfect, is_member, 0.5) == 0.0
    constant = np.zeros(6)
    assert auc(constant, is_member) == 0.5
    assert membership_advantage(constant, is_member) == 0.0


def test_metrics_do_not_depend_on_example_order():
    scores, is_member = _synthetic(5, rounding=1)
    perm = np.random.default_rng(0).permutation(len(scores))
    a, b = evaluate_attack(scores, is_member), evaluate_attack(scores[perm], is_member[perm])
    assert a.as_dict() == b.as_dict()


def test_evaluate_attack_result_fields():
    scores, is_member = _synthetic(6)
    result = evaluate_attack(scores, is_member.astype(int), fprs=(0.01, 0.1), name="loss")
    assert isinstance(result, MembershipAttackResult)
    assert result.n_members == is_member.sum() and result.n_nonmembers == (~is_member).sum()
    assert result.auc == pytest.approx(skm.roc_auc_score(is_member, scores))
    assert result.tpr_at_fpr[1] == (0.1, tpr_at_fpr(scores, is_member, 0.1))
    row = result.as_dict()
    assert set(row) == {"name", "n_members", "n_nonmembers", "auc", "advantage",
                        "tpr@fpr=0.01", "tpr@fpr=0.1"}
    assert "'loss'" in repr(result) and "AUC" in repr(result)
    assert len(result.roc.as_dict()["fpr"]) == len(result.roc.fpr)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.auc = 1.0
    with pytest.raises(ValueError):
        result.roc.tpr[0] = 1.0  # the curve's arrays are read-only


@pytest.mark.parametrize("scores, is_member, match", [
    ([0.1, 0.2, 0.3], [1, 0], "mismatched lengths"),
    ([0.1, np.nan, 0.3], [1, 0, 1], "scores"),
    ([0.1, 0.2, 0.3], [1, 1, 1], "is_member"),
    ([0.1, 0.2, 0.3], [0, 0, 0], "is_member"),
    ([0.1, 0.2, 0.3], [1, 0, 2], "is_member"),
    ([[0.1, 0.2]], [1, 0], "scores"),
])
def test_bad_inputs_raise_naming_the_argument(scores, is_member, match):
    with pytest.raises(ValueError, match=match):
        roc_curve(scores, is_member)


@pytest.mark.parametrize("fpr", [0.0, 1.0, -0.1, 1.5])
def test_fpr_outside_open_unit_interval_raises(fpr):
    with pytest.raises(ValueError, match="fpr"):
        tpr_at_fpr([0.1, 0.2], [1, 0], fpr)
    with pytest.raises(ValueError, match="fprs"):
        evaluate_attack([0.1, 0.2], [1, 0], fprs=(0.1, fpr))


def test_evaluate_attack_rejects_bad_fprs_and_name():
    with pytest.raises(ValueError, match="fprs"):
        evaluate_attack([0.1, 0.2], [1, 0], fprs=())
    with pytest.raises(TypeError, match="name"):
        evaluate_attack([0.1, 0.2], [1, 0], name=3)
    with pytest.raises(TypeError, match="is_member"):
        roc_curve([0.1, 0.2], ["a", "b"])
