"""Infra that keeps the deployment closed by default: Redis (optional, off by default) with Entra ID
and no access keys, a daily cap on Log Analytics, diagnostic settings on Key Vault and storage."""

from __future__ import annotations

from tests.infra.templates import INFRA, parse, properties, resources_of_type


def test_redis_is_off_by_default_and_entra_id_only() -> None:
    main = parse(INFRA / "main.bicep")
    assert main["parameters"]["enableRedis"]["default"] is False
    [redis] = resources_of_type("Microsoft.Cache/redis")
    settings = properties(redis)
    assert settings["disableAccessKeyAuthentication"] is True
    assert settings["redisConfiguration"]["'aad-enabled'"] == "true"  # pycep keeps the quotes
    [policy] = resources_of_type("Microsoft.Cache/redis/accessPolicyAssignments")
    assert properties(policy)["objectId"] == "principalId"
    text = (INFRA / "core" / "redis.bicep").read_text()
    assert "listKeys" not in text  # no key is read, stored or passed anywhere


def test_log_analytics_has_a_daily_cap_parameter() -> None:
    main = parse(INFRA / "main.bicep")
    assert main["parameters"]["logAnalyticsDailyQuotaGb"]["default"] > 0
    assert main["modules"]["monitoring"]["config"]["params"]["dailyQuotaGb"] == "logAnalyticsDailyQuotaGb"


def test_key_vault_and_storage_send_diagnostics_to_log_analytics() -> None:
    settings = resources_of_type("Microsoft.Insights/diagnosticSettings")
    scopes = {str(r["config"]["scope"]) for r in settings}
    assert {"vault", "storage", "blobService", "queueService", "tableService"} <= scopes
    [vault] = [r for r in settings if str(r["config"]["scope"]) == "vault"]
    assert properties(vault)["logs"][0]["categoryGroup"] == "audit"
    assert all(properties(r)["workspaceId"] == "workspaceId" for r in settings)
