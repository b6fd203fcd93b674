"""White-box attacks on text classifiers (token ids -> Embedding -> RNN -> logits).

Two threat models. In *embedding space* the attacker adds a continuous perturbation to the
word embeddings (Miyato, Dai, Goodfellow 2017): it measures how smooth the model is around
each sentence and is what embedding adversarial training defends against, but the perturbed
embeddings are no real words. A *word substitution* attack changes real words: it uses the
gradient with respect to the embeddings to estimate which single-word swap raises the loss most
(Papernot et al. 2016; the first-order estimate of HotFlip, Ebrahimi et al. 2018), swapping
words for their nearest neighbours in the model's own embedding space by default.

Taught in Chapter 2.1 (Attacks on text).
"""

from __future__ import annotations

import inspect
import weakref

import numpy as np
import tensorflow as tf

from rnnsec._validate import as_float_array, as_int_array, check_number
from rnnsec.adversarial import _steps
from rnnsec.adversarial._core import (
    attack_succeeded,
    batches,
    check_attack_inputs,
    check_batching,
    make_rng,
    per_example_norm,
    stateless_seed,
)
from rnnsec.adversarial.results import AttackResult, make_result
from rnnsec.compat import keras

__all__ = ["TextModelParts", "split_text_model", "embedding_fgm", "embedding_pgd",
           "nearest_neighbors", "word_substitution"]

_PARTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_GRAD_FNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class TextModelParts:
    """A text model split at its embedding: ``tokens -> embeddings`` and ``embeddings -> logits``.

    Attributes:
        embedding: its ``keras.layers.Embedding``.
        layers: the layers after the embedding, applied in order.
    """

    def __init__(self, embedding: keras.layers.Layer, layers: list):
        self.embedding = embedding
        self.layers = layers

    @property
    def embedding_matrix(self) -> np.ndarray:
        """The embedding table ``[V, E]`` as a NumPy array."""
        return np.asarray(self.embedding.embeddings.numpy())

    @property
    def vocab_size(self) -> int:
        """Number of token ids V."""
        return int(self.embedding.input_dim)

    def embed(self, tokens) -> tuple[tf.Tensor, tf.Tensor | None]:
        """Embeddings ``[B, L, E]`` and the padding mask ``[B, L]`` (None without mask_zero)."""
        emb = self.embedding(tokens)  # [B, L, E]
        mask = tf.not_equal(tokens, 0) if self.embedding.mask_zero else None  # [B, L]
        return emb, mask

    def logits_from_embeddings(self, emb, mask, training: bool = False) -> tf.Tensor:
        """Run the layers after the embedding on ``emb`` ``[B, L, E]``; returns logits."""
        h = emb
        for layer in self.layers:
            params = inspect.signature(layer.call).parameters
            kwargs = {}
            if "mask" in params:
                kwargs["mask"] = mask
            if "training" in params:
                kwargs["training"] = training
            h_next = layer(h, **kwargs)
            mask = layer.compute_mask(h, mask) if mask is not None else None
            h = h_next
        return h


def split_text_model(model) -> TextModelParts:
    """Split a text classifier into its embedding and the layers after it.

    The model must be a chain ``[Input] -> Embedding -> ... -> logits`` such as
    ``rnnsec.models.text_classifier``; the split is checked by comparing its logits with the
    model's own on a few token sequences.

    Args:
        model: a Keras model taking token ids ``[B, L]`` and returning logits ``[B, C]``.

    Returns:
        A ``TextModelParts``.

    Used by :func:`embedding_fgm`, :func:`embedding_pgd`, :func:`word_substitution` and the
    text methods of :class:`~rnnsec.adversarial.AdversarialTrainer`.
    """
    parts = _PARTS.get(model)
    if parts is not None:
        return parts
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if not layers or not isinstance(layers[0], keras.layers.Embedding):
        raise ValueError("model must start with an Embedding layer (token ids -> Embedding -> "
                         "RNN -> logits), e.g. rnnsec.models.text_classifier")
    parts = TextModelParts(layers[0], layers[1:])
    probe = np.tile(np.arange(1, 6) % parts.vocab_size, (2, 1))  # [2, 5]
    probe[1, 3:] = 0  # one padded sequence
    probe = tf.constant(probe, dtype=tf.int32)
    emb, mask = parts.embed(probe)
    direct = model(probe, training=False).numpy()
    split = parts.logits_from_embeddings(emb, mask).numpy()
    if direct.shape != split.shape or not np.allclose(direct, split, atol=1e-4):
        raise ValueError("model must be a simple chain Embedding -> ... -> logits; running its "
                         "layers in order does not reproduce its output")
    _PARTS[model] = parts
    return parts


