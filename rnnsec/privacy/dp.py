"""Differentially private training of Keras models with ``model.fit`` (Chapter 3.2).

DP-SGD (Abadi et al. 2016) changes one thing in a training step: instead of the gradient of the
mean loss, the optimizer receives

    (sum_j clip_C(g_j) + N(0, sigma^2 C^2 I)) / denominator

where ``g_j`` is the gradient of one *unit* (an example, or a microbatch), ``clip_C`` scales it
to L2 norm at most ``C`` (``l2_norm_clip``), ``sigma`` is the ``noise_multiplier``, and the
denominator is the expected batch size (Poisson sampling) or the number of units in the batch
(fixed-size batches, TF Privacy's convention). Any Keras optimizer then takes the step (SGD
gives DP-SGD, Adam gives DP-Adam; the privacy comes from the noisy gradient, not the optimizer).

- :func:`make_private` / :class:`DPModel`: wraps a model; ``compile`` and ``fit`` as usual,
  except that ``fit(x, y, batch_size=B)`` samples Poisson batches of expected size B by default.
  Per-unit gradients come from ``rnnsec.privacy.clipping`` (``engine="fast"`` for Keras's
  Dense, Embedding, SimpleRNN, GRU, LSTM and Bidirectional layers, the ``rnnsec.layers``
  recurrent layers and any layer registered in ``rnnsec.privacy.fast_layers``; ``"general"``
  for anything).
- :func:`poisson_batches`: each example joins each batch independently with probability ``q``
  (variable batch sizes, empty batches possible). This is the sampling that the accountant
  (``rnnsec.privacy.accounting``) analyses, so its epsilon is a proven guarantee.
- :func:`shuffled_batches`: a fresh permutation each epoch cut into fixed-size batches, what
  ``model.fit(batch_size=...)`` does. What it guarantees is in its ``privacy_statement``.
- :class:`EpsilonCallback`: logs epsilon after every epoch.
- ``adversary=``: DP-SGD on adversarial inputs, e.g.
  ``make_private(model, l2_norm_clip=1.0, noise_multiplier=1.1,
  adversary=rnnsec.adversarial.PGD(0.1))``. The adversary is
  a per-example input transform ``(model, x, y) -> x_adv`` applied to each batch against the
  current weights before per-example clipping; since each example's ``x_adv`` depends only on
  itself and the weights, the clipped sum keeps sensitivity C and the accountant's epsilon
  holds (Chapter 2.3, theorem "PGD inside DP-SGD").

Microbatches (``num_microbatches=m``): the batch is split into m groups and each group's mean
gradient is clipped as one unit, as in TF Privacy. The accountant's epsilon is a statement about
adding or removing one *unit*. With one example per unit (the default here, ``None``) that is
one example. With ``num_microbatches=1`` (the source article's TF Privacy snippet) the unit is
the whole batch: the statement protects a batch, and a single example inside a unit of ``k > 1``
examples can move the clipped sum by ``2C`` (its unit's clipped mean is replaced by another),
twice what the accountant assumes for add/remove; :class:`EpsilonCallback` then reports the
example-level number, computed with ``sigma / 2``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from rnnsec import compat
from rnnsec._validate import (
    as_float_array,
    check_choice,
    check_number,
    check_same_length,
    keyword_only,
)
from rnnsec.compat import keras
from rnnsec.privacy import clipping

__all__ = ["DPModel", "make_private", "noisy_gradients", "Batches", "poisson_batches",
           "shuffled_batches", "EpsilonCallback", "SAMPLINGS"]

SAMPLINGS = ("poisson", "shuffle")


# ==================================================================================== noise
def noisy_gradients(clipped_sum: list, l2_norm_clip: float, noise_multiplier: float,
                    denominator, generator: tf.random.Generator) -> list[tf.Tensor]:
    """``(clipped_sum + N(0, (sigma C)^2 I)) / denominator``, one Gaussian draw per coordinate.

    Args:
        clipped_sum: summed clipped gradients, one tensor per variable.
        l2_norm_clip: C > 0.
        noise_multiplier: sigma >= 0 (0 adds no noise: clipping only, no privacy).
        denominator: a positive number or scalar tensor (expected batch size or number of
            units).
        generator: the ``tf.random.Generator`` the noise is drawn from.

    Returns:
        The noisy, averaged gradients (same order and shapes).

    Abadi et al. 2016, Algorithm 1 (add noise, then descend). Chapter 3.2.
    """
    check_number("l2_norm_clip", l2_norm_clip, low=0, low_open=True)
    check_number("noise_multiplier", noise_multiplier, low=0)
    stddev = float(l2_norm_clip) * float(noise_multiplier)
    out = []
    for g in clipped_sum:
        g = tf.convert_to_tensor(g)
        if stddev > 0:
            g = g + generator.normal(tf.shape(g), stddev=stddev, dtype=g.dtype)
        out.append(g / tf.cast(denominator, g.dtype))
    return out


# ==================================================================================== model
class _Divisor:
    """A float the traced train step reads: the divisor of the noisy sum, 0 for "count".

    Kept in a plain object (not a Keras weight), like the optimiser's state is not a weight
    of the model; ``set`` changes it between ``fit`` calls without retracing the step.
    """

    def __init__(self, value: float | None):
        self._var = tf.Variable(0.0 if value is None else float(value), dtype=tf.float32,
                                trainable=False)

    def set(self, value: float | None) -> None:
        self._var.assign(0.0 if value is None else float(value))

    def value(self) -> tf.Tensor:
        return self._var.read_value()


@keras.utils.register_keras_serializable(package="rnnsec")
class DPModel(keras.Model):
    """A Keras model whose ``fit`` runs DP-SGD (or DP-Adam, ...): clip, add noise, step.

    Args:
        model: the model to train privately (its variables are trained in place).
        l2_norm_clip: clipping norm C > 0.
        noise_multiplier: sigma >= 0; the noise on the sum has standard deviation sigma * C.
        engine: per-unit gradient engine, ``"auto"``, ``"fast"`` or ``"general"``
            (``rnnsec.privacy.clipping``). ``"auto"`` warns when it has to use ``"general"``.
        num_microbatches: None (one example per unit; the default) or m dividing every batch
            size (units of B/m examples; module docstring). Needs ``sampling="shuffle"``.
        sampling: what ``fit(x, y, batch_size=B)`` does with arrays. ``"poisson"`` (default):
            Poisson batches with q = B / N (:func:`poisson_batches`, fresh randomness at every
            ``fit`` call), noisy sum divided by B = q N, so the accountant's epsilon is a
            proven guarantee. ``"shuffle"``: Keras's usual shuffled fixed-size batches,
            divided by the number of units in each batch (:meth:`Batches.privacy_statement`
            says what that guarantees).
        expected_batch_size: the divisor for data that ``fit`` does not sample itself (a
            ``tf.data`` pipeline, ``train_on_batch``); None divides by the number of units in
            each batch. ``fit(batches)`` with a :class:`Batches` sets it from the batches.
        seed: seed of the noise and of the Poisson sampling (None: drawn from NumPy's global
            generator, which ``rnnsec.set_seed`` seeds).
        general_method: for the general engine, ``"auto"``, ``"vectorized_map"`` or
            ``"map_fn"``.
        adversary: None, or a per-example input transform ``(model, x, y) -> x_adv`` such as
            ``rnnsec.adversarial.PGD`` or ``FGSMRS``: every step then trains on the adversarial
            inputs computed against the current weights (adversarial training under DP;
            ``loss`` and metrics are logged on them). It must treat examples independently
            (inference mode, no batch statistics), or the sensitivity argument fails. It is
            not part of ``get_config`` (save the wrapped model).

    ``compile`` takes the usual arguments; ``loss`` must be a ``keras.losses.Loss`` (its
    unreduced per-example values are used) or a function returning per-example losses.
    ``jit_compile`` defaults to False (Poisson batches change shape every step).
    ``sample_weight`` is refused: weighting examples would change the sensitivity.

    Abadi et al. 2016 (DP-SGD); McMahan et al. 2018 (dividing by the expected batch size);
    Madry et al. 2018 (the adversary's PGD). Built by :func:`make_private`, which passes its
    ``adversary`` on.
    """

    @keyword_only("l2_norm_clip", "noise_multiplier")
    def __init__(self, model: keras.Model, *, l2_norm_clip: float, noise_multiplier: float,
                 engine: str = "auto", num_microbatches: int | None = None,
                 sampling: str = "poisson", expected_batch_size: float | None = None,
                 seed: int | None = None, general_method: str = "auto", adversary=None,
                 **kwargs):
        _check_dp_arguments(model, l2_norm_clip, noise_multiplier, engine, num_microbatches,
                            sampling, expected_batch_size, seed, general_method, adversary)
        super().__init__(**kwargs)
        self.base_model = model
        self.adversary = adversary
        self.l2_norm_clip = float(l2_norm_clip)
        self.noise_multiplier = float(noise_multiplier)
        self.engine = _resolve_engine(model, engine)
        self.num_microbatches = num_microbatches
        self.sampling = sampling
        self.expected_batch_size = (None if expected_batch_size is None
                                    else float(expected_batch_size))
        self.general_method = general_method
        # seed=None draws the seed from NumPy's global generator, so that runs after
        # rnnsec.set_seed repeat (and op determinism, which forbids non-deterministic TF
        # generators, keeps working). Like TF Privacy, the noise comes from an ordinary
        # pseudo-random generator: fine for teaching, not a cryptographic source.
        self.seed = int(np.random.randint(0, 2**31 - 1)) if seed is None else seed
        self.batches: Batches | None = None  # the Poisson batches of the last fit(x, y)
        # what the traced train step divides the noisy sum by (0: this batch's count); a
        # variable, so that fit can change it without retracing the step
        self._divisor = _Divisor(self.expected_batch_size)
        self._fit_calls = 0
        self._noise = tf.random.Generator.from_seed(self.seed)
        self._loss_fn = None

    def call(self, inputs, training=None):
        return self.base_model(inputs, training=training)

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        """Keras ``compile``; ``loss`` is required and ``jit_compile`` defaults to False."""
        if loss is None:
            raise ValueError("loss is required: a keras.losses.Loss (e.g. "
                             "SparseCategoricalCrossentropy(from_logits=True)) or a function "
                             "returning per-example losses")
        loss_obj = keras.losses.get(loss) if isinstance(loss, str) else loss
        self._loss_fn = clipping.per_example_loss_fn(loss_obj)
        kwargs.setdefault("jit_compile", False)
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, **kwargs):
        """Keras ``fit``, with the batches formed as ``sampling`` says (class docstring).

        ``x`` may also be a :class:`Batches` (from :func:`poisson_batches` or
        :func:`shuffled_batches`), which sets the divisor to match its sampling.
        """
        if kwargs.get("sample_weight") is not None:
            raise ValueError("sample_weight is not supported by DPModel: weighting examples "
                             "changes the sensitivity that the noise is calibrated to")
        if isinstance(x, Batches):
            if y is not None or batch_size is not None:
                raise ValueError("y and batch_size must be None when x is a Batches stream")
            self._use_batches(x)
            kwargs["shuffle"] = False
            return super().fit(x.dataset, epochs=epochs, **kwargs)
        if self.sampling == "poisson" and _is_array(x):
            x, kwargs = self._poisson_fit_data(x, y, batch_size, kwargs)
            return super().fit(x, epochs=epochs, **kwargs)
        self._set_divisor(self.expected_batch_size)
        return super().fit(x, y, batch_size=batch_size, epochs=epochs, **kwargs)

    def _poisson_fit_data(self, x, y, batch_size, kwargs):
        """Poisson batches of expected size ``batch_size`` (default 32) from arrays."""
        x_arr, y_arr = _check_xy(x, y)
        if kwargs.get("validation_split"):
            raise ValueError("validation_split is not supported with sampling='poisson' (the "
                             "batches are a dataset, which Keras cannot split): hold out the "
                             "examples yourself and pass validation_data=(x_val, y_val)")
        batch = 32 if batch_size is None else batch_size
        check_number("batch_size", batch, low=1, high=len(x_arr), integer=True)
        batches = poisson_batches(x_arr, y_arr, batch / len(x_arr), self._next_sampling_seed(),
                                  steps_per_epoch=kwargs.pop("steps_per_epoch", None))
        self._use_batches(batches)
        kwargs["shuffle"] = False
        return batches.dataset, kwargs

    def _use_batches(self, batches: Batches) -> None:
        if batches.sampling == "poisson":
            if self.num_microbatches is not None:
                raise ValueError("num_microbatches must be None for Poisson batches (their "
                                 "sizes are random); use sampling='shuffle' with microbatches")
            self.batches = batches
            self._set_divisor(batches.expected_batch_size)
        else:
            self._set_divisor(None)

    def _set_divisor(self, divisor: float | None) -> None:
        """Change what the noisy sum is divided by (None: the number of units in the batch)."""
        self._divisor.set(divisor)

    def _next_sampling_seed(self) -> int:
        """A fresh sampling seed per ``fit`` call (repeatable when ``seed`` is set)."""
        self._fit_calls += 1
        entropy = None if self.seed is None else [self.seed, self._fit_calls]
        state = np.random.SeedSequence(entropy).generate_state(1, np.uint64)
        return int(state[0]) >> 1  # a non-negative int64

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported by DPModel: weighting examples "
                             "changes the sensitivity that the noise is calibrated to")
        if self.adversary is not None:
            # Inner maximisation, per example against the current weights (Chapter 2.3).
            x = self.adversary(self.base_model, x, y)
        result = clipping.clipped_gradient_sum(
            self.base_model, self._loss_fn, x, y, self.l2_norm_clip, self.engine,
            num_microbatches=self.num_microbatches, general_method=self.general_method)
        grads = noisy_gradients(result.grads, self.l2_norm_clip, self.noise_multiplier,
                                self._denominator(result.norms), self._noise)
        self.optimizer.apply_gradients(
            zip(grads, self.base_model.trainable_variables, strict=True))
        y_pred = result.predictions
        loss = compat.compute_loss(self, x, y, y_pred)  # Keras 2 counts it here
        compat.track_loss(self, loss, tf.shape(y_pred)[0])
        return compat.compute_metrics(self, x, y, y_pred)

    def _denominator(self, norms: tf.Tensor) -> tf.Tensor:
        """Expected batch size (Poisson) or the number of units in this batch (at least 1)."""
        fixed = self._divisor.value()
        count = tf.cast(tf.maximum(tf.shape(norms)[0], 1), tf.float32)
        return tf.where(fixed > 0, fixed, count)

    def get_config(self) -> dict:
        return {"model": keras.utils.serialize_keras_object(self.base_model),
                "l2_norm_clip": self.l2_norm_clip, "noise_multiplier": self.noise_multiplier,
                "engine": self.engine, "num_microbatches": self.num_microbatches,
                "sampling": self.sampling, "expected_batch_size": self.expected_batch_size,
                "seed": self.seed, "general_method": self.general_method, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        model = keras.utils.deserialize_keras_object(config.pop("model"),
                                                     custom_objects=custom_objects)
        return cls(model, **config)


def _resolve_engine(model: keras.Model, engine: str) -> str:
    """``clipping.resolve_engine``; a fallback to the slow engine says what it will cost."""
    if engine != "auto" or clipping.fast_engine_supports(model):
        return clipping.resolve_engine(model, engine)
    problems = clipping.fast_layer_problems(model)
    warnings.warn(clipping.slow_path_message(problems, clipping.probe_general_cost(model)),
                  stacklevel=4)
    return "general"


def _is_array(x) -> bool:
    return isinstance(x, (np.ndarray, list, tuple)) or tf.is_tensor(x)


def _check_dp_arguments(model, l2_norm_clip, noise_multiplier, engine, num_microbatches,
                        sampling, expected_batch_size, seed, general_method,
                        adversary=None) -> None:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    check_number("l2_norm_clip", l2_norm_clip, low=0, low_open=True)
    check_number("noise_multiplier", noise_multiplier, low=0)
    check_choice("engine", engine, clipping.ENGINES)
    check_choice("general_method", general_method, clipping.GENERAL_METHODS)
    check_choice("sampling", sampling, SAMPLINGS)
    if num_microbatches is not None:
        check_number("num_microbatches", num_microbatches, low=1, integer=True)
        if sampling == "poisson" or expected_batch_size is not None:
            raise ValueError("num_microbatches needs fixed-size batches: use sampling='shuffle' "
                             "and no expected_batch_size (Poisson batches have random sizes)")
    if expected_batch_size is not None:
        check_number("expected_batch_size", expected_batch_size, low=0, low_open=True)
    if seed is not None:
        check_number("seed", seed, low=0, high=2**63 - 1, integer=True)
    _check_adversary(adversary)


def _check_adversary(adversary) -> None:
    """None or a per-example input transform ``(model, x, y) -> x_adv`` (not a string, a
    Keras layer, or a training method that owns its step, such as TRADES)."""
    if adversary is None:
        return
    if (isinstance(adversary, str) or not callable(adversary)
            or isinstance(adversary, keras.layers.Layer)):
        raise TypeError("adversary must be None or a per-example input transform "
                        "(model, x, y) -> x_adv such as rnnsec.adversarial.PGD or FGSMRS, got "
                        f"{type(adversary).__name__}")


@keyword_only("l2_norm_clip", "noise_multiplier")
def make_private(model: keras.Model, *, l2_norm_clip: float, noise_multiplier: float,
                 engine: str = "auto", num_microbatches: int | None = None,
                 sampling: str = "poisson", expected_batch_size: float | None = None,
                 seed: int | None = None, general_method: str = "auto",
                 adversary=None) -> DPModel:
    """Wrap ``model`` for DP training: ``make_private(model, l2_norm_clip=1.0,
    noise_multiplier=1.1).compile(...); .fit(...)``.

    With ``adversary=PGD(...)`` (``rnnsec.adversarial``) it is DP-SGD on PGD inputs: DP and
    adversarial training in one call.

    Args: as :class:`DPModel`.

    Returns:
        A :class:`DPModel` sharing ``model``'s layers and variables (train it, then use or save
        ``model`` itself).

    Abadi et al. 2016. Chapter 3.2; Chapter 2.3 (with an adversary).
    """
    _check_dp_arguments(model, l2_norm_clip, noise_multiplier, engine, num_microbatches,
                        sampling, expected_batch_size, seed, general_method, adversary)
    return DPModel(model, l2_norm_clip=l2_norm_clip, noise_multiplier=noise_multiplier,
                   engine=engine,
                   num_microbatches=num_microbatches, sampling=sampling,
                   expected_batch_size=expected_batch_size, seed=seed,
                   general_method=general_method, adversary=adversary,
                   name=f"dp_{model.name}")


# ==================================================================================== batches
@dataclass(frozen=True, kw_only=True)
class Batches:
    """A batch stream for ``model.fit`` and the facts its privacy accounting needs.

    Attributes:
        dataset: a ``tf.data.Dataset`` of ``(x, y)`` batches; one pass is one epoch.
        sampling: ``"poisson"`` or ``"shuffle"``.
        n_examples: N, the number of training examples.
        sampling_rate: q = expected batch size / N.
        expected_batch_size: q N (exact batch size for ``"shuffle"``).
        steps_per_epoch: batches per pass over ``dataset``.
        seed: the sampling seed.
    """

    dataset: tf.data.Dataset
    sampling: str
    n_examples: int
    sampling_rate: float
    expected_batch_size: float
    steps_per_epoch: int
    seed: int

    def privacy_statement(self) -> str:
        """What the accountant's epsilon means for this way of forming batches."""
        if self.sampling == "poisson":
            return (f"Poisson sampling: every example joins each of the {self.steps_per_epoch} "
                    f"batches per epoch independently with probability q = "
                    f"{self.sampling_rate:.4g} (batch sizes vary, empty batches are possible "
                    "and still get a noisy step). This is the sampling that the DP-SGD "
                    "accountant analyses (add/remove-one adjacency), so its epsilon is a "
                    "proven (epsilon, delta) guarantee for every example, provided each unit "
                    "is one example and the noisy sum is divided by the fixed expected batch "
                    "size.")
        return (f"Shuffled fixed-size batches of {int(self.expected_batch_size)}: each epoch "
                "is a fresh random permutation cut into batches, so every example is used "
                "exactly once per epoch. Guaranteed: replacing one example changes one batch "
                "per epoch by at most 2C, so E epochs are E Gaussian mechanisms with noise "
                "multiplier sigma/2; EpsilonCallback reports that proven (loose, no "
                "amplification) epsilon as 'epsilon'. Not guaranteed: the usual number "
                "computed as if batches were Poisson-sampled with q = B/N "
                "('epsilon_if_poisson'); shuffling is a different sampling scheme and its "
                "true epsilon can be larger than that (Chua et al. 2024).")

    def as_dict(self) -> dict:
        """The accounting facts (everything but the dataset) as a plain dict."""
        return {"sampling": self.sampling, "n_examples": self.n_examples,
                "sampling_rate": self.sampling_rate,
                "expected_batch_size": self.expected_batch_size,
                "steps_per_epoch": self.steps_per_epoch, "seed": self.seed}

    def __repr__(self) -> str:
        return (f"Batches({self.sampling}, N={self.n_examples}, q={self.sampling_rate:.4g}, "
                f"expected batch {self.expected_batch_size:.4g}, "
                f"{self.steps_per_epoch} steps/epoch, seed={self.seed})")


