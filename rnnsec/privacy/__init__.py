"""Privacy for recurrent networks: DP training, accounting, attacks, exposure and audits.

Part III of the book. The submodules are imported on their own, so that the model-free ones
never pull in TensorFlow:

- ``rnnsec.privacy.accounting``: epsilon of DP-SGD via ``dp-accounting`` (RDP, PLD); Chapter 4.
- ``rnnsec.privacy.dp``: DP-SGD / DP-Adam training of Keras models (imports TensorFlow).
- ``rnnsec.privacy.metrics``: ROC, AUC, TPR at low FPR, membership advantage; Chapter 5.
- ``rnnsec.privacy.exposure``: canaries, secret formats and exposure (Carlini et al. 2019).
- ``rnnsec.privacy.audit``: empirical lower bounds on epsilon (Jagielski et al. 2020,
  Steinke et al. 2023).

Import what you need, e.g. ``from rnnsec.privacy.accounting import compute_epsilon``.
"""
