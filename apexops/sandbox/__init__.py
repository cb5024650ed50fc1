"""The sandbox: a local stand-in of production made of real processes (the default target).

One folder (``settings.sandbox_home()``) holds everything: the control-plane state, the telemetry store,
the database (SQLite by default), Azurite's data (the Blob Storage emulator), the identity key and the image
catalogue. One background process, the daemon (`apexops.sandbox.daemon`), runs the container-app control
plane, the replicas of the APEX reference service, the weighted ingress and the telemetry writer, and owns
the Azurite process. Everything else (the CLI, notebooks,
the adapters behind `apexops.connect("local")`) talks to the daemon over a loopback control API.

    from apexops.sandbox import lifecycle
    lifecycle.up(settings)       # idempotent; seeds the baseline release on first use
    lifecycle.down(settings)     # stops the daemon and every replica

This package's ``__init__`` stays import-free so ``import apexops`` and replica start-up stay fast.
"""
