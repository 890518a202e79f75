"""A Python-only local Functions host. The worker half is Microsoft's ``azure-functions-runtime``,
driven in-process over the Functions RPC protocol (``worker.py``, ``rpc/``); the host half is ours: HTTP
routing and auth, queue triggers (base64, batch size, maxDequeueCount, visibility timeout, poison
queues), NCRONTAB timers and ``host.json``. See docs/local-development.md.

A development and test host, not a production runtime: production is Azure Functions.
"""
