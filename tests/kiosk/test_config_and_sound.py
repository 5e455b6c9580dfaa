"""What the kiosk keeps on disk besides its replica, and how it sounds."""

from __future__ import annotations

import uuid
import wave
from pathlib import Path

from kiosk.camera.decoders import DEFAULT_DECODER
from kiosk.checkin.wording import Tone
from kiosk.config import DEFAULT_DECODER as SETTINGS_DEFAULT_DECODER
from kiosk.config import Credentials, DataDir, KioskSettings, check_pin, hash_pin
from kiosk.sound import SystemSoundPlayer, render_wav
from shared.qrtoken import SigningKey


def test_credentials_survive_a_restart_and_the_file_is_private(tmp_path: Path) -> None:
    key = SigningKey.generate()
    credentials = Credentials("https://usher.example", uuid.uuid4(), "usherdev_secret", key, "Door 1")
    data_dir = DataDir(tmp_path)
    data_dir.save_credentials(credentials)
    loaded = data_dir.load_credentials()
    assert loaded is not None
    assert (loaded.device_id, loaded.device_token, loaded.device_name) == (
        credentials.device_id,
        "usherdev_secret",
        "Door 1",
    )
    assert loaded.signing_key.private_bytes() == key.private_bytes()
    assert (tmp_path / "device.json").stat().st_mode & 0o777 == 0o600
    assert "usherdev_secret" not in repr(loaded)


def test_forgetting_the_device_keeps_the_hardware_settings(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path)
    data_dir.save_credentials(Credentials("https://u.example", uuid.uuid4(), "t", SigningKey.generate()))
    data_dir.save_settings(
        KioskSettings(occurrence_ids=[uuid.uuid4().hex], camera_source="camera:1", work_offline=True)
    )
    data_dir.forget_device()
    assert data_dir.load_credentials() is None
    settings = data_dir.load_settings()
    assert (settings.occurrence_ids, settings.camera_source, settings.work_offline) == ([], "camera:1", False)


def test_a_pin_is_salted_and_stretched(tmp_path: Path) -> None:
    first, second = hash_pin("2468"), hash_pin("2468")
    assert first != second
    assert check_pin("2468", first)
    assert not check_pin("2467", first)
    assert not check_pin("2468", None)
    assert not check_pin("2468", "garbage")


def test_the_settings_default_decoder_is_the_cameras(tmp_path: Path) -> None:
    assert SETTINGS_DEFAULT_DECODER == DEFAULT_DECODER
    assert KioskSettings().decoder == DEFAULT_DECODER


def test_each_verdict_has_its_own_sound(tmp_path: Path) -> None:
    lengths = {}
    for tone in Tone:
        with wave.open(str(render_wav(tone, tmp_path / f"{tone}.wav"))) as sound:
            lengths[tone] = sound.getnframes()
    assert len(set(lengths.values())) == 3


def test_sounds_play_through_a_system_player_or_fall_back_to_a_beep(tmp_path: Path) -> None:
    spawned: list[list[str]] = []
    beeps: list[None] = []
    player = SystemSoundPlayer(
        tmp_path,
        beep=lambda: beeps.append(None),
        which=lambda name: "/usr/bin/aplay" if name == "aplay" else None,
        spawn=spawned.append,
    )
    player.play(Tone.GREEN)
    assert spawned == [["aplay", "-q", str(tmp_path / "green.wav")]]
    assert (tmp_path / "green.wav").exists()
    silent = SystemSoundPlayer(tmp_path, beep=lambda: beeps.append(None), which=lambda _name: None)
    silent.play(Tone.RED)
    assert len(beeps) == 1
