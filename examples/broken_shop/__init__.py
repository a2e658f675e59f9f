"""A deliberately broken copy of the example shop: `continuum check` must reject it.

Each workflow makes a mistake people really make (a clock read hidden two helpers
deep, a random UUID as idempotency key, a blocking sleep, print debugging, a bare
except, iterating a set, configuration read at import). `make demo` shows the
diagnostics; the project's own `continuum check` excludes this directory (see
``[tool.continuum] exclude`` in pyproject.toml) and checks it only when named.
"""
