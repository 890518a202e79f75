"""Benchmarks: each measures against a limit measured in the same run and prints a table row.

``python -m bench`` runs them all (``--quick`` for a short run); each is bounded in count and time.
"""
