# Two commands do all the set-up on a fresh Debian 12 machine: `make demo` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: bootstrap demo test bench fuzz clean

bootstrap:
	@scripts/bootstrap.sh

# With a display: the kiosk window plus a dev dock driving simulated devices.
# Without one: the same app under Xvfb, walked through by the autopilot; results in demo-out/.
demo: bootstrap
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
		.venv/bin/kiosk demo; \
	else \
		xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/kiosk demo --autopilot; \
	fi

test: bootstrap
	$(PY) -m hall.catalog_check config/catalog
	$(PY) -m pytest -q

bench: bootstrap
	@for b in tests/bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# 10^6 fuzz inputs over every input parser (issue #12; a few thousand per target run in `make test`).
fuzz: bootstrap
	$(PY) tests/bench/bench_fuzz.py

# The long crash and outage soak: 200 SIGKILLs of the kiosk process, 50 hall outages (docs/reliability.md).
soak: bootstrap
	$(PY) tests/bench/bench_outbox_soak.py

# The kiosk process's memory over a day in a busy hall: 500 visits as deployed (about an hour; docs/memory.md).
memory: bootstrap
	BENCH_VISITS=500 $(PY) tests/bench/bench_kiosk_memory.py

clean:
	rm -rf demo-out test-out var .pytest_cache
