"""What a kiosk keeps on disk besides its replica: its settings and its credentials, in its data directory.

``<data dir>/settings.json``: what staff chose (occurrences, gate, direction, camera source, decoder, the staff PIN's
hash, "work offline", kiosk lock). ``<data dir>/device.json``: what pairing gave this device (server URL, device id,
the device token) and the device's own Ed25519 private key; written with permissions 0600 and never logged.

The data directory is the user's data dir (``platformdirs``) unless ``--data-dir`` names another (tests, the demo,
two kiosks on one machine). Every write goes to a temporary file that is fsynced and renamed over the old one, so a
power cut leaves either the old file or the new one.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from shared.qrtoken import SigningKey

DEFAULT_DECODER = "zxing-multipass"  # = kiosk.camera.decoders.DEFAULT_DECODER, not imported: this module stays light
SETTINGS_FILE = "settings.json"
CREDENTIALS_FILE = "device.json"
DEFAULT_CAMERA = "camera:0"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("usher-kiosk", "Usher"))


def _write_atomically(path: Path, text: str, *, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)  # the umask may have taken bits away
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# --- the staff PIN -----------------------------------------------------------------------------------------------

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str) -> str:
    """``scrypt$<salt hex>$<hash hex>``: a PIN is short, so it is stretched (scrypt, 16 MiB) and salted."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt_hex), dklen=32, **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


# --- settings ----------------------------------------------------------------------------------------------------


@dataclass
class KioskSettings:
    occurrence_ids: list[str] = field(default_factory=list)
    gate: str = "Main door"
    direction: str = "entry"
    camera_source: str = DEFAULT_CAMERA
    decoder: str = DEFAULT_DECODER
    pin_hash: str | None = None
    work_offline: bool = False
    locked: bool = False  # kiosk lock: full screen, staff tools behind the PIN
    sounds: bool = True
    self_check_in: bool = False  # the guest-facing screen; only the staff PIN leaves it
    printer: str = ""  # "" the system's default printer (else a PDF), "pdf" always a PDF, or a printer's name

    @property
    def occurrences(self) -> frozenset[uuid.UUID]:
        return frozenset(uuid.UUID(i) for i in self.occurrence_ids)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> KioskSettings:
        data = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class Credentials:
    """What pairing gave this device, and its own signing key. ``repr`` shows no secret."""

    server_url: str
    device_id: uuid.UUID
    device_token: str = field(repr=False)
    signing_key: SigningKey = field(repr=False)
    device_name: str = ""
    org_id: uuid.UUID | None = None
    role: str = "door"

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "server_url": self.server_url,
            "device_id": str(self.device_id),
            "device_token": self.device_token,
            "signing_key": base64.b64encode(self.signing_key.private_bytes()).decode(),
            "key_id": self.signing_key.key_id.hex(),
            "device_name": self.device_name,
            "org_id": None if self.org_id is None else str(self.org_id),
            "role": self.role,
        }
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Credentials:
        data = json.loads(text)
        key = SigningKey.from_private_bytes(base64.b64decode(data["signing_key"]), key_id=bytes.fromhex(data["key_id"]))
        return cls(
            server_url=data["server_url"],
            device_id=uuid.UUID(data["device_id"]),
            device_token=data["device_token"],
            signing_key=key,
            device_name=data.get("device_name", ""),
            org_id=uuid.UUID(data["org_id"]) if data.get("org_id") else None,
            role=data.get("role", "door"),
        )


class DataDir:
    """The kiosk's files in one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def replica_path(self) -> Path:
        return self.root / "replica.sqlite3"

    @property
    def sounds_dir(self) -> Path:
        return self.root / "sounds"

    def load_settings(self) -> KioskSettings:
        path = self.root / SETTINGS_FILE
        if not path.exists():
            return KioskSettings()
        return KioskSettings.from_json(path.read_text(encoding="utf-8"))

    def save_settings(self, settings: KioskSettings) -> None:
        _write_atomically(self.root / SETTINGS_FILE, settings.to_json())

    def load_credentials(self) -> Credentials | None:
        path = self.root / CREDENTIALS_FILE
        if not path.exists():
            return None
        return Credentials.from_json(path.read_text(encoding="utf-8"))

    def save_credentials(self, credentials: Credentials) -> None:
        _write_atomically(self.root / CREDENTIALS_FILE, credentials.to_json(), mode=0o600)

    def forget_device(self) -> None:
        """After a wipe: the credentials go, and the choices tied to the old scope (the PIN and hardware stay)."""
        with contextlib.suppress(FileNotFoundError):
            (self.root / CREDENTIALS_FILE).unlink()
        settings = self.load_settings()
        settings.occurrence_ids = []
        settings.work_offline = False
        self.save_settings(settings)
