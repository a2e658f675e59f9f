"""The benchmark's workflows for Continuum (built into ``_continuum/`` by the benchmark)."""
