"""Organizations, accounts and API tokens."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.errors import Forbidden, NotFound, Unauthenticated
from server.tenancy.models import Account, ApiToken, Organization
from server.tenancy.tokens import hash_token, new_token_secret
from shared.enums import Permission

ALL_PERMISSIONS = tuple(Permission)
# Writing last_used_at on every request would turn each read into a write; a minute's precision is plenty.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def slugify(text: str, *, max_length: int = 120) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"


@dataclass(frozen=True)
class Bootstrapped:
    organization: Organization
    account: Account
    token_secret: str


def bootstrap_organization(
    *,
    session: Session,
    org_name: str,
    account_name: str,
    now: datetime,
    token_name: str = "admin",  # noqa: S107 - a label
) -> Bootstrapped:
    organization = Organization(name=org_name, slug=slugify(org_name))
    session.add(organization)
    session.flush()
    account = Account(org_id=organization.id, name=account_name)
    session.add(account)
    session.flush()
    secret = create_token(
        session=session,
        org_id=organization.id,
        account_id=account.id,
        name=token_name,
        permissions=list(ALL_PERMISSIONS),
        now=now,
    )[1]
    return Bootstrapped(organization=organization, account=account, token_secret=secret)


def has_any_organization(*, session: Session) -> bool:
    return session.scalar(sa.select(sa.exists().where(Organization.id.is_not(None)))) or False


def create_token(
    *,
    session: Session,
    org_id: uuid.UUID,
    account_id: uuid.UUID | None,
    name: str,
    permissions: list[Permission],
    now: datetime,
) -> tuple[ApiToken, str]:
    secret = new_token_secret()
    token = ApiToken(
        org_id=org_id,
        account_id=account_id,
        name=name,
        token_hash=hash_token(secret),
        permissions=sorted({str(p) for p in permissions}),
        created_at=now,
        updated_at=now,
    )
    session.add(token)
    session.flush()
    return token, secret


def issue_token(
    *,
    session: Session,
    org_id: uuid.UUID,
    account_id: uuid.UUID | None,
    name: str,
    permissions: list[Permission],
    held_by_creator: frozenset[Permission],
    now: datetime,
) -> tuple[ApiToken, str]:
    """A new token for the caller's org; it can carry only permissions its creator holds."""
    missing = sorted(set(permissions) - held_by_creator)
    if missing:
        raise Forbidden(
            "missing_permission",
            f"A token cannot grant permissions its creator lacks: {', '.join(missing)}.",
            field="permissions",
        )
    token, secret = create_token(
        session=session, org_id=org_id, account_id=account_id, name=name, permissions=permissions, now=now
    )
    session.commit()
    return token, secret


@dataclass(frozen=True)
class TokenIdentity:
    token_id: uuid.UUID
    org_id: uuid.UUID
    account_id: uuid.UUID | None
    permissions: frozenset[Permission]


def authenticate_token(*, session: Session, secret: str, now: datetime) -> TokenIdentity:
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None:
        raise Unauthenticated("invalid_token", "The API token is unknown or revoked.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        session.commit()
    return TokenIdentity(
        token_id=token.id,
        org_id=token.org_id,
        account_id=token.account_id,
        permissions=frozenset(Permission(p) for p in token.permissions),
    )


def list_tokens(*, session: Session, org_id: uuid.UUID) -> list[ApiToken]:
    return list(session.scalars(sa.select(ApiToken).where(ApiToken.org_id == org_id).order_by(ApiToken.created_at)))


def revoke_token(*, session: Session, org_id: uuid.UUID, token_id: uuid.UUID, now: datetime) -> ApiToken:
    token = session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.org_id == org_id))
    if token is None:
        raise NotFound("token_not_found", f"No API token {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = now
    session.commit()
    return token


def get_organization(*, session: Session, org_id: uuid.UUID) -> Organization:
    organization = session.get(Organization, org_id)
    if organization is None:
        raise NotFound("organization_not_found", "No such organization.")
    return organization


def default_account_id(*, session: Session, org_id: uuid.UUID) -> uuid.UUID:
    """The org's first account, for tokens that are not tied to one organizer."""
    account_id = session.scalar(
        sa.select(Account.id).where(Account.org_id == org_id).order_by(Account.created_at).limit(1)
    )
    if account_id is None:
        raise NotFound("account_not_found", "The organization has no account.")
    return account_id


def get_organization_by_slug(*, session: Session, slug: str) -> Organization:
    organization = session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if organization is None:
        raise NotFound("organization_not_found", f"No organization '{slug}'.")
    return organization
