"""Adversarial-training methods that own their training step: TRADES, free AT, embedding AT/VAT.

Each method is a small object that ``AdversarialTrainer`` delegates its ``train_step`` to.
``TrainingMethod`` is the base class a reader subclasses to add a method; the input
transforms ``PGD`` and ``FGSMRS`` (``rnnsec.adversarial.transforms``) are training methods too,
whose step is "build the adversarial inputs, then take an ordinary step on them".

- ``TRADES``: CE on clean inputs + beta * KL(clean || adversarial) (Zhang et al. 2019).
- ``Free``: each minibatch replayed ``replays`` times, the input gradient of every replay
  reused as the next perturbation step (Shafahi et al. 2019).
- ``EmbeddingAT`` / ``EmbeddingVAT``: adversarial and virtual adversarial training on
  L2-normalised word embeddings (Miyato, Dai, Goodfellow 2017).

Taught in Chapter 3.1 (Adversarial training of RNNs).
"""

from __future__ import annotations

import tensorflow as tf

from rnnsec._validate import check_number
from rnnsec.adversarial import _steps
from rnnsec.adversarial._core import check_clip, check_norm
from rnnsec.adversarial.text import split_text_model
from rnnsec.compat import compute_loss, keras

__all__ = ["TrainingMethod", "TRADES", "Free", "EmbeddingAT", "EmbeddingVAT"]


class TrainingMethod:
    """Base class of adversarial-training methods (what ``AdversarialTrainer`` delegates to).

    A subclass implements ``train_step``; it may override ``bind`` (check the model once),
    ``prepare`` (allocate state when ``fit`` knows the batch size) and ``epochs_for``.

    Attributes:
        extra_metric: name of a regulariser logged beside ``loss`` (None: nothing extra).

    Chapter 3.1.
    """

    extra_metric: str | None = None

    def bind(self, model: keras.Model) -> None:
        """Check that ``model`` suits this method (called once by ``AdversarialTrainer``)."""

    def prepare(self, batch_size: int | None) -> None:
        """Allocate per-fit state; called by ``AdversarialTrainer.fit``."""

    def epochs_for(self, epochs: int) -> int:
        """Epochs to pass to ``fit`` for the cost of ``epochs`` ordinary epochs."""
        check_number("epochs", epochs, low=1, integer=True)
        return epochs

    def train_step(self, trainer, x, y, sample_weight) -> dict:
        """One optimiser step of ``trainer.base_model`` on a minibatch; returns the logs."""
        raise NotImplementedError(f"{type(self).__name__} must define train_step (the abstract "
                                  "step of TrainingMethod)")

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class _Ball:
    """The continuous threat model shared by the methods: epsilon ball, range, padding."""

    def __init__(self, epsilon, norm, clip_min, clip_max, mask_value):
        check_number("epsilon", epsilon, low=0)
        check_norm(norm)
        check_clip(clip_min, clip_max)
        if mask_value is not None:
            check_number("mask_value", mask_value)
        self.epsilon, self.norm = float(epsilon), norm
        self.clip_min, self.clip_max, self.mask_value = clip_min, clip_max, mask_value

    def ball(self) -> dict:
        """Keyword arguments of ``_steps.finish`` / ``_steps.pgd_step``."""
        return {"epsilon": self.epsilon, "norm": self.norm, "clip_min": self.clip_min,
                "clip_max": self.clip_max}


def check_step_size(step_size, default: float) -> float:
    """``step_size`` if it is > 0, ``default`` when it is None."""
    if step_size is None:
        return float(default)
    check_number("step_size", step_size, low=0, low_open=True)
    return float(step_size)