def _check_xy(x, y) -> tuple[np.ndarray, np.ndarray]:
    x_arr = np.asarray(x)
    if x_arr.dtype.kind not in "iu":  # token ids stay integers; features become floats
        x_arr = as_float_array("x", x, min_ndim=1)
    y_arr = np.asarray(y)
    if y_arr.dtype == object or not np.issubdtype(y_arr.dtype, np.number):
        raise TypeError(f"y must be a numeric array, got dtype {y_arr.dtype}")
    n = check_same_length(x=x_arr, y=y_arr)
    if n == 0:
        raise ValueError("x must hold at least one example, got 0")
    return x_arr, y_arr


def poisson_batches(x, y, sampling_rate: float, seed: int = 0, *,
                    steps_per_epoch: int | None = None) -> Batches:
    """Poisson-sampled batches: each example is in each batch with probability ``q``.

    Args:
        x, y: the training set (first axis: examples).
        sampling_rate: q in (0, 1]; the expected batch size is q N.
        seed: sampling seed (batches differ between epochs, and repeat across runs).
        steps_per_epoch: batches per epoch (default ``round(1 / q)``, one expected pass).

    Returns:
        :class:`Batches` whose ``dataset`` yields variable-size (possibly empty) batches.
        Train with ``dp_model.fit(batches, epochs=...)`` (a :class:`DPModel` divides by the
        expected batch size) or pass ``batches.dataset`` to any ``fit``.

    Abadi et al. 2016 (lots); Mironov, Talwar, Zhang 2019 (the sampled Gaussian mechanism).
    Chapter 3.2.
    """
    check_number("sampling_rate", sampling_rate, low=0, high=1, low_open=True)
    check_number("seed", seed, low=0, high=2**63 - 1, integer=True)
    x_arr, y_arr = _check_xy(x, y)
    n = len(x_arr)
    steps = max(1, round(1 / sampling_rate)) if steps_per_epoch is None else steps_per_epoch
    check_number("steps_per_epoch", steps, low=1, integer=True)
    q = float(sampling_rate)
    xs, ys = tf.constant(x_arr), tf.constant(y_arr)

    def sample(step_seed):
        key = tf.stack([step_seed, tf.constant(seed, tf.int64)])
        keep = tf.random.stateless_uniform([n], seed=key) < q  # [N]
        idx = tf.where(keep)[:, 0]  # [B], B ~ Binomial(N, q)
        return tf.gather(xs, idx), tf.gather(ys, idx)

    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(steps)
    dataset = seeds.map(sample).prefetch(2)
    return Batches(dataset=dataset, sampling="poisson", n_examples=n, sampling_rate=q,
                   expected_batch_size=q * n, steps_per_epoch=int(steps), seed=seed)


