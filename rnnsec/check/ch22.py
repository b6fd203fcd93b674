"""Self-checks for the exercises of Chapter 2.2 (Privacy leakage: membership and canaries)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from rnnsec.check._core import Message, as_number, register, require, say

_WIDTHS = (1, 2, 4, 8, 16)




@register("2.2-1", topic="expected exposure of a uniformly random rank")
def _random_rank(answer, *, ranks, n: int) -> Message:
    value = as_number(answer, "the simulated mean exposure (bits)",
                      zh="模拟得到的平均暴露度（比特）")
    require(isinstance(n, (int, np.integer)) and n >= 10**4,
            f"simulate ranks out of N >= 10**4 candidates (the exercise uses 10**6), got n={n!r}",
            zh=f"请从 N >= 10**4 个候选中模拟排名（练习中用的是 10**6），而你给的是 n={n!r}")
    r = np.asarray(ranks)
    require(r.ndim == 1 and len(r) >= 10**4 and np.issubdtype(r.dtype, np.integer),
            "ranks should be a 1-D array of at least 10,000 simulated integer ranks",
            zh="ranks 应当是一个至少包含 10,000 个模拟整数排名的一维数组")
    require(r.min() >= 1 and r.max() <= n, f"a rank lies in 1..N = 1..{n}; yours run from "
                                           f"{r.min()} to {r.max()}",
            zh=f"排名位于 1..N = 1..{n} 之中；你的排名从 {r.min()} 到 {r.max()}")
    spread = abs(np.mean(r / n) - 0.5) * math.sqrt(12 * len(r))  # z-score of a uniform mean
    require(spread < 5, "these ranks are not uniform on 1..N: draw each one with "
                        "rng.integers(1, N + 1)",
            zh="这些排名在 1..N 上不是均匀分布的：请用 rng.integers(1, N + 1) 抽取每个排名")
    bits = float(np.mean(math.log2(n) - np.log2(r)))
    nats = float(np.mean(math.log(n) - np.log(r)))
    require(value > 0, "exposure log2 N - log2 rank is never negative; check the sign",
            zh="暴露度 log2 N - log2 rank 永远不会是负的；请检查符号")
    require(abs(value - nats) > 1e-6 or abs(value - bits) < 1e-6,
            "that is the mean in nats (natural logarithms); exposure is in bits",
            zh="这是以奈特（自然对数）为单位的平均值；暴露度以比特为单位")
    require(abs(value - bits) < 1e-6, "not the mean of log2 N - log2 rank over your ranks",
            zh="这不是在你的排名上 log2 N - log2 rank 的平均值")
    limit = 1 / math.log(2)
    return say(f"Mean exposure {bits:.3f} bits over {len(r)} ranks; it tends to 1/ln 2 = "
               f"{limit:.3f} bits whatever N is.",
               f"在 {len(r)} 个排名上平均暴露度为 {bits:.3f} 比特；无论 N 是多少，它都趋于 "
               f"1/ln 2 = {limit:.3f} 比特。")


def _smallest_width(answer, key: str, works) -> None:
    width = answer[key]
    require(width is None or width in _WIDTHS,
            f"answer[{key!r}] must be one of {_WIDTHS}, or None if no width up to 16 works",
            zh=f"answer[{key!r}] 必须是 {_WIDTHS} 之一；如果直到 16 都没有可行的束宽，则为 None")
    if width is None:
        require(not works(_WIDTHS[-1]), f"a beam of width {_WIDTHS[-1]} does succeed for {key}",
                zh=f"束宽为 {_WIDTHS[-1]} 的束搜索对 {key} 确实能成功")
        return
    require(works(width), f"with beam width {width} the search does not succeed for {key}; "
                          "try wider beams",
            zh=f"束宽为 {width} 时，对 {key} 的搜索没有成功；请尝试更宽的束")
    smaller = _WIDTHS[_WIDTHS.index(width) - 1] if width > 1 else None
    require(smaller is None or not works(smaller),
            f"a narrower beam than {width} already succeeds for {key}: look for the smallest",
            zh=f"比 {width} 更窄的束对 {key} 已经能成功：请找出最小的束宽")


@register("2.2-2", topic="smallest beam width that extracts the secrets")
def _beam_width(answer, *, model, vocab, prefix: str, secret_format: str, top_secrets,
                zh_canary) -> Message:
    from rnnsec.privacy.extraction import beam_search_extract

    require(isinstance(answer, Mapping) and set(answer) == {"english", "chinese"},
            'give a dict {"english": width, "chinese": width}',
            zh='请给出一个 dict {"english": 束宽, "chinese": 束宽}')
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
    return say("A strongly memorised secret is the first choice at (almost) every digit.",
               "被牢牢记住的秘密在（几乎）每一位数字上都是首选。")


@register("2.2-3", topic="extrapolated versus exact exposure")
def _extrapolated(answer, *, exact_exposures, model, vocab, canaries) -> Message:
    from rnnsec.privacy.extraction import canary_exposures

    values = np.asarray(answer, dtype=float) if isinstance(answer, (list, tuple, np.ndarray)) \
        else None
    require(values is not None and values.shape == (len(canaries),),
            f"give a list of {len(canaries)} exposures, one per canary, in order",
            zh=f"请给出一个含 {len(canaries)} 个暴露度的列表，每只金丝雀一个，按顺序排列")
    exact = np.asarray(exact_exposures, dtype=float)
    require(np.all(values >= 0), "exposure -log2 F(canary) is never negative",
            zh="暴露度 -log2 F(canary) 永远不会是负的")
    require(not np.allclose(values, exact), "these are the exact exposures; the exercise asks "
                                            "for the extrapolated ones (exact=False)",
            zh="这些是精确暴露度；练习要的是外推暴露度（exact=False）")
    right = np.array([r.exposure for r in canary_exposures(model, vocab, list(canaries),
                                                           exact=False, n_references=2000)])
    require(np.allclose(values, right, rtol=1e-4, atol=1e-4),
            "these are not the extrapolated exposures of canary_exposures(..., exact=False, "
            "n_references=2000) (default seed)",
            zh="这些不是 canary_exposures(..., exact=False, n_references=2000)"
               "（默认种子）给出的外推暴露度")
    return say("Exact and extrapolated agree in the bulk and part ways in the far tail.",
               "精确值与外推值在分布主体内一致，在远端尾部出现分歧。")


@register("2.2-4", topic="members flagged by LiRA and by the loss threshold at 10% FPR, "
                          "and the overlap independent attacks would give")
def _flagged(answer, *, lira, loss) -> Message:
    keys = {"lira", "loss", "both", "independent"}
    require(isinstance(answer, Mapping) and set(answer) == keys,
            'give a dict {"lira": count, "loss": count, "both": count, "independent": '
            'expected overlap}',
            zh='请给出一个 dict {"lira": 计数, "loss": 计数, "both": 计数, '
               '"independent": 期望重叠数}')
    require(all(isinstance(answer[k], (int, np.integer)) and answer[k] >= 0
                for k in ("lira", "loss", "both")),
            "the counts must be non-negative integers",
            zh="这些计数必须是非负整数")

    def flagged(out) -> set:
        threshold = np.quantile(out.scores[~out.is_member], 0.9)
        return set(np.flatnonzero(out.is_member & (out.scores > threshold)))

    by_lira, by_loss = flagged(lira), flagged(loss)
    n_members = int(np.sum(lira.is_member))
    require(answer["both"] <= min(answer["lira"], answer["loss"]),
            "a member flagged by both attacks is counted in each attack's count too",
            zh="被两种攻击都标记的成员，也计入每种攻击各自的计数")
    require(answer["lira"] <= n_members and answer["loss"] <= n_members,
            "count members only: non-members above the threshold are false positives",
            zh="只统计成员：高于阈值的非成员是假阳性")
    tol = max(2, round(0.02 * n_members))  # quantile conventions move the threshold a little
    for key, right in (("lira", len(by_lira)), ("loss", len(by_loss)),
                       ("both", len(by_lira & by_loss))):
        require(abs(int(answer[key]) - right) <= tol,
                f"answer[{key!r}] is off: set each threshold at the 90% quantile of that "
                "attack's scores on the non-members (higher score = member)",
                zh=f"answer[{key!r}] 不对：把每种攻击的阈值设在该攻击在非成员上得分的 90% "
                   "分位数处（得分越高越像成员）")
    expected = answer["lira"] * answer["loss"] / n_members
    require(isinstance(answer["independent"], (int, float, np.integer, np.floating))
            and not isinstance(answer["independent"], bool)
            and abs(float(answer["independent"]) - expected) < 0.5,
            "answer['independent'] is off: two attacks that flag lira and loss of the "
            f"{n_members} members independently share lira * loss / {n_members} of them on "
            "average (divide by the members, not by all candidates)",
            zh="answer['independent'] 不对：两种攻击若相互独立地在 "
               f"{n_members} 个成员中分别标记 lira 个和 loss 个，平均共同标记 lira * loss / "
               f"{n_members} 个（除以成员数，而不是全部候选数）")
    return say("Compare the overlap with the independent one, and each count with its null, "
               "before calling the flagged members different.",
               "在断言被标记的成员不同之前，先把重叠与独立情况下的重叠比较，"
               "并把每个计数与其零假设比较。")
