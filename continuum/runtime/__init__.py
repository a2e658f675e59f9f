"""The runtime: effects, replay engine, worker, client and store.

It never imports the analyzer or codegen: a worker loads generated code, not LibCST.
"""
