"""Start the emulators of Shopify Admin, Dynamics 365 F&O and FedEx in this process (uvicorn
threads on loopback) and say which app settings point the integration at them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.serve import RunningServer

DEFAULT_PORTS = {"d365": 7101, "shopify": 7102, "fedex": 7103}


@dataclass
class Emulators:
    servers: dict[str, RunningServer] = field(default_factory=dict)

    @property
    def urls(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}

    def settings(self) -> dict[str, str]:
        mapping = {"d365": "D365_URL", "shopify": "SHOPIFY_ADMIN_URL", "fedex": "FEDEX_URL"}
        return {mapping[name]: url for name, url in self.urls.items()}

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


def start_emulators(ports: dict[str, int] | None = None) -> Emulators:
    """Emulators land in later commits; until then none are started."""
    return Emulators()