class TRADES(TrainingMethod, _Ball):
    """TRADES: ``CE(clean) + beta * KL(p(x) || p(x'))``, ``x'`` maximising the KL by PGD.

    The inner PGD starts from ``x`` plus a tiny Gaussian (0.001) and follows the KL; the
    training logs ``loss`` on clean inputs and the regulariser as ``trades_kl``.

    Args:
        epsilon: ball radius (>= 0) in ``norm``, in input units.
        steps: inner PGD steps (>= 1).
        norm: ``"inf"`` or ``"2"`` (over the whole sequence).
        step_size: inner step (> 0); default ``2.5 * epsilon / steps``.
        beta: trade-off (>= 0).
        clip_min, clip_max: valid input range (None = unbounded).
        mask_value: the value whose all-equal steps are padding (never perturbed); None: all
            steps are real.
        seed: seed of the inner start (None: from NumPy's global state).

    Zhang et al. 2019. Chapter 3.1.
    """

    extra_metric = "trades_kl"

    def __init__(self, epsilon: float, *, steps: int = 7, norm: str = "inf",
                 step_size: float | None = None, beta: float = 6.0,
                 clip_min: float | None = None, clip_max: float | None = None,
                 mask_value: float | None = None, seed: int | None = None):
        _Ball.__init__(self, epsilon, norm, clip_min, clip_max, mask_value)
        check_number("steps", steps, low=1, integer=True)
        check_number("beta", beta, low=0)
        self.steps, self.beta = steps, float(beta)
        self.step_size = check_step_size(step_size, 2.5 * self.epsilon / steps)
        self._rng = _steps.make_generator(seed)

    def adversarial_inputs(self, model, x):
        """``x'`` maximising KL(p(x) || p(x')) in the ball (inference mode, no gradient)."""
        mask = _steps.step_mask(x, self.mask_value)  # [B, T]
        p_clean = tf.stop_gradient(tf.nn.softmax(model(x, training=False)))
        start = 0.001 * self._rng.normal(tf.shape(x))
        x_adv = _steps.finish(x, delta=start, mask=mask, **self.ball())
        for _ in range(self.steps):
            with tf.GradientTape() as tape:
                tape.watch(x_adv)
                kl = kl_divergence(p_clean, model(x_adv, training=False))  # [B]
            grad = tape.gradient(kl, x_adv)  # [B, T, D]
            x_adv = _steps.pgd_step(x_adv, x=x, grad=grad, mask=mask, step_size=self.step_size,
                                    **self.ball())
        return x_adv

    def train_step(self, trainer, x, y, sample_weight) -> dict:
        model = trainer.base_model
        x_adv = self.adversarial_inputs(model, x)
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)  # [B, C]
            loss = compute_loss(trainer, x, y, y_pred, sample_weight)
            kl = tf.reduce_mean(kl_divergence(tf.nn.softmax(y_pred),
                                              model(x_adv, training=True)))
            total = loss + self.beta * kl
        trainer.apply_loss(tape, total)
        return trainer.logs(x, y, y_pred, sample_weight, loss, extra=kl)


class Free(TrainingMethod, _Ball):
    """Free adversarial training: ``replays`` steps per minibatch, the perturbation carried on.

    Each replay takes an optimiser step on ``x + delta`` and, from the same backward pass,
    moves ``delta`` by ``step_size`` along the input gradient; ``delta`` carries over to the
    next minibatch. Divide the epochs by ``replays`` (``epochs_for``). Needs a model with a
    fixed input shape ``(steps, features)``.

    Args:
        epsilon: ball radius (>= 0) in ``norm``.
        replays: minibatch replays m (>= 1).
        norm: ``"inf"`` or ``"2"``.
        step_size: perturbation step (> 0); default ``epsilon``.
        clip_min, clip_max, mask_value: as :class:`TRADES`.

    Shafahi et al. 2019. Chapter 3.1.
    """

    def __init__(self, epsilon: float, *, replays: int = 4, norm: str = "inf",
                 step_size: float | None = None, clip_min: float | None = None,
                 clip_max: float | None = None, mask_value: float | None = None):
        _Ball.__init__(self, epsilon, norm, clip_min, clip_max, mask_value)
        check_number("replays", replays, low=1, integer=True)
        self.replays = replays
        self.step_size = check_step_size(step_size, self.epsilon)
        self._feature_shape: tuple | None = None
        self._delta: tf.Variable | None = None

    def bind(self, model) -> None:
        shape = tuple(model.input_shape[1:])
        if None in shape:
            raise ValueError(f"Free needs a model with a fixed input shape (steps, features), "
                             f"got {shape}")
        self._feature_shape = shape

    def prepare(self, batch_size) -> None:
        # Fixed shape [capacity, T, D]: graph optimisers mishandle variables whose shape
        # changes between steps. A minibatch of B examples uses the first min(B, capacity).
        if self._delta is None:
            self._delta = tf.Variable(tf.zeros((batch_size or 32, *self._feature_shape)),
                                      trainable=False)

    def epochs_for(self, epochs: int) -> int:
        check_number("epochs", epochs, low=1, integer=True)
        return max(1, round(epochs / self.replays))

    def train_step(self, trainer, x, y, sample_weight) -> dict:
        model = trainer.base_model
        mask = _steps.step_mask(x, self.mask_value)  # [B, T]
        stored = self._delta.read_value()  # [capacity, T, D], the previous minibatch's
        take = tf.minimum(tf.shape(stored)[0], tf.shape(x)[0])
        delta = tf.concat([stored[:take], tf.zeros_like(x[take:])], axis=0)  # [B, T, D]
        variables = model.trainable_variables
        for _ in range(self.replays):
            x_adv = _steps.finish(x, delta=delta, mask=mask, **self.ball())
            with tf.GradientTape() as tape:
                tape.watch(x_adv)
                y_pred = model(x_adv, training=True)
                loss = compute_loss(trainer, x_adv, y, y_pred, sample_weight)
            # One backward pass gives both the weight and the input gradient ("free").
            grads = tape.gradient(loss, [*variables, x_adv])
            trainer.optimizer.apply_gradients(zip(grads[:-1], variables, strict=True))
            x_next = _steps.pgd_step(x_adv, x=x, grad=grads[-1], mask=mask,
                                     step_size=self.step_size, **self.ball())
            delta = x_next - x
            logs = trainer.logs(x_adv, y, y_pred, sample_weight, loss)
        self._delta.assign(tf.concat([delta[:take], stored[take:]], axis=0))
        return logs


