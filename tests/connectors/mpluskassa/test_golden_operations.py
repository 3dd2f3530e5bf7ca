"""Every operation in `schema` against its recorded request and answer (`golden_cases`): the encoder
writes the recorded request from its parts (element names and order), the sandbox's strict reader
reads it back as those parts (types: `12` is not `"12"`), and the decoder reads the recorded answer
as its data. A renamed, reordered or retyped element fails here, whatever the sandbox does."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.mpluskassa import soap
from connectors.mpluskassa.schema import OPERATIONS
from tests.connectors.mpluskassa.golden_cases import CASES
from tests.connectors.mpluskassa.test_golden import tree

FIXTURES = Path(__file__).parents[2] / "fixtures" / "mpluskassa"


def test_every_operation_has_a_recorded_request_and_answer() -> None:
    assert sorted({name.split(".")[0] for name in CASES}) == sorted(OPERATIONS)
    recorded = {path.name.rsplit(".", 2)[0] for path in FIXTURES.glob("*.xml")}
    assert recorded == set(CASES), "every recorded pair has its case, and every case its recorded pair"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_request_is_written_and_read_as_recorded(name: str) -> None:
    operation, (parts, _) = name.split(".")[0], CASES[name]
    recorded = (FIXTURES / f"{name}.request.xml").read_bytes()
    assert tree(soap.request_envelope(operation, parts)) == tree(recorded)
    assert soap.read_request(recorded) == (operation, parts)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_answer_is_read_as_recorded(name: str) -> None:
    operation, (_, answer) = name.split(".")[0], CASES[name]
    assert soap.read_answer(operation, (FIXTURES / f"{name}.answer.xml").read_bytes()) == answer
