"""The determinism analyzer behind ``continuum check`` (LibCST visitors → Diagnostics)."""