def shuffled_batches(x, y, batch_size: int, *, seed: int = 0,
                     drop_remainder: bool = False) -> Batches:
    """Fixed-size batches from a fresh permutation each epoch (what ``fit`` does by default).

    Args:
        x, y: the training set.
        batch_size: B, 1 <= B <= N.
        seed: shuffling seed.
        drop_remainder: drop the last, smaller batch of each epoch.

    Returns:
        :class:`Batches` (``sampling="shuffle"``); read ``privacy_statement()`` for what the
        accountant's number does and does not mean here.

    Chapter 3.2 (sampling and its accounting).
    """
    x_arr, y_arr = _check_xy(x, y)
    n = len(x_arr)
    check_number("batch_size", batch_size, low=1, high=n, integer=True)
    check_number("seed", seed, low=0, high=2**63 - 1, integer=True)
    if not isinstance(drop_remainder, bool):
        raise TypeError(f"drop_remainder must be a bool, got {drop_remainder!r}")
    dataset = (tf.data.Dataset.from_tensor_slices((x_arr, y_arr))
               .shuffle(n, seed=seed, reshuffle_each_iteration=True)
               .batch(batch_size, drop_remainder=drop_remainder).prefetch(2))
    steps = n // batch_size if drop_remainder else math.ceil(n / batch_size)
    return Batches(dataset=dataset, sampling="shuffle", n_examples=n,
                   sampling_rate=batch_size / n, expected_batch_size=float(batch_size),
                   steps_per_epoch=steps, seed=seed)


