"""The ops app's versions as a registry module (generated format), for CLI tests."""

from tests.runtime.ops_app.versions import registry_data

REGISTRY_FORMAT = 1
VERSIONS, CURRENT = registry_data()
