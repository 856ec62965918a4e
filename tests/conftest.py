"""Shared fixtures: every test runs offline, with the knobs cleared, on a known dataset."""

import pytest

from stepkit import KNOBS, OFFLINE_URL


@pytest.fixture(autouse=True)
def offline_and_clean(monkeypatch):
    """No test may reach the network, and no knob from the caller's shell may leak in."""
    monkeypatch.setenv("NAMES_URL", OFFLINE_URL)
    for knob in KNOBS:
        monkeypatch.delenv(knob, raising=False)
