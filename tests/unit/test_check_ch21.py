"""Tests of the Chapter 2.1 self-checks: right answers pass, typical wrong ones get a hint."""

import numpy as np
import pytest

from rnnsec import check, set_seed
from rnnsec.adversarial import nearest_neighbors, pgd, simba, word_substitution
from rnnsec.compat import keras
from rnnsec.models import text_classifier


def _fails(result):
    return result.passed is False and len(result.message) > len("Hint: ")


@pytest.fixture(scope="module")
def toy(trained_toy_lstm):
    model, x, y = trained_toy_lstm
    x, y = x[200:260], y[200:260]
    return model, x, y, np.ones(x.shape[:2], dtype="float32")


def test_2_1_1_steps(toy):
    model, x, y, mask = toy
    accs = {k: pgd(model, x, y, 0.2, steps=k, mask=mask, seed=0, progress=False).robust_accuracy
            for k in (1, 3, 10, 30)}
    ctx = dict(model=model, x=x, y=y, mask=mask, epsilon=0.2)
    assert check.exercise("2.1-1", accs, **ctx).passed
    assert _fails(check.exercise("2.1-1", {k: 1 - a for k, a in accs.items()}, **ctx))
    other = {k: pgd(model, x, y, 0.05, steps=k, mask=mask, seed=0, progress=False)
             .robust_accuracy for k in (1, 3, 10, 30)}
    assert _fails(check.exercise("2.1-1", other, **ctx))
    assert _fails(check.exercise("2.1-1", [accs[k] for k in (1, 3, 10, 30)], **ctx))


def test_2_1_2_simba_l2(toy):
    model, x, y, mask = toy
    ctx = dict(model=model, x=x, y=y, mask=mask)
    good = simba(model, x, y, 2.0, norm="2", max_queries=500, mask=mask, seed=0, progress=False)
    assert check.exercise("2.1-2", good, **ctx).passed
    linf = simba(model, x, y, 2.0, max_queries=500, mask=mask, seed=0, progress=False)
    assert _fails(check.exercise("2.1-2", linf, **ctx))
    small = simba(model, x, y, 1.0, norm="2", max_queries=500, mask=mask, seed=0, progress=False)
    assert _fails(check.exercise("2.1-2", small, **ctx))
    white = pgd(model, x, y, 2.0, norm="2", mask=mask, seed=0, progress=False)
    assert _fails(check.exercise("2.1-2", white, **ctx))


@pytest.fixture(scope="module")
def text_toy():
    set_seed(0)
    rng = np.random.default_rng(0)
    vocab = 30
    tokens = rng.integers(2, vocab, size=(120, 8)).astype("int32")
    y = (np.isin(tokens, np.arange(2, 10)).sum(axis=1) > 2).astype("int64")
    model = text_classifier(vocab, 2, embedding_dim=8, units=8)
    model.compile(keras.optimizers.Adam(0.03),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(tokens, y, epochs=15, batch_size=32, verbose=0)
    candidates = nearest_neighbors(rng.normal(size=(vocab, 4)), k=5)
    return model, tokens[:40], y[:40], candidates


def _flip(result):
    right = result.pred_clean == result.y
    return float(np.mean(result.success[right]))


def test_2_1_3_words(text_toy):
    model, x, y, candidates = text_toy
    good = {"victim": {}, "cooccurrence": {}}
    for k in (1, 3):
        good["victim"][k] = _flip(word_substitution(model, x, y, max_words=k, num_candidates=8,
                                                    progress=False))
        good["cooccurrence"][k] = _flip(word_substitution(model, x, y, max_words=k,
                                                          candidates=candidates, progress=False))
    ctx = dict(model=model, x=x, y=y, candidates=candidates)
    assert check.exercise("2.1-3", good, **ctx).passed
    swapped = {"victim": good["cooccurrence"], "cooccurrence": good["victim"]}
    assert _fails(check.exercise("2.1-3", swapped, **ctx))
    shifted = {name: {k: min(1.0, r + 0.2) for k, r in rates.items()}
               for name, rates in good.items()}
    assert _fails(check.exercise("2.1-3", shifted, **ctx))
    assert _fails(check.exercise("2.1-3", {"victim": good["victim"]}, **ctx))


def test_strict_mode_raises(toy, monkeypatch):
    model, x, y, mask = toy
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="2.1-1"):
        check.exercise("2.1-1", {1: 0.0, 3: 0.5, 10: 1.0, 30: 1.0}, model=model, x=x, y=y,
                       mask=mask, epsilon=0.2)


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (a list, not a dict)."""
    chinese_hint("2.1-1", [0.5, 0.4, 0.3, 0.3], model=None, x=None, y=None, mask=None,
                 epsilon=0.2)
