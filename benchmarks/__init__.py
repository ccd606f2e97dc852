"""pytest-prodreal's benchmarks. Run them all with ``python -m benchmarks [NAME...]``."""
