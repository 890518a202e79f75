"""Queue message text, as the Storage Queues extension reads and writes it.

With ``extensions.queues.messageEncoding`` ``base64`` (the default) a trigger decodes the message text
as strict base64, and a message that is not base64 goes to the poison queue without an invocation; an
output binding writes base64 of the value's UTF-8 bytes. With ``none`` the text is used as is. A message
the app stores elsewhere (a blob, with a pointer in the message) is the app's own business: the host
hands the pointer message to the function like any other.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

Encoding = Literal["base64", "none"]


def encode(body: bytes, encoding: str) -> str:
    if encoding == "base64":
        return base64.b64encode(body).decode("ascii")
    return body.decode()


def decode(content: str, encoding: str) -> bytes | None:
    """The message body, or None when the text is not valid for the encoding (poison)."""
    if encoding == "none":
        return content.encode()
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        return None
