"""Versioning and code generation (``continuum build``): closure, hash, frozen modules, registry.

The library entry points are `continuum.codegen.api.build` and
`continuum.codegen.inventory.inspect_workflow`; see docs/versioning.md.
"""
