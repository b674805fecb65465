"""LLM configuration: QBANK_LLM_* variables over an [llm] table in qbank.toml; nothing set means no LLM."""

from __future__ import annotations

import pytest

from answer.llm_composer import LLMSettings as ReExported
from answer.llm_settings import LLMConfigError, LLMSettings


def test_nothing_configured_means_no_llm(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert LLMSettings.from_env(environ={}) is None


def test_variables_configure_an_openai_compatible_backend(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {
        "QBANK_LLM_BASE_URL": "http://127.0.0.1:8080/v1",
        "QBANK_LLM_MODEL": "smollm2",
        "QBANK_LLM_API_KEY": "sk-test",
        "QBANK_LLM_TIMEOUT": "7.5",
    }
    settings = LLMSettings.from_env(environ=env)
    assert settings == LLMSettings(
        provider="openai", base_url="http://127.0.0.1:8080/v1", model="smollm2", api_key="sk-test", timeout_s=7.5
    )
    assert settings.first_token_timeout == 7.5
    assert settings.deadline == 22.5
    assert settings.backend_name == "openai:smollm2"
    assert ReExported is LLMSettings


def test_defaults_fill_in_per_provider(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    openai = LLMSettings.from_env(environ={"QBANK_LLM_PROVIDER": "openai"})
    assert (openai.base_url, openai.model, openai.api_key) == ("http://127.0.0.1:8080/v1", "local", "not-needed")
    assert (openai.timeout_s, openai.max_context_tokens, openai.temperature) == (20, 1500, 0.1)
    ollama = LLMSettings.from_env(environ={"QBANK_LLM_PROVIDER": "Ollama", "QBANK_LLM_MODEL": "smollm2:135m"})
    assert (ollama.provider, ollama.base_url) == ("ollama", "http://127.0.0.1:11434")
    with pytest.raises(LLMConfigError, match="required for Ollama"):
        LLMSettings.from_env(environ={"QBANK_LLM_PROVIDER": "ollama"})


def test_config_file_and_variables_overriding_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "qbank.toml").write_text(
        '[llm]\nprovider = "ollama"\nmodel = "smollm2:135m"\ntimeout = 5\nmax_context_tokens = 900\n'
        'unsupported = "flag"\n\n[other]\nx = 1\n'
    )
    from_file = LLMSettings.from_env(environ={})
    assert from_file.provider == "ollama" and from_file.timeout_s == 5 and from_file.max_context_tokens == 900
    assert from_file.unsupported == "flag"
    overridden = LLMSettings.from_env(environ={"QBANK_LLM_MODEL": "qwen2.5:0.5b", "QBANK_LLM_TIMEOUT": "3"})
    assert overridden.model == "qwen2.5:0.5b" and overridden.timeout_s == 3 and overridden.provider == "ollama"
    assert LLMSettings.from_env(environ={"QBANK_LLM_PROVIDER": "off"}) is None


def test_qbank_config_and_explicit_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "elsewhere.toml"
    config.write_text('[llm]\nbase_url = "http://127.0.0.1:1234/v1"\nmodel = "lmstudio"\n')
    assert LLMSettings.from_env(environ={"QBANK_CONFIG": str(config)}).model == "lmstudio"
    assert LLMSettings.from_env(config_path=config, environ={}).base_url == "http://127.0.0.1:1234/v1"
    with pytest.raises(LLMConfigError, match="does not exist"):
        LLMSettings.from_env(config_path=tmp_path / "missing.toml", environ={})


def test_a_file_without_an_llm_table_configures_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "qbank.toml").write_text("[ui]\nport = 8501\n")
    assert LLMSettings.from_env(environ={}) is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"QBANK_LLM_PROVIDER": "anthropic"}, "unknown LLM provider"),
        ({"QBANK_LLM_MODEL": "m", "QBANK_LLM_TIMEOUT": "soon"}, "must be a number"),
        ({"QBANK_LLM_MODEL": "m", "QBANK_LLM_TIMEOUT": "0"}, "positive"),
        ({"QBANK_LLM_MODEL": "m", "QBANK_LLM_UNSUPPORTED": "keep"}, "drop"),
    ],
)
def test_bad_configuration_is_reported(tmp_path, monkeypatch, env, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LLMConfigError, match=message):
        LLMSettings.from_env(environ=env)


def test_bad_toml_is_reported(tmp_path):
    config = tmp_path / "qbank.toml"
    config.write_text("[llm\nmodel = ")
    with pytest.raises(LLMConfigError, match="not valid TOML"):
        LLMSettings.from_env(config_path=config, environ={})
    config.write_text('[llm]\nmodle = "typo"\n')
    with pytest.raises(LLMConfigError, match="unknown LLM setting 'modle'"):
        LLMSettings.from_env(config_path=config, environ={})
