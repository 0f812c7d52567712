"""Fixtures of the core tests: an empty library, and job options against the fake API."""

from __future__ import annotations

import pytest

from aiml3d_desktop.core.library.store import Library


@pytest.fixture
def library(tmp_path):
    """An empty library of its own (not AIML3D_HOME's), closed after the test."""
    lib = Library(tmp_path / "lib")
    yield lib
    lib.close()


@pytest.fixture
def job_options(fake_api):
    """Options for jobs.generate against the fake API, with short waits so faults are quick."""
    from aiml3d_desktop.core.generation.jobs import JobOptions
    from aiml3d_desktop.core.net.policy import RetryPolicy, Timeouts

    return JobOptions(
        api_key=fake_api.KEY,
        base_url=fake_api.base_url,
        timeouts=Timeouts(connect=2, read=2, download_read=2),
        retry=RetryPolicy(attempts=2, backoff=0.01, jitter=0.01),
    )
