"""The composition root of the terminal program: builds the ports from kiosk.toml (drivers,
the hall client, the outbox), the controller and the Kivy UI, and the commands around them
(`kiosk run|demo|doctor|device`, the soak runner, the dev dock). The core it wires, kiosk/,
imports none of this (tests/unit/test_structure.py); docs/decisions.md has why it is apart."""
