# The two commands in README.md. Each sets itself up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

PACKAGE_STAMP := $(VENV)/.package-stamp
DIST := build/dist

.PHONY: demo test lint typecheck check clean package package-smoke

$(STAMP): pyproject.toml
	@scripts/system-deps.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[server,kiosk,dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/usher demo

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The kiosk as a one-folder app (PyInstaller), and a smoke run of it offscreen (CI runs both).
$(PACKAGE_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[server,kiosk,dev,package]'
	@touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(VENV)/bin/pyinstaller packaging/usher-kiosk.spec --noconfirm --log-level WARN \
		--distpath $(DIST) --workpath build/pyinstaller

package-smoke: package
	scripts/package-smoke.sh $(DIST)/usher-kiosk/usher-kiosk

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build
