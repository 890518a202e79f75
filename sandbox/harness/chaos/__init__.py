"""The chaos suite's harness: N Shopify orders and M refunds delivered as signed webhooks through the
local Functions host with duplicate deliveries, shuffled order, F&O faults, Shopify throttling and
host crashes, then drained and reconciled against F&O (see README "Chaos suite").

    from sandbox.harness.chaos import ChaosConfig, run_chaos
    result = run_chaos(ChaosConfig(orders=40, refunds=10, restarts=1), azurite_connection_string)
    result.report.show(); assert result.ok

``python -m sandbox.harness.chaos --orders 2000 --refunds 500`` runs the large size on its own Azurite.
"""

from sandbox.harness.chaos.run import ChaosConfig, ChaosResult, run_chaos

__all__ = ["ChaosConfig", "ChaosResult", "run_chaos"]
