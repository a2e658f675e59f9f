"""Storage for runs and their journal: the `Store` protocol and its implementations."""
