"""Self-checks for the exercises of Chapter 2.2 (Privacy leakage: membership and canaries)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from rnnsec.check._core import as_number, register, require

_WIDTHS = (1, 2, 4, 8, 16)




@register("2.2-1", topic="expected exposure of a uniformly random rank")
def _random_rank(answer, **_) -> str:
    value = as_number(answer, "the simulated mean exposure (bits)")
    limit = 1 / math.log(2)
    require(value > 0, "exposure log2 N - log2 rank is never negative; check the sign")
    require(value < 5, "that is far too large: did you return log2 N instead of the mean of "
                       "log2 N - log2 rank over the simulated ranks?")
    require(abs(value - 1.0) > 0.05 or abs(value - limit) < 0.05,
            "about 1.0 is the answer in nats (natural logarithms); exposure is in bits")
    require(abs(value - limit) < 0.05, "the mean of log2 N - log2 R for R uniform on 1..N "
                                       "should settle near a constant as N grows; simulate "
                                       "more ranks and use log2")
    return f"The mean tends to 1/ln 2 = {limit:.3f} bits whatever N is."


def _smallest_width(answer, key: str, works) -> None:
    width = answer[key]
    require(width is None or width in _WIDTHS,
            f"answer[{key!r}] must be one of {_WIDTHS}, or None if no width up to 16 works")
    if width is None:
        require(not works(_WIDTHS[-1]), f"a beam of width {_WIDTHS[-1]} does succeed for {key}")
        return
    require(works(width), f"with beam width {width} the search does not succeed for {key}; "
                          "try wider beams")
    smaller = _WIDTHS[_WIDTHS.index(width) - 1] if width > 1 else None
    require(smaller is None or not works(smaller),
            f"a narrower beam than {width} already succeeds for {key}: look for the smallest")


@register("2.2-2", topic="smallest beam width that extracts the secrets")
def _beam_width(answer, *, model, vocab, prefix: str, secret_format: str, top_secrets,
                zh_canary) -> str:
    from rnnsec.privacy.extraction import beam_search_extract

    require(isinstance(answer, Mapping) and set(answer) == {"english", "chinese"},
            'give a dict {"english": width, "chinese": width}')
    top = set(top_secrets)

    def english(width: int) -> bool:
        found = beam_search_extract(model, vocab, prefix, secret_format, beam_width=width)
        return found.best in top

    def chinese(width: int) -> bool:
        found = beam_search_extract(model, vocab, zh_canary.prefix, zh_canary.secret_format,
                                    beam_width=width)
        return found.rank_of(zh_canary.secret) is not None

    _smallest_width(answer, "english", english)
    _smallest_width(answer, "chinese", chinese)
    return "A strongly memorised secret is the first choice at (almost) every digit."


@register("2.2-3", topic="extrapolated versus exact exposure")
def _extrapolated(answer, *, exact_exposures, model, vocab, canaries) -> str:
    from rnnsec.privacy.extraction import canary_exposures

    values = np.asarray(answer, dtype=float) if isinstance(answer, (list, tuple, np.ndarray)) \
        else None
    require(values is not None and values.shape == (len(canaries),),
            f"give a list of {len(canaries)} exposures, one per canary, in order")
    exact = np.asarray(exact_exposures, dtype=float)
    require(np.all(values >= 0), "exposure -log2 F(canary) is never negative")
    require(not np.allclose(values, exact), "these are the exact exposures; the exercise asks "
                                            "for the extrapolated ones (exact=False)")
    right = np.array([r.exposure for r in canary_exposures(model, vocab, list(canaries),
                                                           exact=False, n_references=2000)])
    require(np.allclose(values, right, rtol=1e-4, atol=1e-4),
            "these are not the extrapolated exposures of canary_exposures(..., exact=False, "
            "n_references=2000) (default seed)")
    return "Exact and extrapolated agree in the bulk and part ways in the far tail."


@register("2.2-4", topic="members flagged by LiRA and by the loss threshold at 10% FPR, "
                          "and the overlap independent attacks would give")
def _flagged(answer, *, lira, loss) -> str:
    keys = {"lira", "loss", "both", "independent"}
    require(isinstance(answer, Mapping) and set(answer) == keys,
            'give a dict {"lira": count, "loss": count, "both": count, "independent": '
            'expected overlap}')
    require(all(isinstance(answer[k], (int, np.integer)) and answer[k] >= 0
                for k in ("lira", "loss", "both")),
            "the counts must be non-negative integers")

    def flagged(out) -> set:
        threshold = np.quantile(out.scores[~out.is_member], 0.9)
        return set(np.flatnonzero(out.is_member & (out.scores > threshold)))

    by_lira, by_loss = flagged(lira), flagged(loss)
    n_members = int(np.sum(lira.is_member))
    require(answer["both"] <= min(answer["lira"], answer["loss"]),
            "a member flagged by both attacks is counted in each attack's count too")
    require(answer["lira"] <= n_members and answer["loss"] <= n_members,
            "count members only: non-members above the threshold are false positives")
    tol = max(2, round(0.02 * n_members))  # quantile conventions move the threshold a little
    for key, right in (("lira", len(by_lira)), ("loss", len(by_loss)),
                       ("both", len(by_lira & by_loss))):
        require(abs(int(answer[key]) - right) <= tol,
                f"answer[{key!r}] is off: set each threshold at the 90% quantile of that "
                "attack's scores on the non-members (higher score = member)")
    expected = answer["lira"] * answer["loss"] / n_members
    require(isinstance(answer["independent"], (int, float, np.integer, np.floating))
            and not isinstance(answer["independent"], bool)
            and abs(float(answer["independent"]) - expected) < 0.5,
            "answer['independent'] is off: two attacks that flag lira and loss of the "
            f"{n_members} members independently share lira * loss / {n_members} of them on "
            "average (divide by the members, not by all candidates)")
    return ("Compare the overlap with the independent one, and each count with its null, "
            "before calling the flagged members different.")