def _embedding_grad_fn(model, parts: TextModelParts):
    """Compiled ``(tokens, y, r, scale) -> (loss [B], logits [B, C], d loss / d r [B, L, E])``.

    The model sees ``embeddings + scale * r``; ``scale`` ``[B, L, 1]`` turns a perturbation in
    normalised units into embedding units.
    """
    fn = _GRAD_FNS.get(model)
    if fn is not None:
        return fn
    ref = weakref.ref(parts)

    @tf.function(reduce_retracing=True)
    def fn(tokens, y, r, scale):
        p = ref()
        emb, mask = p.embed(tokens)  # [B, L, E]
        with tf.GradientTape() as tape:
            tape.watch(r)
            logits = p.logits_from_embeddings(emb + scale * r, mask)  # [B, C]
            loss = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
        grad = tape.gradient(loss, r, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return loss, logits, grad

    _GRAD_FNS[model] = fn  # parts stay alive in _PARTS as long as the model
    return fn


def embedding_scale(emb: np.ndarray, mask: np.ndarray, normalize: bool) -> np.ndarray:
    """Per-token scale ``[B, L, 1]``: the token's embedding L2 norm, or 1 without ``normalize``.

    A perturbation ``r`` in normalised units moves token ``t`` by ``||e_t|| * r_t``: the attack
    acts on L2-normalised embeddings, so epsilon = 1 is as large as one whole word vector, and
    training cannot escape the attack by inflating the embeddings (Miyato et al. 2017).
    Padded tokens get scale 0.
    """
    scale = np.linalg.norm(emb, axis=-1, keepdims=True) if normalize else np.ones_like(emb[..., :1])
    return (scale * mask[:, :, None]).astype(np.float32)


def embedding_fgm(model, tokens, y, epsilon: float, *, normalize: bool = True,
                  targeted: bool = False, batch_size: int = 256,
                  progress: bool = True) -> AttackResult:
    """Fast gradient method in embedding space: ``r = epsilon * g / ||g||_2`` over the sequence.

    ``g`` is the gradient of the cross-entropy with respect to the (normalised) embeddings of
    the whole sequence, so the budget is shared among all the words (Miyato et al. 2017).

    Args:
        model: text classifier ``tokens [B, L] -> logits [B, C]`` (Embedding first).
        tokens: token ids ``[B, L]``; 0 is padding (never perturbed).
        y: labels ``[B]`` (targets when ``targeted``).
        epsilon: L2 budget (>= 0) over the whole sequence, in normalised units when
            ``normalize`` (1 = one word vector's length), else in embedding units.
        normalize: measure the perturbation on L2-normalised embeddings.
        targeted: move towards class ``y``.
        batch_size: sequences per gradient computation.
        progress: show a progress bar over batches.

    Returns:
        An ``AttackResult`` whose ``x_adv`` holds the perturbed embeddings ``[B, L, E]`` and
        whose ``robust_accuracy`` is the model's accuracy under the perturbation.

    Chapter 2.1. Embedding adversarial training (``AdversarialTrainer(model, EmbeddingAT(...))``)
    trains against this kind of perturbation.
    """
    return _embedding_attack("embedding_fgm", model, tokens, y, epsilon, steps=1,
                             step_size=epsilon, normalize=normalize, random_start=False,
                             targeted=targeted, seed=0, batch_size=batch_size, progress=progress)


def embedding_pgd(model, tokens, y, epsilon: float, steps: int = 10,
                  step_size: float | None = None, *, normalize: bool = True,
                  random_start: bool = True, targeted: bool = False, seed=None,
                  batch_size: int = 256, progress: bool = True) -> AttackResult:
    """PGD in embedding space with the L2 ball taken over the whole sequence.

    Args:
        model: text classifier ``tokens [B, L] -> logits [B, C]``.
        tokens: token ids ``[B, L]`` (0 = padding, never perturbed).
        y: labels ``[B]`` (targets when ``targeted``).
        epsilon: L2 radius (>= 0) over the whole sequence (normalised units if ``normalize``).
        steps: gradient steps (>= 1).
        step_size: step length (> 0); default ``2.5 * epsilon / steps``.
        normalize: perturb L2-normalised embeddings (see ``embedding_scale``).
        random_start: start from a random point of the ball.
        targeted: move towards class ``y``.
        seed: int, Generator or None.
        batch_size: sequences attacked together.
        progress: show a progress bar over batches.

    Returns:
        An ``AttackResult`` with perturbed embeddings ``[B, L, E]`` in ``x_adv``.

    Miyato et al. 2017 (perturbation), Madry et al. 2018 (PGD). The multi-step version of
    :func:`embedding_fgm`; :func:`~rnnsec.adversarial.run_attack` runs it as ``"embedding_pgd"``.
    """
    check_number("steps", steps, low=1, integer=True)
    if step_size is None:
        step_size = 2.5 * epsilon / steps
    else:
        check_number("step_size", step_size, low=0, low_open=True)
    return _embedding_attack("embedding_pgd", model, tokens, y, epsilon, steps=steps,
                             step_size=step_size, normalize=normalize,
                             random_start=random_start, targeted=targeted, seed=seed,
                             batch_size=batch_size, progress=progress)


def _embedding_attack(name, model, tokens, y, epsilon, *, steps, step_size, normalize,
                      random_start, targeted, seed, batch_size, progress) -> AttackResult:
    check_number("epsilon", epsilon, low=0)
    check_batching(batch_size, progress)
    for arg, value in (("normalize", normalize), ("random_start", random_start)):
        if not isinstance(value, bool):
            raise TypeError(f"{arg} must be True or False, got {value!r}")
    parts = split_text_model(model)
    tokens, y, mask, _ = check_attack_inputs(model, tokens, y, targeted=targeted,
                                             integer_x=True, x_name="tokens",
                                             vocab_size=parts.vocab_size)
    rng = make_rng(seed)
    grad_fn = _embedding_grad_fn(model, parts)
    direction = -1.0 if targeted else 1.0
    emb_all, adv_all, pred_clean, pred_adv, sizes = [], [], [], [], []
    for s in batches(len(tokens), batch_size, progress, name):
        tok, yb, mb = tf.constant(tokens[s]), tf.constant(y[s]), mask[s]
        emb = parts.embed(tok)[0].numpy()  # [b, L, E]
        scale = embedding_scale(emb, mb, normalize)  # [b, L, 1]
        zero = tf.zeros_like(emb)
        # r is the perturbation itself: PGD steps around 0, masked, in the L2 ball.
        r = (_steps.random_start(emb, mask=mb, seed=stateless_seed(rng), epsilon=epsilon,
                                 norm="2") if random_start else zero)
        for _ in range(steps):
            grad = grad_fn(tok, yb, r, tf.constant(scale))[2]  # [b, L, E]
            r = _steps.pgd_step(r, x=zero, grad=direction * grad, mask=mb, step_size=step_size,
                                epsilon=epsilon, norm="2")
        clean_logits = grad_fn(tok, yb, zero, tf.constant(scale))[1].numpy()
        adv_logits = grad_fn(tok, yb, r, tf.constant(scale))[1].numpy()
        r = r.numpy()
        emb_all.append(emb)
        adv_all.append(emb + scale * r)
        pred_clean.append(clean_logits.argmax(axis=1))
        pred_adv.append(adv_logits.argmax(axis=1))
        sizes.append(per_example_norm(r, "2"))
    emb = np.concatenate(emb_all)
    return make_result(name, emb, np.concatenate(adv_all), y, np.concatenate(pred_clean),
                       np.concatenate(pred_adv), norm="2", epsilon=epsilon, targeted=targeted,
                       perturbation_norm=np.concatenate(sizes))


def nearest_neighbors(embedding_matrix, k: int = 10, *, exclude=(0, 1)) -> np.ndarray:
    """The ``k`` nearest token ids of every token by cosine similarity of their embeddings.

    Args:
        embedding_matrix: ``[V, E]`` word vectors (the model's own, a substitute's, or any
            pretrained table indexed the same way).
        k: neighbours per token (1 <= k < V).
        exclude: ids never proposed as a substitute (by default padding 0 and OOV 1).

    Returns:
        ``[V, k]`` int64 ids, nearest first; a token is never its own neighbour. Rows of
        excluded ids are filled with -1.

    Chapter 2.1 (candidate sets for word substitutions).
    """
    table = as_float_array("embedding_matrix", embedding_matrix, ndim=2)
    vocab = len(table)
    exclude = as_int_array("exclude", list(exclude), ndim=1, low=0, high=vocab)
    allowed = vocab - len(set(exclude.tolist())) - 1
    check_number("k", k, low=1, high=max(allowed, 1), integer=True)
    unit = table / np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)
    sim = unit @ unit.T  # [V, V]
    np.fill_diagonal(sim, -np.inf)
    sim[:, exclude] = -np.inf
    order = np.argsort(-sim, axis=1, kind="stable")[:, :k].astype(np.int64)  # [V, k]
    order[exclude] = -1
    return order


