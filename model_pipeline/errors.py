"""Error types raised by the pipeline; the CLI turns them into one-line messages."""

from __future__ import annotations

from lesion_contract.manifest import BundleError as ContractBundleError


class PipelineError(Exception):
    """Base class for errors a user can act on (bad data, bad config, bad bundle)."""


class DatasetError(PipelineError):
    """The dataset on disk is unusable; the message names the file and row."""


class ConfigError(PipelineError):
    """A configuration value is invalid."""


class BundleError(PipelineError, ContractBundleError):
    """A bundle is missing, malformed, or does not match its manifest (also the contract's BundleError)."""
