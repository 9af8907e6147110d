"""The part of GitHub's published GraphQL schema that the simulator serves (identities).

``subset_sdl`` prints, from the published schema, only the types and fields named in
``FIELDS``, each field with its arguments and type exactly as published; the simulator's
``reaper/simulator/github_identity_schema.graphql`` must be what it prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from graphql import GraphQLObjectType, GraphQLSchema, build_schema, print_type

if TYPE_CHECKING:
    from graphql.type import GraphQLNamedType

# GitHub's published GraphQL schema, kept beside the published OpenAPI descriptions
PUBLISHED = Path(__file__).parents[1] / "data" / "github-graphql-schema.graphql"
SERVED = Path(__file__).parents[2] / "reaper" / "simulator" / "github_identity_schema.graphql"

FIELDS = {
    "Query": ["enterprise", "organization", "rateLimit", "user"],
    "RateLimit": ["cost", "limit", "nodeCount", "remaining", "resetAt", "used"],
    "Organization": ["login", "samlIdentityProvider"],
    "OrganizationIdentityProvider": ["externalIdentities", "ssoUrl"],
    "Enterprise": ["ownerInfo", "slug"],
    "EnterpriseOwnerInfo": ["samlIdentityProvider"],
    "EnterpriseIdentityProvider": ["externalIdentities", "ssoUrl"],
    "ExternalIdentityConnection": ["nodes", "pageInfo", "totalCount"],
    "ExternalIdentity": ["guid", "samlIdentity", "scimIdentity", "user"],
    "ExternalIdentitySamlAttributes": ["emails", "nameId", "username"],
    "ExternalIdentityScimAttributes": ["emails", "username"],
    "UserEmailMetadata": ["primary", "type", "value"],
    "PageInfo": ["endCursor", "hasNextPage", "hasPreviousPage", "startCursor"],
    "User": ["login", "organizationVerifiedDomainEmails"],
}


def published() -> GraphQLSchema:
    """GitHub's published schema, taken as valid.

    GitHub's SDL breaks a few rules graphql-core checks (deprecated fields implementing
    interface fields that are not); queries are still validated against it field by field.
    """
    schema = build_schema(PUBLISHED.read_text(encoding="utf-8"), assume_valid_sdl=True)
    schema._validation_errors = []  # graphql-core caches its schema check here
    return schema


def subset_sdl(schema: GraphQLSchema) -> str:
    """The SDL of ``FIELDS`` taken from ``schema``: types, fields, arguments as published."""
    parts = []
    scalars: set[str] = set()
    for name, wanted in FIELDS.items():
        full = schema.get_type(name)
        assert isinstance(full, GraphQLObjectType), name
        fields = {f: full.fields[f] for f in wanted}
        for field in fields.values():
            for t in [field.type, *(a.type for a in field.args.values())]:
                inner: GraphQLNamedType = t  # type: ignore[assignment]
                while hasattr(inner, "of_type"):
                    inner = inner.of_type
                if inner.name not in FIELDS and inner.name not in {"String", "Int", "Boolean"}:
                    scalars.add(inner.name)
        kept = GraphQLObjectType(name, fields, description=full.description)
        parts.append(print_type(kept))
    parts += [print_type(schema.get_type(name)) for name in sorted(scalars)]  # type: ignore[arg-type]
    return "\n\n".join(parts) + "\n"
