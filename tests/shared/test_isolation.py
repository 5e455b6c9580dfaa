"""shared/ must stay importable without the server's or the kiosk's frameworks."""

import subprocess
import sys


def test_shared_imports_no_framework_modules() -> None:
    probe = (
        "import importlib, pkgutil, sys, shared\n"
        "for info in pkgutil.walk_packages(shared.__path__, 'shared.'):\n"
        "    importlib.import_module(info.name)\n"
        "banned = ('fastapi', 'starlette', 'sqlalchemy', 'PySide6', 'cv2', 'httpx', 'uvicorn')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in banned)\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"shared pulled in: {result.stdout.strip()}"
