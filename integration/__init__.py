"""The integration: triggers (blueprints), flows and clients."""
