"""Tests of rnnsec.privacy.accounting: published epsilons, conversions, calibration, errors."""

from __future__ import annotations

import dataclasses
import math

import dp_accounting
import numpy as np
import pytest
from dp_accounting.pld import PLDAccountant
from scipy.stats import norm

from rnnsec.privacy.accounting import (
    PrivacyReport,
    classic_rdp_to_dp,
    compute_epsilon,
    epsilon_per_epoch,
    gaussian_mechanism_delta,
    gaussian_mechanism_sigma,
    noise_for_epsilon,
    sampling_rate,
    steps_for_epochs,
)

# (n_examples, batch, noise, epochs, accountant, conversion, published value, decimals, source)
ANCHORS = [
    (60000, 256, 1.1, 60, "rdp", "classic", 3.01, 2, "TF Privacy README"),
    (60000, 256, 1.1, 60, "rdp", "improved", 2.597, 3, "dp-accounting RDP"),
    (60000, 256, 1.1, 60, "pld", None, 2.382, 3, "dp-accounting PLD"),
    (60000, 240, 1.3, 15, "rdp", "classic", 1.16, 2, "Opacus MNIST README"),
    (60000, 240, 1.1, 60, "rdp", "classic", 2.91, 2, "Opacus MNIST README"),
    (60000, 240, 0.7, 45, "rdp", "classic", 6.86, 2, "Opacus MNIST README"),
    (60000, 250, 1.3, 15, "rdp", "classic", 1.18, 2, "TF Privacy tutorial"),
    (60000, 250, 1.3, 3, "rdp", "classic", 0.790, 3, "ANCHORS: 3-epoch tutorial run"),
    (60000, 250, 1.3, 3, "rdp", "improved", 0.563, 3, "ANCHORS: 3-epoch tutorial run"),
]


@pytest.mark.parametrize("n, batch, noise, epochs, accountant, conversion, expected, ndigits, "
                         "source", ANCHORS)
def test_published_epsilons_are_reproduced(n, batch, noise, epochs, accountant, conversion,
                                           expected, ndigits, source):
    steps = steps_for_epochs(n, batch_size=batch, epochs=epochs)
    report = compute_epsilon(noise, sampling_rate=sampling_rate(batch, n_examples=n), steps=steps,
                             delta=1e-5, accountant=accountant, conversion=conversion)
    assert round(report.epsilon, ndigits) == pytest.approx(expected, abs=1e-12), source


def test_tf_privacy_unit_test_value_and_order():
    # TF Privacy's compute_dp_sgd_privacy test: N=60000, batch 150, noise 1.3, 15 epochs.
    report = compute_epsilon(1.3, sampling_rate=sampling_rate(150, n_examples=60000),
                             steps=steps_for_epochs(60000, batch_size=150, epochs=15),
                             delta=1e-5)
    assert report.steps == 6000
    assert report.epsilon == pytest.approx(0.7242234026109595, rel=1e-9)
    assert report.order == 19
    assert report.conversion == "improved"


def test_abadi_moments_accountant_setting_classic():
    report = compute_epsilon(4.0, sampling_rate=0.01, steps=10_000, delta=1e-5,
                             conversion="classic")
    assert round(report.epsilon, 3) == 1.259


def test_steps_are_counted_like_tf_privacy():
    assert steps_for_epochs(60000, batch_size=256, epochs=60) == 14063  # ceil(14062.5)
    assert steps_for_epochs(60000, batch_size=150, epochs=15) == 6000
    assert steps_for_epochs(60000, batch_size=256, epochs=0.5) == 118  # ceil(117.1875)
    # float arithmetic would give 1.1 * 100 / 10 = 11.000000000000002 -> 12 steps
    assert steps_for_epochs(100, batch_size=10, epochs=1.1) == 11
    assert steps_for_epochs(10, batch_size=10, epochs=1) == 1


