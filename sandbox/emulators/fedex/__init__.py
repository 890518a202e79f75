"""FedEx emulator: OAuth (``POST /oauth/token``) and the Rate API (``POST /rate/v1/rates/quotes``).

Follows FedEx's published OpenAPI (copied unchanged into ``openapi/``) and the recorded replies
described in ``docs/reference/fedex.md``. See README.md in this folder.
"""

from sandbox.emulators.fedex.app import create_app
from sandbox.emulators.fedex.config import FedexEmulatorConfig

__all__ = ["FedexEmulatorConfig", "create_app"]
