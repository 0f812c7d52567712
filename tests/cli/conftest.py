"""Fixtures of the CLI tests: none of their own yet. They take the shared ones of
tests/conftest.py (``isolated``, ``fake_api``, ``photo``); a fixture that more than one module
here needs goes in this file, not in a test module that others import."""
