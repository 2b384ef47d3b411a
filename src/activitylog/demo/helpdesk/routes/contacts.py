"""Contacts: the customers conversations are with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import or_, select

from activitylog.demo.helpdesk.deps import PAGE, Agent, App, Db, Signed, commit, owned
from activitylog.demo.helpdesk.models import Contact

router = APIRouter(prefix="/contacts", tags=["contacts"])

Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.\w+$")
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()\-]{5,30}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email | None = None
    phone: Phone | None = None
    company: Name | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class ContactPatch(BaseModel):
    """Only the fields sent are changed; ``null`` clears one."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    company: Name | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)


def contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "company": contact.company,
        "tags": contact.tags,
        "created_at": contact.created_at.isoformat(),
        "updated_at": contact.updated_at.isoformat(),
    }


@router.get("")
def list_contacts(
    db: Db, principal: Signed, q: Annotated[str | None, Query(max_length=200)] = None
) -> list[dict[str, Any]]:
    query = select(Contact).where(Contact.workspace_id == principal.workspace)
    if q:
        like = f"%{q}%"
        query = query.where(or_(Contact.name.ilike(like), Contact.email.ilike(like)))
    return [contact_json(c) for c in db.scalars(query.order_by(Contact.id.desc()).limit(PAGE))]


@router.post("", status_code=201)
def create_contact(body: ContactIn, db: Db, app: App, principal: Agent) -> dict[str, Any]:
    now = app.clock()
    contact = Contact(
        workspace_id=principal.workspace,
        **body.model_dump(exclude={"tags"}),
        tags=sorted(set(body.tags)),
        created_at=now,
        updated_at=now,
    )
    db.add(contact)
    commit(db)
    return contact_json(contact)


@router.get("/{contact_id}")
def get_contact(contact_id: int, db: Db, principal: Signed) -> dict[str, Any]:
    return contact_json(owned(db, Contact, contact_id, principal))


@router.patch("/{contact_id}")
def update_contact(
    contact_id: int, body: ContactPatch, db: Db, app: App, principal: Agent
) -> dict[str, Any]:
    contact = owned(db, Contact, contact_id, principal)
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        changes.pop("name")  # a contact always has a name
    if "tags" in changes:
        changes["tags"] = sorted(set(changes["tags"] or ()))
    for field, value in changes.items():
        setattr(contact, field, value)
    if db.is_modified(contact):
        contact.updated_at = app.clock()
    commit(db)
    return contact_json(contact)


@router.delete("/{contact_id}", status_code=204)
def delete_contact(contact_id: int, db: Db, principal: Agent) -> None:
    db.delete(owned(db, Contact, contact_id, principal))
    commit(db)
