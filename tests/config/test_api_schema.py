"""The OpenAPI schema says what the service does: who may call, the error answers, the shapes
the consult, library and experts operations return (config/schema.py)."""

from __future__ import annotations

import json

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from library.models import Resource
from tests import factories
from tests.conftest import client_for

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    # JSON round trip: lazy translations and the like become plain values, as served.
    return json.loads(json.dumps(generated, default=str))


def _operations(schema: dict, prefixes: tuple[str, ...] = ("/api/v1/",)):  # type: ignore[no-untyped-def]
    for path, item in schema["paths"].items():
        if path.startswith(prefixes):
            for method in METHODS:
                if method in item:
                    yield path, method, item[method]


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_the_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_every_error_answer_has_the_one_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code", "fields"}
    for path, method, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")) and "application/json" in response.get("content", {}):
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/Error"}, (path, method, status)


OURS = ("/api/v1/plans/", "/api/v1/requests/", "/api/v1/municipalities/", "/api/v1/topics/")
OURS += ("/api/v1/resources/", "/api/v1/experts/", "/api/v1/assignments/")


def test_consult_library_and_experts_operations_document_401_404_409(schema):
    for path, method, operation in _operations(schema, OURS):
        statuses = set(operation["responses"])
        assert "401" in statuses, (path, method)  # every one takes a token, and a bad one is 401
        if "{" in path:
            assert "404" in statuses, (path, method)
        if method != "get":
            assert "409" in statuses, (path, method)
            assert "Retry-After" in operation["responses"]["409"]["headers"]


def test_throttled_operations_document_429_with_retry_after(schema):
    throttled = [
        operation
        for _path, _method, operation in _operations(schema)
        if "429" in operation["responses"]
    ]
    assert throttled  # event registration, membership application, the login token, …
    for operation in throttled:
        assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_the_expert_directory_is_public_and_editing_is_not(schema):
    experts = schema["paths"]["/api/v1/experts/"]
    assert {} in experts["get"]["security"]
    assert {} in schema["paths"]["/api/v1/experts/{id}/"]["get"]["security"]
    assert {} not in experts["post"]["security"]
    assert {} not in schema["paths"]["/api/v1/experts/{id}/"]["patch"]["security"]
    assert {} not in schema["paths"]["/api/v1/plans/"]["get"]["security"]


@pytest.mark.django_db
def test_the_expert_directory_answers_without_login():
    factories.ExpertProfileFactory()
    response = APIClient().get("/api/v1/experts/")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_the_peers_answer_is_documented_as_count_and_results_without_pages(schema):
    operation = schema["paths"]["/api/v1/plans/{id}/peers/"]["get"]
    body = _resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(body["required"]) == {"count", "results"}
    assert set(body["properties"]) == {"count", "results"}
    assert {p["name"] for p in operation.get("parameters", [])} == {"id"}


@pytest.mark.django_db
def test_the_peers_answer_counts_its_results(staff_user, municipality):
    plan = factories.PlanFactory(municipality=municipality)
    for _ in range(3):
        factories.PlanFactory(municipality=factories.MunicipalityFactory(open_to_exchange=True))
    body = client_for(staff_user).get(f"/api/v1/plans/{plan.pk}/peers/").json()
    assert body["count"] == len(body["results"]) == 3


@pytest.mark.django_db
def test_a_resource_without_link_has_an_empty_url_and_the_schema_allows_it(schema):
    factories.ResourceFactory(url="", status=Resource.Status.PUBLISHED)
    factories.ResourceFactory(url="https://example.org/a", status=Resource.Status.PUBLISHED)
    urls = {r["url"] for r in APIClient().get("/api/v1/resources/").json()["results"]}
    assert urls == {"", "https://example.org/a"}
    for component in ("Resource", "ResourceList"):
        url = schema["components"]["schemas"][component]["properties"]["url"]
        checker = jsonschema.Draft7Validator(url, format_checker=jsonschema.FormatChecker())
        for value in urls:
            checker.validate(value)