class _Embedding(TrainingMethod):
    """Shared part of embedding AT and VAT: the split model and the normalised perturbation."""

    def __init__(self, epsilon, adv_weight):
        check_number("epsilon", epsilon, low=0)
        check_number("adv_weight", adv_weight, low=0)
        self.epsilon, self.adv_weight = float(epsilon), float(adv_weight)
        self._parts = None

    def bind(self, model) -> None:
        self._parts = split_text_model(model)

    def train_step(self, trainer, x, y, sample_weight) -> dict:
        parts = self._parts
        with tf.GradientTape() as tape:
            emb, mask = parts.embed(x)  # [B, L, E], [B, L]
            real = tf.ones_like(emb[:, :, 0]) if mask is None else tf.cast(mask, emb.dtype)
            scale = tf.stop_gradient(tf.norm(emb, axis=-1, keepdims=True)
                                     * real[:, :, None])  # [B, L, 1]
            zero = tf.zeros_like(emb)
            with tf.GradientTape() as inner:
                inner.watch(zero)
                y_pred = parts.logits_from_embeddings(emb + scale * zero, mask, training=True)
                loss = compute_loss(trainer, x, y, y_pred, sample_weight)

            def input_gradient():  # [B, L, E]; only embedding AT needs it
                return tf.stop_gradient(inner.gradient(loss, zero))

            extra = self.regulariser(parts, emb, scale, real, mask, y, y_pred, input_gradient)
            total = loss + self.adv_weight * extra
        trainer.apply_loss(tape, total)
        return trainer.logs(x, y, y_pred, sample_weight, loss, extra=extra)

    def regulariser(self, parts, emb, scale, real, mask, y, logits, input_gradient):
        """The extra loss term ``[]`` (``input_gradient()`` gives the clean loss's gradient)."""
        raise NotImplementedError(f"{type(self).__name__} must define regulariser (the extra "
                                  "loss term of an embedding method)")


class EmbeddingAT(_Embedding):
    """Adversarial training on L2-normalised word embeddings (a text model's FGM step).

    loss = CE(clean) + adv_weight * CE(embeddings + epsilon * g / ||g||_2), the L2 norm over
    the whole sentence; logged as ``adv_loss``. The model must start with an Embedding.

    Args:
        epsilon: L2 radius (>= 0) in normalised embedding units.
        adv_weight: weight of the adversarial term (>= 0).

    Miyato, Dai, Goodfellow 2017. Chapter 3.1.
    """

    extra_metric = "adv_loss"

    def __init__(self, epsilon: float, *, adv_weight: float = 1.0):
        super().__init__(epsilon, adv_weight)

    def regulariser(self, parts, emb, scale, real, mask, y, logits, input_gradient):
        grad = input_gradient() * real[:, :, None]  # [B, L, E]
        r_adv = self.epsilon * _steps.steepest_direction(grad, "2")
        adv_logits = parts.logits_from_embeddings(emb + scale * r_adv, mask, training=True)
        return tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
            y, adv_logits, from_logits=True))


class EmbeddingVAT(_Embedding):
    """Virtual adversarial training on L2-normalised word embeddings (needs no labels).

    loss = CE(clean) + adv_weight * KL(p(x) || p(x + r_vadv)), r_vadv from one power
    iteration started at a random direction of size ``xi``; logged as ``vat_kl``.

    Args:
        epsilon: L2 radius (>= 0) in normalised embedding units.
        adv_weight: weight of the virtual adversarial term (>= 0).
        xi: size of the random probe (> 0).
        seed: seed of the probe (None: from NumPy's global state).

    Miyato, Dai, Goodfellow 2017. Chapter 3.1.
    """

    extra_metric = "vat_kl"

    def __init__(self, epsilon: float, *, adv_weight: float = 1.0, xi: float = 1e-6,
                 seed: int | None = None):
        super().__init__(epsilon, adv_weight)
        check_number("xi", xi, low=0, low_open=True)
        self.xi = float(xi)
        self._rng = _steps.make_generator(seed)

    def regulariser(self, parts, emb, scale, real, mask, y, logits, input_gradient):
        p = tf.stop_gradient(tf.nn.softmax(logits))
        probe_dir = self._rng.normal(tf.shape(emb)) * real[:, :, None]
        d = self.xi * _steps.steepest_direction(probe_dir, "2")
        with tf.GradientTape() as probe:
            probe.watch(d)
            kl = kl_divergence(p, parts.logits_from_embeddings(
                tf.stop_gradient(emb) + scale * d, mask, training=True))
        grad = tf.stop_gradient(probe.gradient(kl, d))
        r_vadv = self.epsilon * _steps.steepest_direction(grad * real[:, :, None], "2")
        return tf.reduce_mean(kl_divergence(
            p, parts.logits_from_embeddings(emb + scale * r_vadv, mask, training=True)))


def kl_divergence(p, logits_q):
    """Per-example KL(p || softmax(logits_q)) ``[B]``."""
    log_p = tf.math.log(tf.maximum(p, 1e-12))
    return tf.reduce_sum(p * (log_p - tf.nn.log_softmax(logits_q)), axis=-1)
