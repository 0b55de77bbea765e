"""Export: .h5 -> TFLite (full-integer int8 with uint8 I/O, float16) with TFLite metadata."""
