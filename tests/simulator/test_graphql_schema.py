"""The GraphQL queries and the simulator's schema, checked against GitHub's published schema."""

from __future__ import annotations

import pytest
from graphql import parse, validate

from reaper.github.identities import QUERIES
from reaper.simulator.graphql import SCHEMA
from tests.simulator.graphql_subset import SERVED, published, subset_sdl


@pytest.fixture(scope="module")
def github_schema():  # type: ignore[no-untyped-def]
    """GitHub's published GraphQL schema (loaded once: it is large)."""
    return published()


@pytest.mark.parametrize("query", QUERIES, ids=["org", "enterprise", "verified"])
def test_every_query_is_valid_against_githubs_schema(github_schema, query: str) -> None:  # type: ignore[no-untyped-def]
    """Each query the reaper sends validates against GitHub's published schema."""
    assert validate(github_schema, parse(query)) == []


def test_the_simulators_schema_is_githubs_own_subset(github_schema) -> None:  # type: ignore[no-untyped-def]
    """The simulator serves exactly the identity part of GitHub's schema, as published."""
    assert SERVED.read_text(encoding="utf-8") == subset_sdl(github_schema)


@pytest.mark.parametrize("query", QUERIES, ids=["org", "enterprise", "verified"])
def test_the_simulator_accepts_every_query(query: str) -> None:
    """The simulator's schema validates the same queries (it answers them, too)."""
    assert validate(SCHEMA, parse(query)) == []


def test_a_field_github_lacks_is_refused() -> None:
    """A query naming a field GitHub's schema lacks fails validation, here as at GitHub."""
    bad = 'query { organization(login: "a") { samlIdentityProvider { emails } } }'
    assert validate(SCHEMA, parse(bad))
