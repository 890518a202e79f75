"""Product-specific harnesses that drive this app: ``stack`` (Azurite, the emulators and the app on the
local host, for ``scripts/run-local``), ``demo`` (the scripted walk-through and the ERP-ready sample
orders) and ``chaos`` (the chaos suite). Unlike the emulators and the host, the harness may import the
product."""

from pathlib import Path

APP_ROOT = Path(__file__).resolve().parents[2]
"""The repository whose ``function_app.py`` the harness runs."""
