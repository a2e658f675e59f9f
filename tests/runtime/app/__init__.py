"""A small app for runtime tests: workflows, activities and a hand-written registry."""
