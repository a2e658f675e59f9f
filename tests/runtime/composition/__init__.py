"""Workflows and activities for the composition tests (children, sagas, cancel, snapshots)."""
