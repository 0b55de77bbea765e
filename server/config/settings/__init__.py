"""Settings: `base` reads the environment; `test` is for pytest."""
