"""The Slack app manifests (HTTP and Socket Mode) and the Dockerfile.

The manifests are validated against Slack's public app-manifest JSON schemas, kept beside the repository in
../shared/slack-manifest-schema/. The router schema (manifest.schema.json) refers to the versioned schemas by
raw GitHub URLs; those URLs are resolved to the local copies through a `referencing` registry, so no network
access happens.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest
import yaml
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT.parent / "shared" / "slack-manifest-schema"
ROUTER = "manifest.schema.json"

HTTP_MANIFEST = ROOT / "manifest.yaml"
SOCKET_MANIFEST = ROOT / "manifest.socket.yaml"
MANIFESTS = [
    pytest.param(HTTP_MANIFEST, id="http"),
    pytest.param(SOCKET_MANIFEST, id="socket"),
]

BOT_SCOPES = {"commands", "chat:write", "chat:write.public", "users:read", "usergroups:read"}
BOT_EVENTS = {"app_uninstalled", "tokens_revoked"}
SUBCOMMANDS = [
    "help",
    "connect",
    "status",
    "create",
    "show",
    "edit",
    "set",
    "assign",
    "unassign",
    "numbers",
    "list",
    "notify",
    "permissions",
]
# Keys that carry a URL; the Socket Mode manifest has none of them.
URL_KEYS = {"url", "request_url", "message_menu_options_url", "redirect_urls"}


# --- schema loading -------------------------------------------------------------------------------------


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@functools.cache
def _schemas() -> tuple[dict[str, Any], Registry[Any], dict[str, str]]:
    """(router schema, registry of the versioned schemas keyed by their raw URLs, {file name: URL})."""
    if not (SCHEMA_DIR / ROUTER).is_file():
        pytest.fail(
            f"Slack's app-manifest JSON schemas are missing: expected {SCHEMA_DIR / ROUTER} "
            "(the shared directory beside the repository, copied from slackapi/manifest-schema)",
            pytrace=False,
        )
    router = json.loads((SCHEMA_DIR / ROUTER).read_text(encoding="utf-8"))
    urls = sorted({ref for ref in _refs(router) if urlparse(ref).scheme in ("http", "https")})
    assert urls, f"{ROUTER} refers to no versioned schema by URL"

    resources = []
    by_name = {}
    for url in urls:
        name = urlparse(url).path.rsplit("/", 1)[-1]
        local = SCHEMA_DIR / name
        if not local.is_file():
            pytest.fail(f"{ROUTER} refers to {url}, but there is no local copy {local}", pytrace=False)
        contents = json.loads(local.read_text(encoding="utf-8"))
        resources.append((url, Resource.from_contents(contents, default_specification=DRAFT7)))
        by_name[name] = url
    registry: Registry[Any] = Registry().with_resources(resources)
    return router, registry, by_name


def _validator(schema: dict[str, Any] | None = None) -> jsonschema.protocols.Validator:
    router, registry, _ = _schemas()
    cls = validator_for(router)
    cls.check_schema(router)
    return cls(router if schema is None else schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


def _v1_validator() -> jsonschema.protocols.Validator:
    """Validates against the major-version-1 schema directly, for precise error paths."""
    _, _, by_name = _schemas()
    assert "manifest.schema.1.0.0.json" in by_name, f"{ROUTER} no longer routes to a 1.0.0 schema"
    return _validator({"$ref": by_name["manifest.schema.1.0.0.json"]})


def _errors(validator: jsonschema.protocols.Validator, manifest: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(manifest), key=lambda e: list(map(str, e.absolute_path)))
    ]


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name} is not a YAML mapping"
    return data


def _command(manifest: dict[str, Any]) -> dict[str, Any]:
    commands = manifest["features"]["slash_commands"]
    assert len(commands) == 1, commands
    return dict(commands[0])


# --- schema validity -------------------------------------------------------------------------------------


def test_registry_resolves_every_router_url_locally() -> None:
    router, registry, by_name = _schemas()
    assert set(by_name) >= {"manifest.schema.1.0.0.json", "manifest.schema.2.0.0.json"}
    resolver = registry.resolver()
    for url in set(_refs(router)):
        if url.startswith("http"):
            assert resolver.lookup(url).contents["type"] == "object"


@pytest.mark.parametrize("path", MANIFESTS)
def test_manifest_is_valid(path: Path) -> None:
    manifest = _load(path)
    assert manifest["_metadata"]["major_version"] == 1
    assert _errors(_v1_validator(), manifest) == []  # precise error paths first
    assert _errors(_validator(), manifest) == []


@pytest.mark.parametrize("path", MANIFESTS)
def test_background_color_is_a_hex_color(path: Path) -> None:
    # The schema states this with the non-standard keyword "regex", which JSON Schema validators ignore.
    assert re.fullmatch(
        r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", _load(path)["display_information"]["background_color"]
    )


def _break(manifest: dict[str, Any], how: str) -> dict[str, Any]:
    broken = copy.deepcopy(manifest)
    if how in ("unknown_key", "all"):
        broken["not_a_manifest_key"] = True
    if how in ("command_without_slash", "all"):
        broken["features"]["slash_commands"][0]["command"] = "talkturo"
    if how in ("long_name", "all"):
        broken["display_information"]["name"] = "T" * 36
    return broken


@pytest.mark.parametrize(
    ("how", "where"),
    [
        ("unknown_key", "<root>"),
        ("command_without_slash", "features/slash_commands/0/command"),
        ("long_name", "display_information/name"),
        ("all", None),
    ],
)
def test_broken_manifest_is_rejected(how: str, where: str | None) -> None:
    broken = _break(_load(HTTP_MANIFEST), how)
    assert not _validator().is_valid(broken)
    errors = _errors(_v1_validator(), broken)
    assert errors, f"the schema accepted a manifest broken by {how}"
    if where is None:
        assert len(errors) == 3, errors
    else:
        assert [e for e in errors if e.startswith(f"{where}: ")] == errors, errors


# --- what the app asks for ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", MANIFESTS)
def test_bot_scopes_are_exactly_what_the_bot_uses(path: Path) -> None:
    oauth = _load(path)["oauth_config"]
    bot = oauth["scopes"]["bot"]
    assert len(bot) == len(set(bot))
    assert set(bot) == BOT_SCOPES
    assert set(oauth["scopes"]) == {"bot"}, "no user scopes, no optional scopes"


@pytest.mark.parametrize("path", MANIFESTS)
def test_bot_events(path: Path) -> None:
    events = _load(path)["settings"]["event_subscriptions"]
    assert sorted(events["bot_events"]) == sorted(BOT_EVENTS)
    assert "user_events" not in events


@pytest.mark.parametrize("path", MANIFESTS)
def test_slash_command(path: Path) -> None:
    command = _command(_load(path))
    assert command["command"] == "/talkturo"
    assert command["description"] == "Manage your Talkturo voice assistants"
    assert command["should_escape"] is True
    words = [part.split()[0] for part in command["usage_hint"].split("|")]
    assert words == SUBCOMMANDS


def test_usage_hint_names_only_real_subcommands() -> None:
    from bot import grammar

    words = [part.split()[0] for part in _command(_load(HTTP_MANIFEST))["usage_hint"].split("|")]
    assert set(words) <= set(grammar.SUBCOMMANDS)


@pytest.mark.parametrize("path", MANIFESTS)
def test_app_home_and_bot_user(path: Path) -> None:
    features = _load(path)["features"]
    assert features["bot_user"] == {"display_name": "talkturo", "always_online": True}
    assert features["app_home"] == {
        "home_tab_enabled": False,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": True,
    }
    assert _load(path)["display_information"]["name"] == "Talkturo"


def test_http_manifest_urls() -> None:
    manifest = _load(HTTP_MANIFEST)
    settings = manifest["settings"]
    urls = [
        _command(manifest)["url"],
        settings["interactivity"]["request_url"],
        settings["interactivity"]["message_menu_options_url"],
        settings["event_subscriptions"]["request_url"],
    ]
    for url in urls:
        assert url.startswith("https://"), url
        assert url.endswith("/slack/events"), url
    assert settings["interactivity"]["is_enabled"] is True
    assert manifest["oauth_config"]["redirect_urls"] == ["https://YOUR-HOST/slack/oauth_redirect"]
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    assert {url.split("/")[2] for url in [*urls, *manifest["oauth_config"]["redirect_urls"]]} == {"YOUR-HOST"}
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_http_manifest_explains_itself() -> None:
    header = HTTP_MANIFEST.read_text(encoding="utf-8").split("_metadata:", 1)[0]
    assert "YOUR-HOST" in header
    assert "python -m bot serve" in header
    assert "manifest.socket.yaml" in header


def test_socket_manifest_has_no_urls() -> None:
    text = SOCKET_MANIFEST.read_text(encoding="utf-8")
    assert "http" not in text.lower()
    manifest = _load(SOCKET_MANIFEST)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"] == {"is_enabled": True}
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "url" not in _command(manifest)
    assert "redirect_urls" not in manifest["oauth_config"]


def _without_urls(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _without_urls(value) for key, value in node.items() if key not in URL_KEYS}
    if isinstance(node, list):
        return [_without_urls(item) for item in node]
    return node


def test_socket_manifest_is_the_same_app() -> None:
    http = _without_urls(_load(HTTP_MANIFEST))
    http["settings"]["socket_mode_enabled"] = True
    assert _load(SOCKET_MANIFEST) == http


# --- Dockerfile -----------------------------------------------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends with a continuation line"
    instructions = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile() -> None:
    instructions = _dockerfile()
    kinds = [kind for kind, _ in instructions]
    assert instructions[0] == ("FROM", "python:3.11-slim")

    users = [args for kind, args in instructions if kind == "USER"]
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert kinds.index("USER") < kinds.index("CMD")

    copies = " ".join(args for kind, args in instructions if kind == "COPY")
    for needed in ("pyproject.toml", "README.md", "bot/"):
        assert needed in copies
    runs = " ".join(args for kind, args in instructions if kind == "RUN")
    assert "pip install --no-cache-dir ." in runs

    env = " ".join(args for kind, args in instructions if kind == "ENV")
    assert "HOST=0.0.0.0" in env.split()
    assert "PORT=3000" in env.split()
    assert ("EXPOSE", "3000") in instructions

    (healthcheck,) = [args for kind, args in instructions if kind == "HEALTHCHECK"]
    assert " CMD " in f" {healthcheck} "
    assert "urllib.request" in healthcheck
    assert re.search(r"http://127\.0\.0\.1:\$\{PORT[^}]*\}/healthz", healthcheck), healthcheck
    assert "curl" not in healthcheck

    cmds = [args for kind, args in instructions if kind == "CMD"]
    assert json.loads(cmds[-1]) == ["python", "-m", "bot", "serve"]
    assert kinds[-1] == "CMD"


def test_healthcheck_command_is_valid_python() -> None:
    (healthcheck,) = [args for kind, args in _dockerfile() if kind == "HEALTHCHECK"]
    argv = shlex.split(healthcheck.split(" CMD ", 1)[1])
    assert argv[:2] == ["python", "-c"]
    compile(argv[2], "<healthcheck>", "exec")


def test_dockerignore() -> None:
    entries = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".git", "bench/results", ".pytest_cache", ".mypy_cache", ".ruff_cache"} <= entries
    for needed in ("pyproject.toml", "README.md", "bot", "bot/"):
        assert needed not in entries
