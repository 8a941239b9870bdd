"""What the API accepts and answers, as pydantic schemas (they also make the OpenAPI document).

Request bodies only check shapes and types here; the rules (who may, in which state, which
fields a transition needs) are the workflow's, so the API and the pages refuse the same
things with the same messages.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from yimen.cases.models import Channel, PartyRole


def text(max_length: int | None = None, *, required: bool = False) -> Any:
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1 if required else 0, max_length=max_length
        ),
    ]


class Body(Schema):
    model_config = ConfigDict(extra="forbid")


# --- errors ------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorOut(Schema):
    error: ErrorDetail


# --- reference data ------------------------------------------------------------------------


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    is_dispute: bool
    is_staff_complaint: bool


class CategoryList(Schema):
    items: list[CategoryOut]
    count: int


class JurisdictionOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None = Field(description="The parent's code.")


class JurisdictionList(Schema):
    items: list[JurisdictionOut]
    count: int


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    jurisdiction: str = Field(description="The jurisdiction's code.")
    is_active: bool


class UnitList(Schema):
    items: list[UnitOut]
    count: int


# --- cases ---------------------------------------------------------------------------------


class PartyIn(Body):
    name: text(50, required=True)
    role: PartyRole
    phone: text(32) = ""
    id_number: text(32) = ""


class CaseIn(Body):
    title: text(100, required=True)
    description: text(required=True)
    category: str = Field(description="A category's code (see /categories).")
    channel: Channel
    jurisdiction: str = Field(description="A jurisdiction's code (see /jurisdictions).")
    parties: list[PartyIn] = []
    address: text(200) = ""
    latitude: Annotated[Decimal, Field(ge=-90, le=90, decimal_places=6)] | None = None
    longitude: Annotated[Decimal, Field(ge=-180, le=180, decimal_places=6)] | None = None
    is_urgent: bool = Field(False, description="Major: notifies the director and leaders.")
    about_unit: int | None = Field(None, description="A complaint about staff: the unit's id.")
    about_staff: int | None = Field(None, description="A complaint about staff: the account id.")
    settle_on_the_spot: bool = Field(False, description="Register and close in one step.")
    result: str = Field("", description="How it was settled on the spot.")


class PartyOut(Schema):
    name: str
    role: str
    role_label: str
    phone: str = Field(description="Masked.")
    id_number: str = Field(description="Masked.")


class UnitRef(Schema):
    id: int
    name: str


class ExtensionOut(Schema):
    id: int
    reason: str
    new_deadline: date
    requested_at: datetime


class AttachmentOut(Schema):
    id: int
    kind: str
    name: str
    content_type: str
    size: int
    uploaded_at: datetime


class CaseOut(Schema):
    id: int
    receipt_number: str
    title: str
    description: str
    status: str
    status_label: str
    category: str = Field(description="The category's code.")
    channel: str
    jurisdiction: str = Field(description="The jurisdiction's code.")
    address: str
    is_urgent: bool
    on_the_spot: bool
    received_at: datetime
    complexity: str
    lead_unit: UnitRef | None
    co_units: list[UnitRef]
    escalation_level: int
    deadline: date | None
    deadline_provisional: bool
    working_days_left: int | None = Field(description="None when no deadline is running.")
    overdue: bool
    result: str
    transferred_to: str
    parties: list[PartyOut]


class CaseDetailOut(CaseOut):
    allowed_actions: list[str] = Field(description="What the caller may do now.")
    pending_extension: ExtensionOut | None
    attachments: list[AttachmentOut]


class CreatedCaseOut(CaseDetailOut):
    tracking_code: str | None = Field(
        description="For the resident's receipt. Shown once: a replayed request has none."
    )


class CaseList(Schema):
    items: list[CaseOut]
    count: int
    page: int
    limit: int
    next: str | None
    previous: str | None


class EventOut(Schema):
    at: datetime
    action: str
    from_status: str
    to_status: str
    note: str
    is_public: bool
    actor: str | None
    data: dict[str, Any]


class Timeline(Schema):
    items: list[EventOut]
    count: int


# --- actions: every field optional here, so the workflow decides what is missing ------------


class NoBody(Body):
    pass


class RouteIn(Body):
    unit: int | None = Field(None, description="The lead unit's id (see /units).")
    co_units: list[int] = []
    complexity: str = Field("", description="general | complex | very_complex | leader")
    leader: int | None = Field(None, description="A leader case: the leader's account id.")
    override_reason: str = ""
    instructions: str = ""


class ReasonIn(Body):
    reason: str = ""


class RecordActionIn(Body):
    kind: str = Field("", description="visit | call | meeting | document | other")
    note: str = ""
    public: bool = False


class RequestExtensionIn(Body):
    reason: str = ""
    new_deadline: date | None = None


class DecideExtensionIn(Body):
    request: int | None = Field(None, description="The request's id; by default the pending one.")
    approve: bool | None = None
    note: str = ""


class SubmitResultIn(Body):
    result: str = ""


class TransferOutIn(Body):
    to_body: str = ""
    note_for_resident: str = ""


class CloseIn(Body):
    note: str = ""


class FollowUpIn(Body):
    satisfaction: str = Field("", description="satisfied | basically | dissatisfied")
    comment: str = ""
    reopen: bool = False
    close_reason: str = ""
