"""The OpenAPI document: what every operation shares is added here, once.

Each operation declares its own success and error responses; this adds what all of them
answer alike: 401 without a valid token, 429 over the rate, and on reads the ETag,
``If-None-Match`` and 304. Query parameters lose the ``null`` that optional Python
parameters bring, since a query string can only leave a parameter out.
"""

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
STRING = {"schema": {"type": "string"}}

DESCRIPTIONS = {
    "200": "OK",
    "201": "Created",
    "304": "Not modified: the `If-None-Match` tag is still current. No body.",
    "400": "Invalid parameters or body; `error.fields` names each field and what is wrong.",
    "401": "No valid API token.",
    "403": "The caller's role or unit may not do this on this case.",
    "404": "Not found, or not in the caller's jurisdiction.",
    "409": "Not possible in the case's state, someone changed it a moment ago, "
    "or an `Idempotency-Key` reused for another body.",
    "412": "`If-Match` does not match the case as it is now.",
    "429": "Too many requests for this account; `Retry-After` says when to try again.",
}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [X, null]`` → ``X``, keeping the title, description and default."""
    options = schema.get("anyOf")
    if not options:
        return schema
    kept = [option for option in options if option != {"type": "null"}]
    if len(kept) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**kept[0], **rest}


def _is_file(response: dict[str, Any]) -> bool:
    return any(
        media.get("schema", {}).get("format") == "binary"
        for media in response.get("content", {}).values()
    )


def complete(document: dict[str, Any]) -> dict[str, Any]:
    for item in document["paths"].values():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    parameter["schema"] = _without_null(parameter["schema"])
                elif parameter["schema"].get("type") == "integer":
                    parameter["schema"]["minimum"] = 1  # ids; any other number is not found
            responses = {str(code): value for code, value in operation["responses"].items()}
            parameters = operation.setdefault("parameters", [])
            ok = responses.get("200", {})
            if method == "get" and not _is_file(ok) and "ETag" not in ok.get("headers", {}):
                parameters.append(
                    {
                        "in": "header",
                        "name": "If-None-Match",
                        "required": False,
                        "description": "The ETag of a previous answer: 304 if still current.",
                        **STRING,
                    }
                )
                ok.setdefault("headers", {})["ETag"] = {
                    "description": "A strong tag of this answer for this caller and language.",
                    "required": True,
                    **STRING,
                }
                responses["304"] = {"headers": {"ETag": STRING}}
            responses["401"] = {
                "content": ERROR,
                "headers": {"WWW-Authenticate": STRING},
            }
            responses["429"] = {"content": ERROR, "headers": {"Retry-After": STRING}}
            for code, response in responses.items():
                if int(code) >= 300 or not response.get("description"):
                    response["description"] = DESCRIPTIONS[code]
            operation["responses"] = dict(sorted(responses.items()))
    return document


class YimenAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        """The view's own name: stable when code moves between modules."""
        return operation.view_func.__name__

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        return complete(super().get_openapi_schema(**kwargs))
