"""Confidence intervals, nulls and repeated runs for the numbers the chapters compare.

Every chapter states its key claims in hidden ``assert`` cells. A claim that one number is
larger than another is asserted only when the difference is outside the noise of the
evaluation: when a confidence interval of the *difference* lies on one side of the claimed
bound. Otherwise two stacks (or two seeds) that differ in the last bits of their arithmetic can
flip the comparison, and the prose would call noise a finding.

- ``rnnsec.stats.intervals``: :class:`Interval` (``str(iv)`` prints ``0.543 [0.512,
  0.574]``) and the intervals of proportions (Wilson, Clopper-Pearson), differences of
  proportions (Newcombe), AUCs (DeLong), means (t, Welch) and the bootstrap.
- ``rnnsec.stats.null``: the distribution of a statistic when the labels carry no
  information (shuffled labels), and its upper quantile: a result is a finding only above it.
- ``rnnsec.stats.repeats``: one experiment run with several seeds, the mean and t interval
  of each quantity, and the paired difference of two quantities.

Pure NumPy/SciPy. Chapter 2.3 reports each of its comparisons with these intervals and asserts
only the claims whose interval excludes the bound.
"""

from rnnsec.stats.intervals import (
    PROPORTION_METHODS,
    Interval,
    auc_difference_interval,
    auc_interval,
    bootstrap_draws,
    bootstrap_interval,
    difference_interval,
    mean_difference_interval,
    mean_interval,
    percentile_interval,
    proportion_difference_interval,
    proportion_interval,
)
from rnnsec.stats.null import NullDistribution, permutation_null
from rnnsec.stats.repeats import RepeatedRuns, repeat_runs

__all__ = [
    "Interval",
    "PROPORTION_METHODS",
    "proportion_interval",
    "proportion_difference_interval",
    "auc_interval",
    "auc_difference_interval",
    "mean_interval",
    "mean_difference_interval",
    "bootstrap_interval",
    "bootstrap_draws",
    "percentile_interval",
    "difference_interval",
    "NullDistribution",
    "permutation_null",
    "RepeatedRuns",
    "repeat_runs",
]
