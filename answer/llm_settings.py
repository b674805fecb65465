"""Where the optional LLM backend lives: `QBANK_LLM_*` variables or an `[llm]` table in a TOML file.

Nothing configured (or QBANK_LLM_PROVIDER=off) means no LLM: `LLMSettings.from_env()` returns None
and qbank answers offline.
Variables win over the file; the file is `QBANK_CONFIG` if set, else `qbank.toml` in the working
directory. Example `qbank.toml`:

    [llm]
    provider = "openai"                   # any OpenAI-compatible server: llama.cpp, vLLM, LM Studio, Ollama /v1
    base_url = "http://127.0.0.1:8080/v1"
    model = "local"
    timeout = 20                          # seconds; also the wait for the first token
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

Provider = Literal["openai", "ollama"]
PROVIDERS: tuple[Provider, ...] = ("openai", "ollama")
DEFAULT_BASE_URL: dict[str, str] = {"openai": "http://127.0.0.1:8080/v1", "ollama": "http://127.0.0.1:11434"}
DEFAULT_OPENAI_MODEL = "local"  # llama.cpp's and LM Studio's servers answer with their one loaded model
CONFIG_FILE = "qbank.toml"
DISABLED = frozenset({"off", "none", "offline"})  # QBANK_LLM_PROVIDER=off overrides a configured [llm]

# Environment variable → settings field.
ENV_FIELDS: dict[str, str] = {
    "QBANK_LLM_PROVIDER": "provider",
    "QBANK_LLM_BASE_URL": "base_url",
    "QBANK_LLM_MODEL": "model",
    "QBANK_LLM_API_KEY": "api_key",
    "QBANK_LLM_TIMEOUT": "timeout_s",
    "QBANK_LLM_FIRST_TOKEN_TIMEOUT": "first_token_timeout_s",
    "QBANK_LLM_DEADLINE": "deadline_s",
    "QBANK_LLM_MAX_CONTEXT_TOKENS": "max_context_tokens",
    "QBANK_LLM_MAX_TOKENS": "max_tokens",
    "QBANK_LLM_TEMPERATURE": "temperature",
    "QBANK_LLM_UNSUPPORTED": "unsupported",
}
# Short names accepted in the TOML table besides the field names.
FILE_ALIASES = {"timeout": "timeout_s", "first_token_timeout": "first_token_timeout_s", "deadline": "deadline_s"}


class LLMConfigError(ValueError):
    """The LLM configuration is present but unusable (bad provider, number, or missing model)."""


@dataclass(frozen=True, kw_only=True)
class LLMSettings:
    provider: Provider = "openai"
    base_url: str
    model: str
    api_key: str = field(default="not-needed", repr=False)  # a secret: kept out of reprs, logs and tracebacks
    timeout_s: float = 20  # longest wait for the next chunk (and, by default, for the first token)
    max_context_tokens: int = 1500  # tiktoken budget for the numbered sources
    temperature: float = 0.1
    # Added beyond the agreed contract (all defaulted):
    first_token_timeout_s: float | None = None  # None: timeout_s
    deadline_s: float | None = None  # whole answer, first byte to last; None: 3 × timeout_s
    max_tokens: int = 400  # generation cap
    unsupported: Literal["drop", "flag"] = "drop"  # what happens to sentences no cited entry supports

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise LLMConfigError(f"unknown LLM provider {self.provider!r}; use one of {', '.join(PROVIDERS)}")
        if self.unsupported not in ("drop", "flag"):
            raise LLMConfigError(f"unsupported must be 'drop' or 'flag', not {self.unsupported!r}")
        if not self.base_url or not self.model:
            raise LLMConfigError("an LLM needs a base_url and a model")
        if self.timeout_s <= 0 or self.max_context_tokens <= 0 or self.max_tokens <= 0:
            raise LLMConfigError("timeouts and token budgets must be positive")

    @property
    def first_token_timeout(self) -> float:
        return self.first_token_timeout_s if self.first_token_timeout_s is not None else self.timeout_s

    @property
    def deadline(self) -> float:
        return self.deadline_s if self.deadline_s is not None else 3 * self.timeout_s

    @property
    def backend_name(self) -> str:
        """What `Answer.composer` says for answers from this backend, e.g. "openai:local"."""
        return f"{self.provider}:{self.model}"

    @classmethod
    def from_env(
        cls, config_path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
    ) -> LLMSettings | None:
        """Settings from the config file overlaid with `QBANK_LLM_*` variables; None when neither says anything."""
        env = os.environ if environ is None else environ
        values = _file_values(_config_file(config_path, env))
        values.update({name: env[var] for var, name in ENV_FIELDS.items() if env.get(var, "").strip()})
        if not values or str(values.get("provider", "")).strip().lower() in DISABLED:
            return None
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> LLMSettings:
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, raw in values.items():
            name = FILE_ALIASES.get(key, key)
            if name not in known:
                raise LLMConfigError(f"unknown LLM setting {key!r}")
            kwargs[name] = _coerce(name, raw)
        provider = str(kwargs.setdefault("provider", "openai")).strip().lower()
        kwargs["provider"] = provider
        if provider not in PROVIDERS:
            raise LLMConfigError(f"unknown LLM provider {provider!r}; use one of {', '.join(PROVIDERS)}")
        kwargs.setdefault("base_url", DEFAULT_BASE_URL.get(provider, ""))
        if provider == "openai":
            kwargs.setdefault("model", DEFAULT_OPENAI_MODEL)
        elif "model" not in kwargs:
            raise LLMConfigError("QBANK_LLM_MODEL (or model in [llm]) is required for Ollama, e.g. smollm2:135m")
        return cls(**kwargs)


_FLOATS = {"timeout_s", "first_token_timeout_s", "deadline_s", "temperature"}
_INTS = {"max_context_tokens", "max_tokens"}
# Accepted ranges, (low, high], so that inf, nan, negatives and zero are refused with the range.
MAX_SECONDS = 86_400.0
_RANGES: dict[str, tuple[float, float, str]] = {
    "timeout_s": (0.0, MAX_SECONDS, "seconds"),
    "first_token_timeout_s": (0.0, MAX_SECONDS, "seconds"),
    "deadline_s": (0.0, MAX_SECONDS, "seconds"),
    "max_context_tokens": (0, 1_000_000, "tokens"),
    "max_tokens": (0, 1_000_000, "tokens"),
}
_ENV_OF = {name: var for var, name in ENV_FIELDS.items()}


def _coerce(name: str, raw: Any) -> Any:
    label = f"{name} ({_ENV_OF[name]})" if name in _ENV_OF else name
    if name not in _FLOATS | _INTS:
        return str(raw).strip()
    try:
        value: float = float(raw) if name in _FLOATS else int(raw)
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if name == "temperature":
        low, high, unit, ok = 0.0, 2.0, "", math.isfinite(value) and 0.0 <= value <= 2.0
    else:
        low, high, unit = _RANGES[name]
        ok = math.isfinite(value) and low < value <= high
    if not ok:
        if name == "temperature":
            accepted = f"a number from {low:g} to {high:g}"
        else:
            kind = "number" if name in _FLOATS else "whole number"
            accepted = f"a {kind} of {unit}, positive and at most {high:,g}"
        raise LLMConfigError(f"LLM setting {label} must be {accepted}, not {raw!r}")
    return value


def _config_file(config_path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    if config_path is not None:
        return Path(config_path)
    if env.get("QBANK_CONFIG", "").strip():
        return Path(env["QBANK_CONFIG"])
    local = Path.cwd() / CONFIG_FILE
    return local if local.is_file() else None


def _file_values(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LLMConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise LLMConfigError(f"config file {path} is not valid TOML: {exc}") from None
    table = data.get("llm", {})
    if not isinstance(table, dict):
        raise LLMConfigError(f"[llm] in {path} must be a table")
    return dict(table)


def browser_settings(
    configured: LLMSettings | None,
    *,
    provider: str,
    base_url: str,
    model: str,
    api_key: str = "",
    timeout_s: float | None = None,
) -> LLMSettings:
    """Settings edited in the app's sidebar, on top of the server's configured ones (budgets, deadlines…).

    The configured API key is a server-side secret: it is never shown in the browser, and it is sent
    only to the configured backend (same provider and base URL). A base URL typed in the browser
    gets only a key typed in the browser — otherwise anyone could point the server at their own
    host and read the key from the Authorization header.
    """
    values = {f.name: getattr(configured, f.name) for f in fields(configured)} if configured else {}
    values = {name: value for name, value in values.items() if value is not None}  # None: the default
    base_url = base_url.strip()
    same_backend = (
        configured is not None and configured.provider == provider and _same_url(configured.base_url, base_url)
    )
    if not same_backend:
        values.pop("api_key", None)
    values.update(provider=provider, base_url=base_url, model=model.strip())
    if timeout_s is not None:
        values["timeout_s"] = timeout_s
    if api_key.strip():
        values["api_key"] = api_key.strip()
    return LLMSettings.from_mapping(values)


def _same_url(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()
