"""A Python-only local Functions host: loads ``function_app.py`` through the ``azure.functions``
introspection API and mimics the real host's HTTP routing and auth, queue triggers (base64,
batch size, maxDequeueCount, visibility timeout, poison queues) and NCRONTAB timers.

A development and test host, not a production runtime: production is Azure Functions.
"""
