"""Privacy for recurrent networks: DP training, accounting, attacks, exposure and audits.

Chapters 2.2, 3.2, 4.2 and 5.2 of the book. The submodules are imported on their own, so
that the model-free ones never pull in TensorFlow:

- ``rnnsec.privacy.accounting``: epsilon of DP-SGD via ``dp-accounting`` (RDP, PLD); Chapter 4.2.
- ``rnnsec.privacy.clipping``: per-example gradients, norms and clipped sums (fast ghost-norm
  engine and a general one; imports TensorFlow); Chapter 3.2.
- ``rnnsec.privacy.dp``: DP-SGD / DP-Adam training of Keras models with ``fit``; Chapter 3.2.
- ``rnnsec.privacy.distributed``: DP-SGD across devices with ``tf.distribute`` (clip on every
  replica, all-reduce the clipped sums, add the noise once); Chapter 3.2.
- ``rnnsec.privacy.metrics``: ROC, AUC, TPR at low FPR, membership advantage; Chapter 2.2.
- ``rnnsec.privacy.attacks``: membership inference (threshold, shadow models, LiRA); Chapter 2.2.
- ``rnnsec.privacy.significance``: intervals of membership metrics (the TPR at low FPR with the
  false positives it rests on) and their shuffled-label null.
- ``rnnsec.privacy.tradeoff``: what (epsilon, delta)-DP allows a membership attack (TPR at an
  FPR, advantage, AUC ceilings), put beside every attack on a DP model.
- ``rnnsec.privacy.extraction``: canary log-perplexity, exposure and beam-search extraction
  with a character language model; Chapter 2.2.
- ``rnnsec.privacy.exposure``: secret formats and exposure (Carlini et al. 2019); Chapter 2.2.
- ``rnnsec.privacy.audit``: empirical lower bounds on epsilon (Jagielski et al. 2020,
  Steinke et al. 2023).

Import what you need, e.g. ``from rnnsec.privacy.accounting import compute_epsilon``.
"""
