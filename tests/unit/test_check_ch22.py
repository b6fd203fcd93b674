"""Self-checks of Chapter 2.2 (rnnsec.check.ch22): right answers pass, typical slips fail."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnsec import check, set_seed
from rnnsec.data import Canary, CharVocab
from rnnsec.models import char_language_model
from rnnsec.privacy.attacks import loss_threshold_attack_from_losses
from rnnsec.privacy.extraction import beam_search_extract, canary_exposures

PREFIX, FORMAT = "my pin is ", "####"


def _fails(result) -> bool:
    return result.passed is False and "Hint:" in result.message and len(result.message) > 10


@pytest.fixture(scope="module")
def tiny_lm():
    """An untrained tiny char-LSTM with 'planted' secrets = its own greedy continuations."""
    set_seed(0)
    vocab = CharVocab.fit("my pin is the code is 的号码是 0123456789")
    model = char_language_model(vocab.size, embedding_dim=4, units=8)
    best = beam_search_extract(model, vocab, PREFIX, FORMAT, beam_width=1).best
    zh_format = "1###"
    zh_best = beam_search_extract(model, vocab, "的号码是", zh_format, beam_width=1).best
    zh = Canary("的号码是", zh_best, zh_format)
    context = dict(model=model, vocab=vocab, prefix=PREFIX, secret_format=FORMAT,
                   top_secrets={best}, zh_canary=zh)
    return model, vocab, context


def test_random_rank():
    rng = np.random.default_rng(0)
    n = 10**6
    ranks = rng.integers(1, n + 1, size=100_000)
    good = float(np.mean(np.log2(n) - np.log2(ranks)))
    ctx = {"ranks": ranks, "n": n}
    assert check.exercise("2.2-1", good, **ctx).passed is True
    assert _fails(check.exercise("2.2-1", float(np.mean(np.log(n) - np.log(ranks))), **ctx))
    assert _fails(check.exercise("2.2-1", math.log2(n), **ctx))
    assert _fails(check.exercise("2.2-1", -good, **ctx))
    assert _fails(check.exercise("2.2-1", "1.44", **ctx))
    assert _fails(check.exercise("2.2-1", 1 / math.log(2), **ctx))  # the limit, typed in
    low = rng.integers(1, n // 2, size=100_000)  # not uniform on 1..N
    assert _fails(check.exercise("2.2-1", float(np.mean(np.log2(n) - np.log2(low))),
                                 ranks=low, n=n))
    assert _fails(check.exercise("2.2-1", good, ranks=ranks[:100], n=n))  # too few
    assert _fails(check.exercise("2.2-1", good, ranks=ranks, n=100))  # N too small


def test_beam_width(tiny_lm):
    _, _, context = tiny_lm
    assert check.exercise("2.2-2", {"english": 1, "chinese": 1}, **context).passed is True
    assert _fails(check.exercise("2.2-2", {"english": 2, "chinese": 1}, **context))
    assert _fails(check.exercise("2.2-2", {"english": 1, "chinese": None}, **context))
    assert _fails(check.exercise("2.2-2", {"english": 3, "chinese": 1}, **context))
    assert _fails(check.exercise("2.2-2", [1, 1], **context))


def test_extrapolated_exposure(tiny_lm):
    model, vocab, _ = tiny_lm
    canaries = [Canary(PREFIX, s, FORMAT) for s in ("4729", "0001", "5555")]
    exact = [r.exposure for r in canary_exposures(model, vocab, canaries)]
    approx = [r.exposure for r in canary_exposures(model, vocab, canaries, exact=False,
                                                   n_references=2000)]
    context = dict(exact_exposures=exact, model=model, vocab=vocab, canaries=canaries)
    assert check.exercise("2.2-3", approx, **context).passed is True
    assert _fails(check.exercise("2.2-3", exact, **context))
    assert _fails(check.exercise("2.2-3", [a + 1.0 for a in approx], **context))
    assert _fails(check.exercise("2.2-3", approx[:2], **context))


def test_flagged_members():
    rng = np.random.default_rng(0)
    is_member = np.r_[np.ones(100, bool), np.zeros(100, bool)]
    loss = loss_threshold_attack_from_losses(rng.exponential(1.0, 200) - 0.5 * is_member,
                                             is_member)
    lira = loss_threshold_attack_from_losses(rng.exponential(1.0, 200) - 0.8 * is_member,
                                             is_member)

    def flagged(out):
        threshold = np.quantile(out.scores[~out.is_member], 0.9)
        return set(np.flatnonzero(out.is_member & (out.scores > threshold)))

    a, b = flagged(lira), flagged(loss)
    independent = len(a) * len(b) / 100
    good = {"lira": len(a), "loss": len(b), "both": len(a & b), "independent": independent}
    assert check.exercise("2.2-4", good, lira=lira, loss=loss).passed is True
    everyone = {"lira": int(np.sum(lira.scores > np.quantile(lira.scores, 0.9))),
                "loss": int(np.sum(loss.scores > np.quantile(loss.scores, 0.9))),
                "both": len(a & b), "independent": independent}  # thresholds over everyone
    wrong = [{"lira": len(b), "loss": len(a), "both": len(a | b), "independent": independent},
             {"lira": len(a) + 10, "loss": len(b), "both": len(a & b),
              "independent": independent},
             # the expected overlap divided by all 200 candidates instead of the 100 members
             {"lira": len(a), "loss": len(b), "both": len(a & b),
              "independent": len(a) * len(b) / 200},
             {"lira": len(a), "loss": len(b), "both": len(a & b)}]          # no expected overlap
    for answer in wrong + ([everyone] if everyone != good else []):
        assert _fails(check.exercise("2.2-4", answer, lira=lira, loss=loss))


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError):
        check.exercise("2.2-1", 1.0, ranks=np.arange(1, 10**4 + 1), n=10**4)


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (a number given as text)."""
    chinese_hint("2.2-1", "1.44", ranks=np.arange(1, 10**4 + 1), n=10**4)
