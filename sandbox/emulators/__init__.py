"""Emulators of the external systems, one package each: ``d365`` (Dynamics 365 F&O OData), ``shopify``
(Shopify Admin GraphQL/REST and webhooks), ``fedex`` (FedEx OAuth and Rate API) and ``dataverse``
(Dataverse Web API). Each is an ASGI app with its own config and faults (``faults.py``, shared), run by
``python -m sandbox.emulators.<name>`` or in a thread with ``serve.start_in_thread``.

The emulators never import the product (``function_app``, ``integration``, ``shared``): they follow
the real systems' documented behaviour, not our client code (sandbox/tests/test_boundaries.py).
"""
