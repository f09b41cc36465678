"""Settings: environment variables ``SOVEREIGN_*`` and an optional TOML file.

Precedence, highest first: explicit arguments, environment variables, the TOML
file named by ``SOVEREIGN_CONFIG`` (default ``<data_dir>/sovereign.toml`` if it
exists), then the defaults below. Every field is documented in
``docs/configuration.md``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from sovereign.gateway.config import GatewaySettings, ProviderConfig


class GroupConfig(BaseModel):
    """A job group: a pgqueuer entrypoint with a fleet-wide concurrency cap (0 = unlimited)."""

    concurrency: int = 0


DEFAULT_GROUPS: dict[str, GroupConfig] = {
    "default": GroupConfig(concurrency=0),
    "webhooks": GroupConfig(concurrency=0),
    "fraud": GroupConfig(concurrency=4),
    "descriptions": GroupConfig(concurrency=2),
    "forecasts": GroupConfig(concurrency=2),
    "maintenance": GroupConfig(concurrency=1),
    "policies": GroupConfig(concurrency=1),  # document ingestion: one at a time (embedding is CPU-bound)
    "images": GroupConfig(concurrency=2),  # image checks: downloads and decoding (CPU) per product
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOVEREIGN_", env_nested_delimiter="__", extra="ignore")

    # storage
    data_dir: Path = Path(".sovereign")
    database_url: str | None = None  # unset: an embedded PostgreSQL under data_dir/pg
    db_pool_min: int = 1
    db_pool_max: int = 10

    # HTTP
    host: str = "127.0.0.1"
    port: int = 8787
    max_body_bytes: int = 1_048_576  # 1 MiB; WooCommerce order bodies are ~5 KB
    public_url: str | None = None  # how the store reaches us (webhook URLs); default http://host:port
    woo_ca_bundle: Path | None = None  # PEM CA bundle trusted for every store's TLS (besides the public roots)

    # jobs
    worker_concurrency: int = 20  # jobs one worker process runs at once
    worker_batch_size: int = 10
    heartbeat_timeout_s: float = 6.0  # a running job whose heartbeat is older is taken over
    dequeue_poll_s: float = 3.0  # idle workers re-check at least this often
    shutdown_grace_s: float = 30.0  # SIGTERM: running jobs get this long to finish
    past_due_after_s: float = 300.0  # pending this long past its run time = past due
    default_max_attempts: int = 5
    groups: dict[str, GroupConfig] = Field(default_factory=lambda: dict(DEFAULT_GROUPS))
    store_timezone: str = "UTC"  # cron schedules run in store time
    forecast_service_level: float = Field(0.95, gt=0.0, lt=1.0)  # stock for this chance of not running out

    # gateway: providers are configuration. With none configured, Sovereign runs one
    # embedded provider on the best installed local model (`sovereign models list`).
    providers: list[ProviderConfig] = Field(default_factory=list)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    models_dir: Path | None = None  # SOVEREIGN_MODELS_DIR; default: data_dir/models
    embedded_model: str = "auto"  # a catalogue id, a GGUF path, "auto" (largest installed) or "none"
    probe_interval_s: float = 15.0
    override_poll_s: float = 2.0  # how fast an operator override reaches every other process
    # A model is promoted only if, on the packaged evaluation, it is not worse than the current one by more than:
    model_promote_max_draft_rate_drop: float = 0.05
    model_promote_max_claim_rate_rise: float = 0.01
    model_promote_max_latency_ratio: float = 1.5
    model_promote_max_review_recall_drop: float = 0.0  # fraud review: a candidate may not miss more risky orders
    model_promote_max_review_precision_drop: float = 0.05

    log_level: str = "INFO"
    log_json: bool = True

    # abuse limits: request line and headers (414 / 431 before any work), event-loop lag watch
    max_path_bytes: int = 8_192
    max_query_bytes: int = 8_192
    max_header_bytes: int = 16_384  # all request header fields together
    max_headers: int = 100
    loop_lag_interval_s: float = 0.05  # 0 turns the watch off
    loop_lag_warn_s: float = 0.1
    api_docs: bool = False  # /docs, /redoc and /openapi.json (SOVEREIGN_API_DOCS=true)

    # console login: who may set X-Forwarded-For, throttling, second factor
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)  # addresses/CIDRs; "a,b" or JSON
    console_login_free_failures: int = Field(3, ge=1)  # per (user, address) before delays start
    console_login_max_delay_s: float = Field(300.0, gt=0)  # the delays double up to this cap
    console_require_totp: bool = False  # refuse console logins of users without a TOTP second factor

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip()
            if v.startswith("["):
                v = json.loads(v)
            else:
                v = [x.strip() for x in v.split(",") if x.strip()]
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, v: list[str]) -> list[str]:
        for item in v:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {item!r} is not an IP address or CIDR network") from None
        return v
    # data at rest: store secrets sealed with AES-GCM; personal data in webhook bodies kept this long
    secret_key: SecretStr | None = None  # base64url, 32 bytes; unset: data_dir/secret.key (made 0600 on first start)
    secret_keys_old: SecretStr | None = None  # comma-separated older keys, still readable (rotation)
    event_retention_days: float = Field(30, gt=0)  # webhook bodies older than this lose their personal data

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def models_path(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret.key"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pg"

    def group_names(self) -> list[str]:
        return sorted(self.groups)


class _TomlSource(PydanticBaseSettingsSource):
    """Reads ``SOVEREIGN_CONFIG`` or ``<data_dir>/sovereign.toml``; missing file = no values."""

    def _path(self) -> Path | None:
        explicit = os.environ.get("SOVEREIGN_CONFIG")
        if explicit:
            p = Path(explicit)
            if not p.exists():
                raise FileNotFoundError(f"SOVEREIGN_CONFIG points to {p}, which does not exist")
            return p
        data_dir = Path(os.environ.get("SOVEREIGN_DATA_DIR", ".sovereign"))
        p = data_dir / "sovereign.toml"
        return p if p.exists() else None

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = self._path()
        if path is None:
            return {}
        with path.open("rb") as fh:
            return tomllib.load(fh)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
