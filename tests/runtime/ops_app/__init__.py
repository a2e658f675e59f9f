"""A tiny app for the operations tests: one workflow in three hand-frozen versions."""
