"""The embedding model's own safetensors reader: the same weights as the safetensors package, read a piece at a time."""

from __future__ import annotations

import zipfile

import numpy as np
import safetensors.numpy

from desktop_chat.core.semantic import model


def test_the_archive_reads_to_the_same_weights_as_safetensors() -> None:
    with zipfile.ZipFile(model.model_archive()) as bundle:
        expected = safetensors.numpy.load(bundle.read("model.safetensors"))
        read = model._tensors(model._read_member(bundle, "model.safetensors"))
        tokenizer = model._read_member(bundle, "tokenizer.json").tobytes()
        assert tokenizer == bundle.read("tokenizer.json")
    assert read.keys() == expected.keys()
    for name, array in expected.items():
        assert read[name].dtype == array.dtype and read[name].shape == array.shape, name
        assert np.array_equal(read[name], array), name
        assert read[name].flags.owndata, f"{name}: a copy, not a view keeping the whole file's buffer alive"
