"""Dynamics 365 Finance & Operations OData emulator (see README.md in this folder)."""

from sandbox.emulators.d365.app import create_app
from sandbox.emulators.d365.config import D365EmulatorConfig, ThrottleConfig

__all__ = ["D365EmulatorConfig", "ThrottleConfig", "create_app"]
