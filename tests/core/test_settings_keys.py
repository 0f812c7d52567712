"""Settings on disk, and the API key in the environment or the keychain (never a file)."""

from __future__ import annotations

import pytest

from aiml3d_desktop import paths
from aiml3d_desktop.core import settings
from aiml3d_desktop.core.api import keys
from aiml3d_desktop.core.api.params import TriposrParams


def test_settings_round_trip_under_aiml3d_home(isolated):
    conf = settings.Settings(
        api_base="http://127.0.0.1:9",
        output_dir=str(isolated / "models"),
        params=TriposrParams(output_format="obj", mc_resolution=128),
    )
    settings.save(conf)
    assert settings.settings_file() == isolated / "config" / "settings.json"
    loaded, warnings = settings.load()
    assert warnings == [] and loaded == conf
    assert "key" not in settings.settings_file().read_text().lower()


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\x00\x01"])
def test_damaged_settings_fall_back_to_defaults_with_a_warning(isolated, content):
    path = settings.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text(content)
    loaded, warnings = settings.load()
    assert loaded == settings.Settings()
    assert "damaged" in warnings[0] and str(path) in warnings[0]


def test_one_bad_value_falls_back_alone(isolated):
    path = settings.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text('{"max_side": "huge", "params": {"mc_resolution": 5}, "api_base": "https://x"}')
    loaded, warnings = settings.load()
    assert loaded.api_base == "https://x"
    assert loaded.max_side == settings.Settings().max_side
    assert loaded.params == TriposrParams()
    assert len(warnings) == 2
    path.write_text('{"max_side": 20}')  # a number, but no size a picture can be sent at
    loaded, warnings = settings.load()
    assert loaded.max_side == settings.Settings().max_side and "256 to 4096" in warnings[0]


def test_the_model_and_its_values_are_kept_and_checked(isolated):
    from aiml3d_desktop.core.api.models import ModelParams

    conf = settings.Settings()
    conf.remember(ModelParams("meshy/v6/image-to-3d", {"topology": "quad"}).validate())
    settings.save(conf)
    loaded, warnings = settings.load()
    assert warnings == [] and loaded.model == "meshy/meshy-6-image-to-3d"
    assert loaded.model_params().values == {"topology": "quad"}
    assert loaded.model_params("triposr").values == TriposrParams().as_dict()
    path = settings.settings_file()
    path.write_text(
        '{"model": "tencent/hunyuan-part", "model_values": {"magic/image-to-3d": {"x": 1},'
        ' "meshy/meshy-6-image-to-3d": {"target_polycount": 500}, "gone/model": {}}}'
    )
    loaded, warnings = settings.load()
    assert loaded.model == "triposr" and "does not make one" in warnings[0]
    assert loaded.model_values == {"meshy/meshy-6-image-to-3d": {"target_polycount": 500}}
    assert sum("do not fit" in w for w in warnings) == 2


def test_api_base_precedence(monkeypatch):
    conf = settings.Settings(api_base="https://saved")
    assert conf.api_base_for() == "https://saved"
    monkeypatch.setenv("AIML_API_BASE", "https://env")
    assert conf.api_base_for() == "https://env"
    assert conf.api_base_for("https://flag") == "https://flag"


def test_paths_follow_aiml3d_home(isolated):
    assert paths.config_dir() == isolated / "config"
    assert paths.data_dir() == isolated / "data"
    assert paths.log_dir() == isolated / "logs"
    assert settings.Settings().output_path == isolated / "models"


def test_environment_key_wins(memory_keyring, monkeypatch):
    keys.set_key("sk-from-keychain")
    assert keys.get_key() == "sk-from-keychain" and keys.key_source() == "keychain"
    monkeypatch.setenv("AIMLAPI_KEY", "sk-from-env")
    assert keys.get_key() == "sk-from-env" and keys.key_source() == "environment"


def test_key_goes_to_the_keychain_and_nowhere_else(memory_keyring, isolated):
    assert keys.set_key("  sk-secret-1234 \n") == "keychain"
    assert memory_keyring.store == {(keys.SERVICE, keys.ACCOUNT): "sk-secret-1234"}
    written = [p.read_bytes() for p in isolated.rglob("*") if p.is_file()]
    assert not any(b"sk-secret" in data for data in written)
    keys.delete_key()
    assert keys.get_key() is None


def test_no_keychain_keeps_the_key_for_this_session_only(isolated):
    assert keys.get_key() is None and keys.key_source() == "none"
    assert keys.set_key("sk-temp-5678") == "session"
    assert keys.get_key() == "sk-temp-5678" and keys.key_source() == "session"
    assert not any(isolated.rglob("*"))  # nothing written anywhere


def test_mask_shows_only_the_end():
    assert keys.mask("sk-abcdefgh1234") == "••••••••1234"
    assert keys.mask("short") == "••••••••" and keys.mask(None) == "(none)"
