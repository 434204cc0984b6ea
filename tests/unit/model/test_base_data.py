"""A refit of the base reads what the shipped model was built from, never less."""
from __future__ import annotations

from moderation.config import Defaults
from training.default_model import specs


def test_the_configured_base_data_is_the_shipped_models() -> None:
    assert Defaults.TRAINING_DATA == specs()
