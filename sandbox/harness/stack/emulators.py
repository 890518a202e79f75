"""Start the emulators of Dynamics 365 F&O, Shopify Admin and FedEx in this process (uvicorn threads
on loopback) and say which app settings point the integration at them.

They are development tools following the public contracts, not replacements for the real services.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.dataverse import create_app as create_dataverse
from sandbox.emulators.fedex import create_app as create_fedex
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig

DEFAULT_PORTS = {"d365": 7101, "shopify": 7102, "fedex": 7103, "dataverse": 7104}
SETTINGS = {"d365": "D365_URL", "shopify": "SHOPIFY_ADMIN_URL", "fedex": "FEDEX_URL", "dataverse": "DATAVERSE_URL"}


@dataclass
class Emulators:
    servers: dict[str, RunningServer] = field(default_factory=dict)

    @property
    def urls(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}

    def settings(self) -> dict[str, str]:
        return {SETTINGS[name]: url for name, url in self.urls.items()}

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


def _free(port: int) -> int:
    """The port when nothing listens there, else 0 (any free port)."""
    with socket.socket() as sock:
        return 0 if sock.connect_ex(("127.0.0.1", port)) == 0 else port


def start_emulators(
    ports: dict[str, int] | None = None, settings: dict[str, str] | None = None, crm: bool = False
) -> Emulators:
    """``settings``: the app's settings, so the Shopify emulator signs with the app's secret, as the
    app's shop, with the app's token. ``crm``: start the Dataverse emulator too (its URL in
    ``settings()`` turns the optional CRM flow on)."""
    ports = {**DEFAULT_PORTS, **(ports or {})}
    settings = settings or {}
    shopify_config = ShopifyEmulatorConfig()
    shopify_config.api_secret = settings.get("SHOPIFY_API_SECRET") or shopify_config.api_secret
    shopify_config.shop_domain = settings.get("SHOPIFY_SHOP_DOMAIN") or shopify_config.shop_domain
    shopify_config.access_token = settings.get("SHOPIFY_ADMIN_TOKEN") or shopify_config.access_token
    # Ids that no earlier run handed out, so records kept in a reused Azurite never collide.
    shopify_config.id_start = int(time.time() * 1000)
    apps: dict[str, Any] = {"d365": create_d365(), "shopify": create_shopify(shopify_config), "fedex": create_fedex()}
    if crm:
        apps["dataverse"] = create_dataverse()
    emulators = Emulators()
    try:
        for name, app in apps.items():
            emulators.servers[name] = start_in_thread(app, port=_free(ports[name]), name=name)
    except Exception:
        emulators.stop()
        raise
    return emulators
