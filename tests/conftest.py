"""Shared pytest set-up: quiet TensorFlow, the ``pinned`` marker, small fixtures."""

from __future__ import annotations

import importlib.util
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
# Unit tests see self-check results; the tests of strict mode set it themselves.
os.environ.pop("RNNSEC_STRICT_CHECKS", None)

import pytest  # noqa: E402


def _tf_privacy_importable() -> bool:
    if importlib.util.find_spec("tensorflow_privacy") is None:
        return False
    try:
        import tensorflow_privacy  # noqa: F401
    except Exception:  # noqa: BLE001
        return False
    return True


def pytest_collection_modifyitems(config, items):
    """Skip ``@pytest.mark.pinned`` tests, with the reason, where tensorflow-privacy is absent."""
    pinned = [item for item in items if "pinned" in item.keywords]
    if not pinned or _tf_privacy_importable():
        return
    skip = pytest.mark.skip(reason="needs tensorflow-privacy (pinned stack only; see setup page)")
    for item in pinned:
        item.add_marker(skip)
