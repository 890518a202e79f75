"""The scripted demo against the running stack (``run``) and the ERP-ready Shopify orders it, the tests
and the benchmarks send (``sample_orders``)."""