def check_candidates(candidates, vocab_size: int) -> np.ndarray:
    """Validate a candidate table ``[V, K]`` of substitute ids (-1 = no candidate)."""
    table = as_int_array("candidates", candidates, ndim=2, low=-1, high=vocab_size)
    if len(table) != vocab_size:
        raise ValueError(f"candidates must have one row per token id ({vocab_size}), got "
                         f"{len(table)} rows")
    return table


def word_substitution(model, tokens, y, max_words: int = 3, *, candidates=None,
                      num_candidates: int = 10, targeted: bool = False, batch_size: int = 256,
                      progress: bool = True) -> AttackResult:
    """Gradient-guided word substitution: swap up to ``max_words`` words for their neighbours.

    At each round, for every position ``t`` and candidate word ``w`` of the current word
    ``v``, the change of the loss is estimated to first order as ``g_t . (E[w] - E[v])`` where
    ``g_t`` is the loss gradient with respect to the embedding of position ``t`` (HotFlip,
    Ebrahimi et al. 2018; Papernot et al. 2016 used the gradient's sign). The best swap with a
    positive estimate is made, each position at most once, until the prediction flips or the
    budget is spent. Padding is never touched.

    Args:
        model: text classifier ``tokens [B, L] -> logits [B, C]`` (Embedding first).
        tokens: token ids ``[B, L]`` (0 = padding).
        y: labels ``[B]`` (targets when ``targeted``).
        max_words: most words changed per sequence (>= 1).
        candidates: ``[V, K]`` substitute ids per token (-1 = none), or None for the
            ``num_candidates`` cosine nearest neighbours in the model's embedding table.
        num_candidates: neighbours per word when ``candidates`` is None.
        targeted: move towards class ``y``.
        batch_size: sequences attacked together.
        progress: show a progress bar over batches.

    Returns:
        An ``AttackResult`` with adversarial token ids in ``x_adv`` and ``words_changed``
        (``norm="words"``, ``epsilon=max_words``).

    Chapter 2.1.
    """
    check_number("max_words", max_words, low=1, integer=True)
    check_batching(batch_size, progress)
    parts = split_text_model(model)
    tokens, y, mask, _ = check_attack_inputs(model, tokens, y, targeted=targeted,
                                             integer_x=True, x_name="tokens",
                                             vocab_size=parts.vocab_size)
    table = parts.embedding_matrix  # [V, E]
    if candidates is None:
        candidates = nearest_neighbors(table, num_candidates)
    candidates = check_candidates(candidates, parts.vocab_size)
    grad_fn = _embedding_grad_fn(model, parts)
    x_adv = tokens.copy()
    for s in batches(len(tokens), batch_size, progress, "word_substitution"):
        x_adv[s] = _substitute_batch(grad_fn, tokens[s], y[s], mask[s], table, candidates,
                                     max_words, targeted)
    pred_clean = _predict_tokens(model, tokens, batch_size)
    pred_adv = _predict_tokens(model, x_adv, batch_size)
    changed = (x_adv != tokens).sum(axis=1)
    return make_result("word_substitution", tokens, x_adv, y, pred_clean, pred_adv,
                       norm="words", epsilon=max_words, targeted=targeted,
                       words_changed=changed, perturbation_norm=changed)


