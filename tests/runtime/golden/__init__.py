"""Golden journals: histories recorded by this runtime, replayed by every test run."""
