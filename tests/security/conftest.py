"""The authorization matrix's fixture (its personas, and the ids each URL takes), shared
with the other security tests that try every page."""

from tests.security.test_authorization import matrix

__all__ = ["matrix"]