def _substitute_batch(grad_fn, tokens, y, mask, table, candidates, max_words, targeted):
    """Greedy first-order substitutions on one batch; returns the new token ids ``[b, L]``."""
    direction = -1.0 if targeted else 1.0
    cur = tokens.copy()
    b, length = cur.shape
    rows = np.arange(b)
    ones = tf.ones((b, length, 1))
    for round_ in range(max_words + 1):
        r = tf.zeros((b, length, table.shape[1]))
        _, logits, grad = grad_fn(tf.constant(cur), tf.constant(y), r, ones)
        done = attack_succeeded(logits.numpy().argmax(axis=1), y, targeted)
        if round_ == max_words or done.all():
            break
        g = direction * grad.numpy()  # [b, L, E]
        cand = candidates[cur]  # [b, L, K]
        gain = (np.einsum("ble,blke->blk", g, table[np.maximum(cand, 0)])
                - np.einsum("ble,ble->bl", g, table[cur])[:, :, None])  # [b, L, K]
        blocked = (cand < 0) | (mask[:, :, None] == 0) | (cur != tokens)[:, :, None]
        gain = np.where(blocked, -np.inf, gain).reshape(b, -1)
        best = gain.argmax(axis=1)
        apply = ~done & (gain[rows, best] > 0)
        pos, k = np.divmod(best, cand.shape[2])
        cur[rows[apply], pos[apply]] = cand[rows[apply], pos[apply], k[apply]]
    return cur


def _predict_tokens(model, tokens: np.ndarray, batch_size: int) -> np.ndarray:
    out = [model(tf.constant(tokens[s]), training=False).numpy().argmax(axis=1)
           for s in batches(len(tokens), batch_size, False, "")]
    return np.concatenate(out)
