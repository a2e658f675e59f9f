# Hand-written in the format `continuum build` generates (REGISTRY_FORMAT 1), for the
# crash tests' worker processes; the versions point at the source classes.
REGISTRY_FORMAT = 1
_FLOWS = ("Leaf", "FanOut", "Saga")
VERSIONS = {
    f"src-comp-{name.lower()}": {
        "workflow": f"tests.runtime.composition.flows:{name}",
        "module": "tests.runtime.composition.flows",
        "entrypoint": name,
    }
    for name in _FLOWS
}
CURRENT = {f"tests.runtime.composition.flows:{name}": f"src-comp-{name.lower()}" for name in _FLOWS}
