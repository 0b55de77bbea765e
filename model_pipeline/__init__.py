"""Skin-lesion model pipeline: HAM10000 -> CNN ensemble (.h5) -> quantised TFLite bundle."""

__version__ = "0.1.0"
