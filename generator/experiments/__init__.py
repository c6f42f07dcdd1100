"""One module per experiment; see ``generator/engine/registry.py`` for the contract."""
