"""Top-level pytest configuration for both test trees (tests/ for the product, sandbox/tests/ for the
sandbox): the session's Azurite fixtures come from the sandbox's plugin."""

pytest_plugins = ["sandbox.harness.stack.pytest_azurite"]
