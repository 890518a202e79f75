"""The F&O flows' hook: a message on queue ``crm`` only when the CRM flow is on, and never an error."""

from __future__ import annotations

import pytest

from integration.crm import hooks
from integration.webhooks.envelope import Envelope
from shared import queues
from shared.settings import reset_settings_cache
from shared.storage import Storage


def crm_messages(storage: Storage) -> list[Envelope]:
    queue = storage.queue(queues.CRM)
    found = [Envelope.from_message(m.content) for m in queue.receive_messages(max_messages=32)]
    queue.clear_messages()
    return found


def test_hook_is_silent_without_dataverse(app_env: dict, storage: Storage) -> None:
    storage.queue(queues.CRM).clear_messages()
    hooks.fo_document_known(storage, hooks.FO_SALES_ORDER, "1", "SH1")
    assert crm_messages(storage) == []


def test_hook_enqueues_when_crm_is_on(app_env: dict, storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAVERSE_URL", "https://contoso.crm.dynamics.com")
    reset_settings_cache()
    storage.queue(queues.CRM).clear_messages()
    hooks.fo_document_known(storage, hooks.FO_CREDIT_NOTE, "7", "RF9", refund_id="8")
    [message] = crm_messages(storage)
    assert message.topic == "crm/fo-creditnote"
    assert message.payload == {"order_id": "7", "refund_id": "8", "number": "RF9"}


def test_hook_never_raises(app_env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAVERSE_URL", "not a url")
    reset_settings_cache()
    hooks.fo_document_known(
        Storage.from_setting("S", {"S": "UseDevelopmentStorage=true"}), hooks.FO_SALES_ORDER, "1", "SH1"
    )
