"""Bundles: immutable ``tflite_artifacts/<version>/`` directories with a manifest, golden vectors and a validator."""
