"""Dataverse Web API emulator (Dynamics 365 Sales / Customer Service tables the CRM flow uses)."""

from sandbox.emulators.dataverse.app import DataverseEmulatorConfig, ServiceLimits, create_app

__all__ = ["DataverseEmulatorConfig", "ServiceLimits", "create_app"]
