"""Command-line tools: ``stowflow inspect`` (and, later, show/run/scan/freeze/tf1)."""
