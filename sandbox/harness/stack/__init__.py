"""The whole stack locally: Azurite (``azurite``, ``azurite_backend``), the emulators in threads
(``emulators``) and the app on the local host; ``python -m sandbox.harness.stack``."""