def test_conversions_are_ordered_classic_improved_pld():
    q = sampling_rate(256, n_examples=60000)
    steps = steps_for_epochs(60000, batch_size=256, epochs=60)
    classic = compute_epsilon(1.1, sampling_rate=q, steps=steps, delta=1e-5,
                              conversion="classic").epsilon
    improved = compute_epsilon(1.1, sampling_rate=q, steps=steps, delta=1e-5,
                               conversion="improved").epsilon
    pld = compute_epsilon(1.1, sampling_rate=q, steps=steps, delta=1e-5, accountant="pld").epsilon
    assert classic > improved > pld > 0


def test_classic_conversion_matches_the_formula():
    orders = np.array([2.0, 4.0, 8.0, 16.0])
    rdp = np.array([0.1, 0.3, 0.9, 2.5])
    delta = 1e-5
    eps, order = classic_rdp_to_dp(orders, rdp=rdp, delta=delta)
    manual = rdp + np.log(1 / delta) / (orders - 1)
    assert eps == pytest.approx(manual.min())
    assert order == orders[np.argmin(manual)]


def test_custom_orders_change_the_minimiser():
    q, steps = 0.01, 1000
    coarse = compute_epsilon(1.0, sampling_rate=q, steps=steps, delta=1e-5, orders=[2, 64])
    fine = compute_epsilon(1.0, sampling_rate=q, steps=steps, delta=1e-5)
    assert coarse.order in (2, 64)
    assert coarse.epsilon >= fine.epsilon


@pytest.mark.parametrize("conversion", ["improved", "classic"])
def test_noise_for_epsilon_inverts_compute_epsilon(conversion):
    q, target = sampling_rate(256, n_examples=60000), 1.5
    steps = steps_for_epochs(60000, batch_size=256, epochs=10)
    sigma = noise_for_epsilon(target, sampling_rate=q, steps=steps, delta=1e-5,
                              conversion=conversion, rtol=1e-4)
    assert compute_epsilon(sigma, sampling_rate=q, steps=steps, delta=1e-5,
                           conversion=conversion).epsilon <= target
    less = sigma * (1 - 3e-4)
    assert compute_epsilon(less, sampling_rate=q, steps=steps, delta=1e-5,
                           conversion=conversion).epsilon > target


def test_noise_for_epsilon_agrees_with_dp_accounting_calibration():
    q, steps, target = 0.01, 2000, 2.0

    def make_event(sigma):
        return dp_accounting.SelfComposedDpEvent(
            dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps)

    theirs = dp_accounting.calibrate_dp_mechanism(dp_accounting.rdp.RdpAccountant, make_event,
                                                  target, 1e-5)
    ours = noise_for_epsilon(target, sampling_rate=q, steps=steps, delta=1e-5, rtol=1e-5)
    assert ours == pytest.approx(theirs, rel=1e-4)


def test_noise_for_epsilon_with_pld():
    sigma = noise_for_epsilon(1.0, sampling_rate=0.02, steps=200, delta=1e-5, accountant="pld",
                              rtol=1e-2)
    assert compute_epsilon(sigma, sampling_rate=0.02, steps=200, delta=1e-5,
                           accountant="pld").epsilon <= 1.0
    assert compute_epsilon(sigma * 0.97, sampling_rate=0.02, steps=200, delta=1e-5,
                           accountant="pld").epsilon > 1.0


def test_epsilon_per_epoch_matches_single_calls_and_grows():
    curve = epsilon_per_epoch(1.1, batch_size=256, n_examples=60000, epochs=12, delta=1e-5,
                              conversion="classic")
    assert curve.shape == (12,)
    assert np.all(np.diff(curve) > 0)
    for epoch in (1, 5, 12):
        steps = steps_for_epochs(60000, batch_size=256, epochs=epoch)
        single = compute_epsilon(1.1, sampling_rate=256 / 60000, steps=steps, delta=1e-5,
                                 conversion="classic")
        assert curve[epoch - 1] == pytest.approx(single.epsilon, rel=1e-9)


