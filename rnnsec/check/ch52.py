"""Self-checks for the exercises of Chapter 5.2 (Differential privacy in practice)."""

from __future__ import annotations

from rnnsec.check._core import as_dict, as_number, register, require
from rnnsec.check.ch42 import check_smallest_noise, close
from rnnsec.privacy import accounting


@register("5.2-1", topic="test accuracy with the article's loss and with the correct one")
def _loss_error(answer) -> str:
    given = as_dict(answer, ("article", "correct"), "loss_accuracy")
    acc = {k: as_number(given[k], f"the accuracy ({k})") for k in ("article", "correct")}
    require(all(0.0 <= a <= 1.0 for a in acc.values()),
            "give accuracies as fractions in [0, 1], not percentages")
    require(acc["correct"] >= acc["article"] + 0.3,
            "the two accuracies should differ a lot: is 'article' the run with "
            "categorical_crossentropy on one-hot labels (logits read as probabilities) and "
            "'correct' the one with SparseCategoricalCrossentropy(from_logits=True)?")
    require(acc["article"] <= 0.35,
            "the article's loss should leave the model near chance; train it with "
            "loss='categorical_crossentropy' on to_categorical(y_train, 10)")
    require(acc["correct"] >= 0.7,
            "the correct loss should train the model to the accuracy of Chapter 1; train "
            "with the same epochs, batch and learning rate as the chapter")
    return ("Right: the wrong loss alone stops the model from learning; privacy had nothing to "
            "do with it.")


@register("5.2-2", topic="epsilon at sigma and sigma / 2 (TF Privacy's used_microbatching)")
def _microbatching(answer, *, noise_multiplier: float, sampling_rate: float, steps: int,
                   delta: float) -> str:
    given = as_dict(answer, ("full_noise", "half_noise", "default"), "microbatching")
    full = accounting.compute_epsilon(noise_multiplier, sampling_rate=sampling_rate, steps=steps,
                                      delta=delta).epsilon
    half = accounting.compute_epsilon(noise_multiplier / 2, sampling_rate=sampling_rate,
                                      steps=steps, delta=delta).epsilon
    eps_full = as_number(given["full_noise"], "full_noise")
    eps_half = as_number(given["half_noise"], "half_noise")
    require(not (close(eps_full, half, 1e-3) and close(eps_half, full, 1e-3)),
            "full_noise and half_noise are swapped: less noise means a larger epsilon")
    require(close(eps_full, full, 1e-3),
            "full_noise: compute_epsilon at the run's noise multiplier, sampling rate and "
            "number of steps (RDP accountant, the default)")
    require(close(eps_half, half, 1e-3),
            "half_noise: the same computation with the noise multiplier halved")
    require(given["default"] in ("full_noise", "half_noise"),
            "default must be 'full_noise' or 'half_noise'")
    require(given["default"] == "half_noise",
            "used_microbatching=True assumes a microbatch may hold several examples, each of "
            "which can move the clipped mean by up to 2C: which noise does that correspond to?")
    return ("Right: TF Privacy's default charges the sigma / 2 number, correct when microbatches "
            "hold more than one example and pessimistic when each holds one.")


@register("5.2-3", topic="noise multiplier for epsilon <= 1 on the article's run")
def _budget_one(answer, *, n_examples: int, batch_size: int, epochs: int, delta: float) -> str:
    q = accounting.sampling_rate(batch_size, n_examples=n_examples)
    steps = epochs * max(1, round(n_examples / batch_size))  # what Poisson fit() runs
    check_smallest_noise(answer, 1.0, q, steps, delta, what="sigma_1")
    return ("Right: the smallest noise multiplier that keeps the run at epsilon <= 1, about "
            "twice the article's.")
