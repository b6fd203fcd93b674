"""Self-checks for the exercises of Chapter 4.3 (Certified robustness of RNNs).

The checkers recompute what the chapter computes: the tangent and chord lines of tanh on a
concave interval, and certified accuracies with at most ``k`` perturbed steps
(``rnnsec.certify.certify``).
"""

from __future__ import annotations

import numpy as np

from rnnsec.check._core import Message, register, require, say


def _arrays(answer, n: int) -> list[np.ndarray]:
    require(isinstance(answer, (tuple, list)) and len(answer) == 4,
            "lines should be a tuple of four arrays (a_lo, b_lo, a_hi, b_hi)",
            zh="lines 应当是由四个数组组成的元组 (a_lo, b_lo, a_hi, b_hi)")
    arrays = [np.asarray(a, dtype=np.float64) for a in answer]
    require(all(a.shape == (n,) for a in arrays),
            f"each of a_lo, b_lo, a_hi, b_hi should hold one value per interval, shape ({n},)",
            zh=f"a_lo、b_lo、a_hi、b_hi 中的每一个都应当为每个区间包含一个值，形状为 ({n},)")
    require(all(np.all(np.isfinite(a)) for a in arrays), "the lines hold non-finite values",
            zh="这些直线中含有非有限的值")
    return arrays


@register("4.3-1", topic="tightest linear bounds of tanh on a concave interval")
def _tanh_lines(answer, *, lo, hi) -> Message:
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    a_lo, b_lo, a_hi, b_hi = _arrays(answer, len(lo))
    grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0, 1, 501)
    f = np.tanh(grid)
    require(np.all(a_lo[:, None] * grid + b_lo[:, None] <= f + 1e-9),
            "the lower line rises above tanh somewhere: on a concave piece the chord stays "
            "below the curve, tangents do not",
            zh="下方直线在某处高于 tanh：在凹的一段上，弦位于曲线下方，切线则不然")
    require(np.all(f <= a_hi[:, None] * grid + b_hi[:, None] + 1e-9),
            "the upper line dips below tanh somewhere: on a concave piece every tangent lies "
            "above the curve",
            zh="上方直线在某处低于 tanh：在凹的一段上，每条切线都位于曲线上方")
    mid = (lo + hi) / 2
    chord_mid = (np.tanh(lo) + np.tanh(hi)) / 2
    require(np.allclose(a_hi * mid + b_hi, np.tanh(mid), atol=1e-6),
            "the upper line is sound but not the tightest: use the tangent at the midpoint",
            zh="上方直线是可靠的，但不是最紧的：请使用中点处的切线")
    require(np.allclose(a_lo * mid + b_lo, chord_mid, atol=1e-6),
            "the lower line is sound but not the tightest: use the chord through both ends",
            zh="下方直线是可靠的，但不是最紧的：请使用经过两个端点的弦")
    return say("Sound and tightest: the tangent at the midpoint above, the chord below.",
               "可靠且最紧：上方是中点处的切线，下方是弦。")


@register("4.3-2", topic="certified accuracy when any k steps may be perturbed")
def _any_k(answer, *, model, x, y, epsilon: float) -> Message:
    from rnnsec.certify import certify

    require(isinstance(answer, dict), "acc_by_k should be a dict {k: certified accuracy}",
            zh="acc_by_k 应当是一个 dict {k: 认证准确率}")
    require(sorted(answer) == [1, 2, 4, 8], "acc_by_k should have the keys 1, 2, 4 and 8",
            zh="acc_by_k 应当有键 1、2、4 和 8")
    values = [float(answer[k]) for k in (1, 2, 4, 8)]
    require(all(0.0 <= v <= 1.0 for v in values), "certified accuracies lie in [0, 1]",
            zh="认证准确率位于 [0, 1] 中")
    for k in (1, 8):
        ref = certify(model, x, y, epsilon, method="linear", k=k, clip_min=0.0,
                      clip_max=1.0).certified_accuracy
        require(abs(float(answer[k]) - ref) < 1e-9,
                f"acc_by_k[{k}] differs from certify(..., method='linear', k={k}, "
                f"clip_min=0.0, clip_max=1.0): {ref:.3f}",
                zh=f"acc_by_k[{k}] 与 certify(..., method='linear', k={k}, "
                   f"clip_min=0.0, clip_max=1.0) 的结果 {ref:.3f} 不同")
    require(values[0] >= values[-1], "more free steps can only certify fewer digits",
            zh="自由步越多，能认证的数字只会越少")
    return say("Right: k = 1 certifies the most; each larger k adds the next largest per-step "
               "penalty to the bound.",
               "正确：k = 1 认证的最多；k 每增大一次，界就多减去下一个最大的逐步惩罚项。")
