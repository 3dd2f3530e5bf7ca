"""The connector asks a till its API version before anything else, refuses one it does not know
(fatal, naming the version), and fills in the fields older services need on products, as Mplus's
own client does (see `protocol`)."""

from __future__ import annotations

import pytest

from connectors.mpluskassa.protocol import OLD_SERVICE_DEFAULTS
from engine.errors import FatalConnectorError
from engine.records import Entity, Money, Product, Variant
from tests.connectors.mpluskassa.conftest import RunningTill

MUG = Product(sku="2000", title="Mug", variants=(Variant(sku="2001", price=Money.model_validate("12.50 EUR")),))


def test_the_api_version_is_asked_once_before_anything_else(till: RunningTill) -> None:
    client = till.client()
    client.read(Entity.category)
    client.write(Entity.product, [MUG])
    assert till.sandbox.calls[0] == "getApiVersion" and till.sandbox.calls.count("getApiVersion") == 1


@pytest.mark.parametrize("major, minor, revision", [(1, 0, 0), (0, 9, 9), (0, 12, 3)])
def test_the_versions_mplus_own_client_speaks_are_taken(till: RunningTill, major: int, minor: int,
                                                        revision: int) -> None:  # fmt: skip
    till.sandbox.till.api_version.update(majorNumber=major, minorNumber=minor, revisionNumber=revision)
    assert till.client().read(Entity.category) != []


@pytest.mark.parametrize("major, minor, revision", [(2, 0, 0), (1, 1, 0), (1, 0, 1), (0, 9, 8)])
def test_an_unknown_api_version_is_fatal_and_named(till: RunningTill, major: int, minor: int, revision: int) -> None:
    till.sandbox.till.api_version.update(majorNumber=major, minorNumber=minor, revisionNumber=revision)
    with pytest.raises(FatalConnectorError) as caught:
        till.client().write(Entity.product, [MUG])
    assert str(caught.value) == (f"MplusKASSA API version {major}.{minor}.{revision} is not one Tillsync knows: it "
                                 "speaks 0.9.9 to 1.0.0, as Mplus's own client does")  # fmt: skip
    assert till.sandbox.calls == ["getApiVersion"] and till.sandbox.till.products == {}


@pytest.mark.parametrize("service, filled", [((4, 0, 0), False), ((3, 9, 2), True), (None, True)])
def test_products_for_an_older_service_get_the_fields_it_needs(till: RunningTill, service: tuple[int, int, int] | None,
                                                               filled: bool) -> None:  # fmt: skip
    version = till.sandbox.till.api_version
    for name in ("serviceMajorNumber", "serviceMinorNumber", "serviceRevisionNumber"):
        version.pop(name)
    if service is not None:
        version.update(zip(("serviceMajorNumber", "serviceMinorNumber", "serviceRevisionNumber"), service, strict=True))
    client = till.client()
    client.write(Entity.product, [MUG])
    client.write(Entity.product, [MUG.model_copy(update={"title": "Big mug"})])  # updateProduct too
    product = till.sandbox.till.products[2000]
    [article] = product["articleList"]
    assert product["description"] == "Big mug"
    assert (product.get("extraText") == "" and product.get("sortOrderGroupList") == []) is filled
    assert all(article.get(k) == v for k, v in OLD_SERVICE_DEFAULTS["article"].items()) is filled
    assert article["priceIncl"] == 1250, "a field the product has is kept"
