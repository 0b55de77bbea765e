"""Shared fixtures: an API client that speaks JSON with bearer tokens, and user factories."""
