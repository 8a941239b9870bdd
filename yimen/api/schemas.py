"""What the API accepts and answers, as pydantic schemas (they also make the OpenAPI document).

Request bodies only check shapes and types here; the rules (who may, in which state, which
fields a transition needs) are the workflow's, so the API and the pages refuse the same
things with the same messages.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from yimen.cases.models import Channel, PartyRole

# The largest primary key the databases hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# A code or search text from a query or path: PostgreSQL cannot compare a NUL character.
NO_NUL = r"^[^\x00]*$"
Code = Annotated[str, StringConstraints(max_length=32, pattern=NO_NUL)]
SearchText = Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)]


def text(max_length: int | None = None, *, required: bool = False) -> Any:
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1 if required else 0, max_length=max_length
        ),
    ]


class Body(Schema):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError("null_character", "Null characters are not allowed.")
        return value


# --- errors ------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorOut(Schema):
    error: ErrorDetail


def errors(*codes: int) -> dict[int, type[ErrorOut]]:
    """Responses of an operation that answer with the error body (401 and 429 go on all)."""
    return {code: ErrorOut for code in codes}


# --- lists -----------------------------------------------------------------------------------


class PageOut(Schema):
    """Every list: one page of ``items`` and the way to the others."""

    count: int = Field(description="Items on all pages together.")
    page: int
    pages: int = Field(description="How many pages there are (at least 1).")
    limit: int = Field(description="Items per page.")
    next: str | None = Field(description="The next page's URL, or null on the last page.")
    previous: str | None = Field(description="The previous page's URL, or null on the first.")


# --- reference data ------------------------------------------------------------------------


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    is_dispute: bool
    is_staff_complaint: bool
    is_active: bool


class CategoryList(PageOut):
    items: list[CategoryOut]


class JurisdictionOut(Schema):
    id: int
    code: str
    name: str
    level: str
    level_label: str
    parent: str | None = Field(description="The parent's code.")


class JurisdictionList(PageOut):
    items: list[JurisdictionOut]


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    jurisdiction: str = Field(description="The jurisdiction's code.")
    phone: str = Field(description="The unit's office phone.")
    address: str
    is_active: bool


class UnitList(PageOut):
    items: list[UnitOut]


# --- cases ---------------------------------------------------------------------------------


class PartyIn(Body):
    name: text(50, required=True)
    role: PartyRole
    phone: text(32) = ""
    id_number: text(32) = ""


class CaseIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "楼上漏水",
                    "description": "楼上卫生间漏水到楼下，多次协商未果。",
                    "category": "neighbour",
                    "channel": "visit",
                    "jurisdiction": "330102001001",
                    "parties": [{"name": "王芳", "phone": "13812345678", "role": "applicant"}],
                }
            ]
        }
    )

    title: text(100, required=True)
    description: text(required=True)
    category: str = Field(description="A category's code (see /categories).")
    channel: Channel
    jurisdiction: str = Field(description="A jurisdiction's code (see /jurisdictions).")
    parties: list[PartyIn] = Field([], max_length=50)
    address: text(200) = ""
    latitude: Annotated[Decimal, Field(ge=-90, le=90, decimal_places=6)] | None = None
    longitude: Annotated[Decimal, Field(ge=-180, le=180, decimal_places=6)] | None = None
    is_urgent: bool = Field(False, description="Major: notifies the director and leaders.")
    about_unit: Id | None = Field(None, description="A complaint about staff: the unit's id.")
    about_staff: Id | None = Field(None, description="A complaint about staff: the account id.")
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
    kind_label: str
    name: str = Field(description="The file's name as it was uploaded.")
    content_type: str
    size: int = Field(description="In bytes.")
    uploaded_at: datetime
    download_url: str = Field(description="GET it with the same token for the file.")


class AttachmentList(PageOut):
    items: list[AttachmentOut]


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


class CaseList(PageOut):
    items: list[CaseOut]


class EventOut(Schema):
    at: datetime
    action: str
    from_status: str
    to_status: str
    note: str
    is_public: bool
    actor: str | None
    data: dict[str, Any]


class Timeline(PageOut):
    items: list[EventOut]


# --- actions: every field optional here, so the workflow decides what is missing ------------


class NoBody(Body):
    pass


class RouteIn(Body):
    unit: Id | None = Field(None, description="The lead unit's id (see /units).")
    co_units: list[Id] = Field([], max_length=20)
    complexity: str = Field("", description="general | complex | very_complex | leader")
    leader: Id | None = Field(None, description="A leader case: the leader's account id.")
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
    request: Id | None = Field(None, description="The request's id; by default the pending one.")
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
