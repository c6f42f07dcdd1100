"""One module per experiment; see ``generator/registry.py`` for the contract."""