# ==================================================================================== epsilon
class EpsilonCallback(keras.callbacks.Callback):
    """Logs epsilon after each epoch (``logs["epsilon"]``, so it lands in ``History``).

    Args:
        n_examples: N, training set size.
        noise_multiplier: sigma >= 0 (0 gives epsilon = inf).
        delta: target delta in (0, 1), usually < 1/N.
        batch_size: expected batch size (give this or ``sampling_rate``).
        sampling_rate: q in (0, 1].
        sampling: ``"poisson"`` (proven accounting) or ``"shuffle"`` (module docstring and
            :meth:`Batches.privacy_statement`: logs the proven per-epoch bound as
            ``epsilon`` and the Poisson-assumed number as ``epsilon_if_poisson``).
        examples_per_unit: examples per clipping unit (batch size / num_microbatches); above
            1 the example-level epsilon uses sigma / 2. Must be 1 for Poisson sampling.
        accountant: ``"rdp"`` or ``"pld"`` (``rnnsec.privacy.accounting``).
        verbose: print one line per epoch.

    Attributes:
        history: one dict per epoch (epoch, steps, epsilon[, epsilon_if_poisson]).

    Abadi et al. 2016 (moments accountant); Mironov 2017 (RDP). Chapter 3.2.
    """

    def __init__(self, n_examples: int, *, noise_multiplier: float, delta: float,
                 batch_size: float | None = None, sampling_rate: float | None = None,
                 sampling: str = "poisson", examples_per_unit: int = 1,
                 accountant: str = "rdp", verbose: bool = True):
        super().__init__()
        check_number("n_examples", n_examples, low=1, integer=True)
        check_number("noise_multiplier", noise_multiplier, low=0)
        check_number("delta", delta, low=0, high=1, low_open=True, high_open=True)
        self.sampling_rate = _resolve_rate(n_examples, batch_size, sampling_rate)
        check_choice("sampling", sampling, SAMPLINGS)
        check_number("examples_per_unit", examples_per_unit, low=1, integer=True)
        if sampling == "poisson" and examples_per_unit != 1:
            raise ValueError("examples_per_unit must be 1 with sampling='poisson' (Poisson "
                             f"batches are clipped per example), got {examples_per_unit}")
        check_choice("accountant", accountant, ("rdp", "pld"))
        self.n_examples, self.noise_multiplier, self.delta = n_examples, noise_multiplier, delta
        self.sampling, self.examples_per_unit = sampling, examples_per_unit
        self.accountant, self.verbose = accountant, verbose
        self.steps = 0
        self.epochs_seen = 0
        self.history: list[dict] = []

    @classmethod
    def from_batches(cls, batches: Batches, *, noise_multiplier: float, delta: float,
                     num_microbatches: int | None = None, **kwargs) -> EpsilonCallback:
        """The callback for a :class:`Batches` stream (and the DPModel's ``num_microbatches``)."""
        if not isinstance(batches, Batches):
            raise TypeError(f"batches must be rnnsec Batches, got {type(batches).__name__}")
        per_unit = 1
        if num_microbatches is not None:
            check_number("num_microbatches", num_microbatches, low=1, integer=True)
            per_unit = max(1, int(batches.expected_batch_size) // num_microbatches)
        return cls(batches.n_examples, noise_multiplier=noise_multiplier, delta=delta,
                   sampling_rate=batches.sampling_rate, sampling=batches.sampling,
                   examples_per_unit=per_unit, **kwargs)

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_seen += 1
        row = {"epoch": epoch + 1, "steps": self.steps, **self.epsilons()}
        self.history.append(row)
        if logs is not None:
            logs.update({k: v for k, v in row.items() if k.startswith("epsilon")})
        if self.verbose:
            extra = (f", {row['epsilon_if_poisson']:.3g} if Poisson-sampled (not proven)"
                     if "epsilon_if_poisson" in row else "")
            print(f"epoch {epoch + 1}: epsilon = {row['epsilon']:.3g} at delta = "
                  f"{self.delta:g} after {self.steps} steps{extra}")

    def epsilons(self) -> dict:
        """Epsilon now (``{"epsilon": ...}``, plus ``"epsilon_if_poisson"`` for shuffling)."""
        sigma = self.noise_multiplier / (2 if self.examples_per_unit > 1 else 1)
        poisson = self._epsilon(sigma, self.sampling_rate, self.steps)
        if self.sampling == "poisson":
            return {"epsilon": poisson}
        proven = self._epsilon(self.noise_multiplier / 2, 1.0, self.epochs_seen)
        return {"epsilon": proven, "epsilon_if_poisson": poisson}

    def _epsilon(self, sigma: float, q: float, steps: int) -> float:
        if steps == 0:
            return 0.0
        if sigma == 0:
            return math.inf
        from rnnsec.privacy import accounting  # lazy: a sibling module, no model needed

        return float(accounting.compute_epsilon(sigma, sampling_rate=q, steps=steps,
                                                delta=self.delta,
                                                accountant=self.accountant).epsilon)


def _resolve_rate(n_examples, batch_size, sampling_rate) -> float:
    if (batch_size is None) == (sampling_rate is None):
        raise ValueError("give exactly one of batch_size and sampling_rate")
    if sampling_rate is None:
        check_number("batch_size", batch_size, low=0, high=n_examples, low_open=True)
        return batch_size / n_examples
    check_number("sampling_rate", sampling_rate, low=0, high=1, low_open=True)
    return float(sampling_rate)
