"""Deployment files, checked without a container engine: they parse, they reference each other and the
project correctly (commands, routes, settings, ports), and the NetworkPolicy allows only what it says."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from sovereign.cli import app as cli_app
from sovereign.gateway.config import ProviderConfig
from sovereign.settings import Settings
from sovereign.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
COMPOSE = ROOT / "deploy" / "docker-compose.yml"


def k8s_docs() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [d | {"_file": path.name} for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def find(kind: str, name: str) -> dict[str, Any]:
    (doc,) = [d for d in k8s_docs() if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def cli_accepts(args: list[str]) -> None:
    """``sovereign ARGS`` names a real command with real options and its required arguments (parsed, not run)."""
    command = typer.main.get_command(cli_app)
    ctx = command.make_context("sovereign", list(args))
    while hasattr(command, "resolve_command"):  # a group: descend into the named subcommand
        protected = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", [])
        name, sub, rest = command.resolve_command(ctx, [*protected, *ctx.args])
        assert sub is not None, args
        ctx = sub.make_context(name, rest, parent=ctx)  # raises on an unknown option or a missing argument
        command = sub


def route_paths() -> set[str]:
    """Every path the app serves (routers included by FastAPI are walked into)."""
    out: set[str] = set()
    stack = list(create_app(Settings()).routes)
    while stack:
        r = stack.pop()
        if hasattr(r, "path"):
            out.add(r.path)
        elif hasattr(r, "original_router"):
            stack.extend(r.original_router.routes)
        elif hasattr(r, "routes"):
            stack.extend(r.routes)
    return out


def settings_from(env: dict[str, str]) -> Settings:
    """The service's own settings parser over a deployment's environment (unknown SOVEREIGN_* fail)."""
    fields = set(Settings.model_fields)
    kw: dict[str, Any] = {}
    for key, raw in env.items():
        if not key.startswith("SOVEREIGN_"):
            continue
        field = key[len("SOVEREIGN_"):].lower()
        assert field in fields, f"{key} is not a setting"
        kw[field] = json.loads(raw) if field == "providers" else raw
    return Settings(**kw)


def test_dockerfile_builds_the_package_and_runs_sovereign_serve_as_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in re.sub(r"\\\n", " ", text).splitlines() if line.strip()]
    froms = [line.split()[1] for line in lines if line.startswith("FROM ")]
    assert froms and all(f == "python:3.11-slim" for f in froms)
    for line in lines:
        if line.startswith("COPY ") and "--from=" not in line:
            for src in line.split()[1:-1]:
                assert (ROOT / src).exists(), f"COPY {src}: not in the repository"
    user = [line.split()[1] for line in lines if line.startswith("USER ")][-1]
    assert user.split(":")[0] not in ("root", "0")
    entrypoint = json.loads(next(line for line in lines if line.startswith("ENTRYPOINT "))[len("ENTRYPOINT "):])
    cmd = json.loads(next(line for line in lines if line.startswith("CMD "))[len("CMD "):])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entrypoint == ["sovereign"] and "sovereign" in scripts and cmd == ["serve"]
    cli_accepts(cmd)
    env = dict(re.findall(r"(SOVEREIGN_\w+)=(\S+)", text))
    assert settings_from(env).host == "0.0.0.0"
    health = re.search(r"urlopen\('http://127.0.0.1:(\d+)(/\w+)'", text)
    assert health and health.group(1) == env["SOVEREIGN_PORT"]
    assert health.group(2) in route_paths()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".sovereign", ".git", "tests"} <= set(ignored) and "src" not in ignored


def test_compose_runs_api_and_worker_on_pgvector_with_ollama_as_the_provider() -> None:
    doc = yaml.safe_load(COMPOSE.read_text())
    services = doc["services"]
    assert {"api", "worker", "postgres", "ollama"} <= set(services)
    assert services["postgres"]["image"] == "pgvector/pgvector:pg16"
    for name in ("api", "worker"):
        svc = services[name]
        cli_accepts(svc["command"])
        assert svc["build"]["dockerfile"] == "Dockerfile"
        assert (COMPOSE.parent / svc["build"]["context"] / "Dockerfile").exists()
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        # ${VAR:-default} -> default, ${VAR:?message} -> a value
        env = {k: re.sub(r"\$\{(\w+):[-?]([^}]*)\}", lambda m: m.group(2) or "x", v)
               for k, v in svc["environment"].items()}
        settings = settings_from(env)
        (provider,) = settings.providers
        assert (provider.kind, provider.endpoint, provider.jurisdiction) == (
            "openai_compatible", "http://ollama:11434/v1", "local")
        assert settings.database_url.startswith("postgresql://sovereign:") and "@postgres:5432/" in settings.database_url
        assert settings.embedded_model == "none"
    assert services["api"]["command"] == ["serve", "--no-worker"] and services["worker"]["command"] == ["worker"]
    assert services["api"]["ports"] == ["127.0.0.1:8787:8787"]  # not on every interface
    assert "ollama pull" in " ".join(services["ollama-pull"]["entrypoint"])


def test_kubernetes_manifests_parse_and_every_reference_resolves() -> None:
    docs = k8s_docs()
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert set(listed) == files  # the Secret is created by hand, never applied with placeholders
    for d in docs:
        if d["kind"] != "Kustomization":
            assert d["apiVersion"] and d["metadata"]["name"]
            assert d["metadata"].get("namespace", "sovereign") == "sovereign"
    config = find("ConfigMap", "sovereign-config")["data"]
    secret = find("Secret", "sovereign-secrets")["stringData"]
    for kind in ("Deployment", "StatefulSet"):
        for d in (d for d in docs if d["kind"] == kind):
            spec = d["spec"]
            assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
            for c in spec["template"]["spec"]["containers"]:
                for ref in c.get("envFrom", []):
                    assert ref["configMapRef"]["name"] == "sovereign-config"
                for e in c.get("env", []):
                    if "valueFrom" in e:
                        ref = e["valueFrom"]["secretKeyRef"]
                        assert ref["name"] == "sovereign-secrets" and ref["key"] in secret
    settings = settings_from(config)
    assert [p.name for p in settings.providers] == ["ollama", "openai"]
    assert all(isinstance(p, ProviderConfig) for p in settings.providers)
    assert not settings.providers[1].enabled and settings.providers[1].api_key_env == "OPENAI_API_KEY"


def _container(name: str) -> dict[str, Any]:
    (c,) = find("Deployment", name)["spec"]["template"]["spec"]["containers"]
    return c


def test_api_and_worker_are_separate_deployments_with_probes_on_the_real_routes() -> None:
    api, worker = _container("sovereign-api"), _container("sovereign-worker")
    cli_accepts(api["args"])
    cli_accepts(worker["args"])
    assert api["args"] == ["serve", "--no-worker"] and worker["args"] == ["worker"]
    routes = route_paths()
    assert {"/metrics", "/v1/ops/status", "/console/login"} <= routes
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz" and "/healthz" in routes
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz" and "/readyz" in routes
    assert api["ports"][0]["containerPort"] == int(find("ConfigMap", "sovereign-config")["data"]["SOVEREIGN_PORT"])
    assert "livenessProbe" not in worker  # no HTTP in a worker
    service = find("Service", "sovereign-api")
    labels = find("Deployment", "sovereign-api")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == api["ports"][0]["name"]
    for name in ("sovereign-api", "sovereign-worker"):
        pod = find("Deployment", name)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] != 0
        c = pod["containers"][0]
        assert c["securityContext"]["readOnlyRootFilesystem"] and not c["securityContext"]["allowPrivilegeEscalation"]
        # shutdown_grace_s must fit in the pod's termination grace period
        assert pod["terminationGracePeriodSeconds"] > float(find("ConfigMap", "sovereign-config")["data"][
            "SOVEREIGN_SHUTDOWN_GRACE_S"])


def test_the_network_policy_allows_egress_only_to_dns_postgres_providers_and_the_store() -> None:
    policy = find("NetworkPolicy", "sovereign")
    spec = policy["spec"]
    assert set(spec["policyTypes"]) == {"Ingress", "Egress"}
    for name in ("sovereign-api", "sovereign-worker"):
        labels = find("Deployment", name)["spec"]["template"]["metadata"]["labels"]
        assert spec["podSelector"]["matchLabels"].items() <= labels.items(), name
    for name in ("postgres", "ollama"):  # the policy is Sovereign's, not its dependencies'
        kind = "StatefulSet" if name == "postgres" else "Deployment"
        labels = find(kind, name)["spec"]["template"]["metadata"]["labels"]
        assert not spec["podSelector"]["matchLabels"].items() <= labels.items()
    allowed = set()
    for rule in spec["egress"]:
        ports = {(p.get("protocol", "TCP"), p["port"]) for p in rule["ports"]}
        for peer in rule["to"]:
            if "ipBlock" in peer:
                assert "except" not in peer["ipBlock"] and not peer["ipBlock"]["cidr"].startswith("0.0.0.0")
                allowed |= {("ip", port) for port in ports}
            else:
                allowed |= {(peer["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
                             or peer["podSelector"]["matchLabels"].get("k8s-app"), port) for port in ports}
    assert allowed == {
        ("kube-dns", ("UDP", 53)), ("kube-dns", ("TCP", 53)), ("postgres", ("TCP", 5432)),
        ("ollama", ("TCP", 11434)), ("ip", ("TCP", 443)),
    }
    config = find("ConfigMap", "sovereign-config")["data"]
    for provider in settings_from(config).providers:  # every provider's port is one the policy opens
        port = 443 if provider.endpoint.startswith("https://") else int(re.search(r":(\d+)/", provider.endpoint).group(1))
        assert any(p == ("TCP", port) for _, p in allowed), provider.name
    ingress_ports = {p["port"] for rule in spec["ingress"] for p in rule["ports"]}
    assert ingress_ports == {8787}


@pytest.mark.parametrize("doc", ["docs/runbook.md", "docs/operations.md"])
def test_the_runbooks_commands_exist(doc: str) -> None:
    """Every `sovereign ...` command line in the docs names a real command and real options."""
    text = (ROOT / doc).read_text()
    commands = re.findall(r"^\s*(?:\$ )?sovereign ([^\n#|]+)", text, flags=re.M)
    assert len(commands) >= 5
    for line in commands:
        args = [a for a in shlex.split(line.replace("…", "x")) if a not in ("\\",)]
        cli_accepts(args)
