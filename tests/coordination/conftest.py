"""Who is who in the back-office tests: a coordinator, and the three who must get 404."""

import pytest
from django.test import Client

from tests import factories
from tests.pages.conftest import browser_page, taxonomy  # noqa: F401  (the browser journey)


@pytest.fixture
def coordinator_client(coordinator):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(coordinator)
    return client


@pytest.fixture(params=["anonymous", "staff", "expert"])
def outsider_client(request, db):  # type: ignore[no-untyped-def]
    client = Client()
    if request.param == "staff":
        client.force_login(factories.staff_for(factories.MunicipalityFactory()))
    elif request.param == "expert":
        client.force_login(factories.ExpertProfileFactory().user)
    return client
