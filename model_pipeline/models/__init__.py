"""Model architectures (registry) and the averaging ensemble."""