def test_epsilon_per_epoch_pld():
    curve = epsilon_per_epoch(1.1, batch_size=600, n_examples=6000, epochs=2, delta=1e-5,
                              accountant="pld")
    single = compute_epsilon(1.1, sampling_rate=0.1, steps=20, delta=1e-5, accountant="pld").epsilon
    assert curve[1] == pytest.approx(single, rel=1e-9)
    assert curve[0] < curve[1]


def test_report_is_frozen_readable_and_tabular():
    report = compute_epsilon(1.1, sampling_rate=256 / 60000, steps=14063, delta=1e-5)
    text = repr(report)
    assert "(2.597, 1e-05)-DP" in text and "14063 steps" in text and "improved" in text
    row = report.as_dict()
    assert row["accountant"] == "rdp" and row["steps"] == 14063 and row["order"] == 8.1
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.epsilon = 0.0
    pld = compute_epsilon(1.1, sampling_rate=0.01, steps=100, delta=1e-5, accountant="pld")
    assert isinstance(pld, PrivacyReport) and pld.order is None and pld.conversion is None
    assert "PLD accountant" in repr(pld)


@pytest.mark.parametrize("epsilon", [0.1, 0.5, 1.0, 3.0, 10.0])
def test_analytic_gaussian_sigma_meets_delta_exactly(epsilon):
    delta = 1e-5
    sigma = gaussian_mechanism_sigma(epsilon, delta=delta)
    assert gaussian_mechanism_delta(sigma, epsilon=epsilon) <= delta
    assert gaussian_mechanism_delta(sigma, epsilon=epsilon) == pytest.approx(delta, rel=1e-6)
    assert gaussian_mechanism_delta(sigma * (1 - 1e-6), epsilon=epsilon) > delta
    if epsilon < 1:
        assert sigma < gaussian_mechanism_sigma(epsilon, delta=delta, method="classic")


def test_gaussian_delta_agrees_with_pld_and_closed_form():
    sigma, epsilon = 2.0, 1.0
    acc = PLDAccountant(value_discretization_interval=1e-5)
    acc.compose(dp_accounting.GaussianDpEvent(sigma))
    assert gaussian_mechanism_delta(sigma, epsilon=epsilon) == pytest.approx(
        acc.get_delta(epsilon), rel=1e-3)
    # at epsilon 0, delta is the total variation distance 2 Phi(D / 2 sigma) - 1
    assert gaussian_mechanism_delta(sigma, epsilon=0.0, sensitivity=3.0) == pytest.approx(
        2 * norm.cdf(3.0 / (2 * sigma)) - 1)


def test_gaussian_sigma_scales_with_sensitivity_and_matches_classic_formula():
    assert gaussian_mechanism_sigma(0.5, delta=1e-5, sensitivity=3.0) == pytest.approx(
        3 * gaussian_mechanism_sigma(0.5, delta=1e-5, sensitivity=1.0), rel=1e-9)
    classic = gaussian_mechanism_sigma(0.5, delta=1e-5, sensitivity=2.0, method="classic")
    assert classic == pytest.approx(
        math.sqrt(2 * math.log(1.25 / 1e-5)) * 2.0 / 0.5)


@pytest.mark.skipif(not hasattr(dp_accounting, "get_sigma_gaussian"),
                    reason="dp-accounting < 0.5 has no get_sigma_gaussian")
