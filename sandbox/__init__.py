"""Local development tools: the Python-only Functions host and the emulators of Shopify Admin,
Dynamics 365 F&O and FedEx. Never deployed (see .funcignore)."""

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "samples"
"""Vendored public sample payloads (see samples/README.md)."""
