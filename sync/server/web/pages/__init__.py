"""The back office's page routers, one module per area (``router`` includes them all)."""