def test_analytic_gaussian_sigma_matches_dp_accounting():
    for epsilon in (0.1, 1.0, 5.0):
        assert gaussian_mechanism_sigma(epsilon, delta=1e-6) == pytest.approx(
            dp_accounting.get_sigma_gaussian(epsilon, 1e-6), rel=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    (dict(noise_multiplier=0.0), "noise_multiplier"),
    (dict(noise_multiplier=-1.0), "noise_multiplier"),
    (dict(sampling_rate=0.0), "sampling_rate"),
    (dict(sampling_rate=1.5), "sampling_rate"),
    (dict(steps=0), "steps"),
    (dict(steps=2.5), "steps"),
    (dict(delta=0.0), "delta"),
    (dict(delta=1.0), "delta"),
    (dict(accountant="moments"), "accountant"),
    (dict(conversion="tight"), "conversion"),
    (dict(accountant="pld", conversion="classic"), "conversion"),
    (dict(orders=[0.5, 2.0]), "orders"),
])
def test_compute_epsilon_rejects_bad_arguments(kwargs, match):
    args = dict(noise_multiplier=1.0, sampling_rate=0.01, steps=100, delta=1e-5)
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        compute_epsilon(**args)


def test_other_functions_reject_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        sampling_rate(101, n_examples=100)
    with pytest.raises(ValueError, match="n_examples"):
        steps_for_epochs(0, batch_size=1, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        steps_for_epochs(100, batch_size=10, epochs=0)
    with pytest.raises(ValueError, match="target_epsilon"):
        noise_for_epsilon(0.0, sampling_rate=0.01, steps=100, delta=1e-5)
    with pytest.raises(ValueError, match="rtol"):
        noise_for_epsilon(1.0, sampling_rate=0.01, steps=100, delta=1e-5, rtol=0.5)
    with pytest.raises(ValueError, match="epochs"):
        epsilon_per_epoch(1.0, batch_size=10, n_examples=100, epochs=0, delta=1e-5)
    with pytest.raises(ValueError, match="epsilon"):
        gaussian_mechanism_sigma(1.5, delta=1e-5, method="classic")
    with pytest.raises(ValueError, match="epsilon"):
        gaussian_mechanism_sigma(0.0, delta=1e-5)
    with pytest.raises(ValueError, match="method"):
        gaussian_mechanism_sigma(0.5, delta=1e-5, method="renyi")
    with pytest.raises(ValueError, match="sensitivity"):
        gaussian_mechanism_sigma(0.5, delta=1e-5, sensitivity=0.0)
    with pytest.raises(TypeError, match="noise_multiplier"):
        compute_epsilon("1.0", sampling_rate=0.01, steps=100, delta=1e-5)


def test_compute_epsilon_refuses_a_positional_sampling_rate_or_delta():
    # compute_epsilon(1.1, 1e-5, 14063, 256 / 60000) used to run, with the sampling rate and
    # delta swapped, and report a wrong but plausible epsilon; now only the noise is positional
    with pytest.raises(TypeError, match="positional"):
        compute_epsilon(1.1, 1e-5, 14063, 256 / 60000)
    with pytest.raises(TypeError, match="positional"):
        compute_epsilon(1.1, 256 / 60000, 14063, 1e-5)
    with pytest.raises(TypeError, match="positional"):
        noise_for_epsilon(1.0, 256 / 60000, 14063, 1e-5)
    swapped = compute_epsilon(1.1, sampling_rate=1e-5, steps=14063, delta=256 / 60000).epsilon
    right = compute_epsilon(1.1, sampling_rate=256 / 60000, steps=14063, delta=1e-5).epsilon
    assert swapped != pytest.approx(right)  # why the swap must not be possible silently


@pytest.mark.parametrize("call", [
    lambda: sampling_rate(256, 60000),
    lambda: steps_for_epochs(60000, 256, 60),
    lambda: epsilon_per_epoch(1.1, 256, 60000, 2, 1e-5),
    lambda: gaussian_mechanism_sigma(1.0, 1e-5),
    lambda: gaussian_mechanism_delta(1.0, 1.0),
    lambda: classic_rdp_to_dp([2.0, 4.0], [0.1, 0.2], 1e-5),
])
def test_only_the_first_argument_is_positional(call):
    with pytest.raises(TypeError, match="positional"):
        call()
