"""TFLite metadata (tflite-support metadata writers): name, description, version, author, licence,
input normalisation and the labels file; plus a reader used by tests and the validator."""

from __future__ import annotations

import json
from pathlib import Path

from lesion_contract.labels import LABELS


def write_metadata(
    model: bytes,
    *,
    name: str,
    description: str,
    version: str,
    author: str,
    licence: str,
    labels_path: Path,
) -> bytes:
    """Return ``model`` with metadata populated and ``labels.txt`` packed as an associated file.

    Normalisation is recorded as mean 0 / std 1: the model takes raw RGB 0..255 and normalises
    inside (a frozen 1x1 depthwise convolution; a Rescaling layer up to r18), so a TFLite Task-library client must not rescale.
    """
    from tensorflow_lite_support.metadata import metadata_schema_py_generated as fb
    from tensorflow_lite_support.metadata.python.metadata_writers import image_classifier, metadata_info, writer_utils

    buffer = bytearray(model)
    general = metadata_info.GeneralMd(name=name, version=version, description=description, author=author, licenses=licence)
    input_md = metadata_info.InputImageTensorMd(
        name="image",
        description="RGB image, centre-cropped to a square and resized (see manifest input.preprocessing); "
        "pixel values 0..255, normalised inside the model.",
        norm_mean=[0.0],
        norm_std=[1.0],
        color_space_type=fb.ColorSpaceType.RGB,
        tensor_type=writer_utils.get_input_tensor_types(buffer)[0],
    )
    names, types = writer_utils.get_output_tensor_names(buffer), writer_utils.get_output_tensor_types(buffer)
    probs_at = _probabilities_output(model) if len(names) > 1 else 0
    output_md = metadata_info.ClassificationTensorMd(
        name="probability",
        description=f"Probabilities of the {len(LABELS)} classes, in labels.txt order. Screening aid only.",
        label_files=[metadata_info.LabelFileMd(file_path=str(labels_path))],
        tensor_type=types[probs_at],
        tensor_name=names[probs_at],
    )
    if len(names) == 1:
        writer = image_classifier.MetadataWriter.create_from_metadata_info(buffer, general_md=general, input_md=input_md, output_md=output_md)
        return bytes(writer.populate())
    # the "cannot assess" rule's second output (manifest.ood): whitened pooled features, told apart by length
    from tensorflow_lite_support.metadata.python.metadata_writers import metadata_writer

    features_md = [
        metadata_info.TensorMd(
            name="ood_features",
            description="Whitened pooled features for the bundle's cannot-assess rule (manifest.ood); not class scores.",
            tensor_name=name,
        )
        for i, name in enumerate(names)
        if i != probs_at
    ]
    writer = metadata_writer.MetadataWriter.create_from_metadata_info(
        buffer, general_md=general, input_md=[input_md], output_md=[output_md, *features_md], associated_files=[str(labels_path)]
    )
    return bytes(writer.populate())


def _probabilities_output(model: bytes) -> int:
    """Index of the output with one value per label (the converter does not keep the Keras output order)."""
    from ai_edge_litert.interpreter import Interpreter

    outputs = Interpreter(model_content=bytes(model)).get_output_details()
    found = [i for i, o in enumerate(outputs) if int(o["shape"][-1]) == len(LABELS)]
    if len(found) != 1:
        raise ValueError(f"expected exactly one output of {len(LABELS)} values, got shapes {[list(o['shape']) for o in outputs]}")
    return found[0]


def read_metadata(model_path: Path) -> dict:
    """Read back the metadata: general fields, normalisation, and the packed labels file."""
    from tensorflow_lite_support.metadata.python import metadata as md

    displayer = md.MetadataDisplayer.with_model_file(str(model_path))
    meta = json.loads(displayer.get_metadata_json())
    files = displayer.get_packed_associated_file_list()
    labels: list[str] = []
    if "labels.txt" in files:
        labels = displayer.get_associated_file_buffer("labels.txt").decode("utf-8").split()
    subgraph = meta["subgraph_metadata"][0]
    input_meta = subgraph["input_tensor_metadata"][0]
    norm = {}
    for unit in input_meta.get("process_units", []):
        if unit.get("options_type") == "NormalizationOptions":
            norm = unit["options"]
    return {
        "name": meta.get("name"),
        "description": meta.get("description"),
        "version": meta.get("version"),
        "author": meta.get("author"),
        "license": meta.get("license"),
        "normalization": {"mean": norm.get("mean"), "std": norm.get("std")},
        "labels": labels,
        "associated_files": files,
    }


def write_labels(path: Path) -> Path:
    path.write_text("\n".join(LABELS) + "\n")
    return path
