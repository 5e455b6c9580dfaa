"""Paired kiosks: pairing, device tokens and keys, scopes, seat allotments."""

from server.devices.keys import register as _register_device_keys

# Device keys join every org keyring (server.signing.service.KEY_SOURCES) as soon as the domain is loaded.
_register_device_keys()
