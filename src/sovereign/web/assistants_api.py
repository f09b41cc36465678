"""POST /v1/policies/ask and POST /v1/support/answer: the back-office assistants over HTTP.

    POST /v1/policies/ask                      (a key with the "policies" feature and collection grants)
    {"question": "How many days of leave do I get?", "collections": ["hr-eu"]}      (collections optional)
    200 {"answered": true, "outcome": "answered", "answer": "… [handbook.md §Leave]",
         "citations": [{"document", "section", "label", "collection", "score"}], "passages": [...], ...}

    POST /v1/support/answer                    (a key with the "support" feature)
    {"store": "shop", "question": "Where is my order?", "order_number": 85, "email": "k@example.com"}
    200 {"kind": "order" | "policy", "outcome": "...", "answer": "...", "sources": [...], "cached": false, ...}

401 without a valid key; 403 without the feature or, for policies, for a
collection not granted to the key; 404 for an unknown store; 503 when no
local model may answer an HR question (it is never sent anywhere else).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints, field_validator

from sovereign.embeddings import EmbeddingUnavailable
from sovereign.features.assistants.parts import assistants
from sovereign.features.assistants.policies import AccessDenied, NoLocalModel, visible_collections
from sovereign.store.api_keys import ApiKey
from sovereign.web.auth import require_feature
from sovereign.web.errors import ApiError
from sovereign.web.deps import RuntimeDep, runtime_of

__all__ = ["router"]

router = APIRouter()

Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class AskBody(BaseModel):
    question: Question
    collections: list[str] | None = Field(default=None, max_length=50)
    collection: str | None = None  # shorthand for one

    def wanted(self) -> list[str] | None:
        names = list(self.collections or []) + ([self.collection] if self.collection else [])
        return names or None


class SupportBody(BaseModel):
    store: Annotated[str, StringConstraints(min_length=1, max_length=63)]
    question: Question
    order_number: int | None = Field(default=None, ge=1)
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None

    @field_validator("order_number", mode="before")
    @classmethod
    def _order_number(cls, v: object) -> object:
        return v.strip().lstrip("#") if isinstance(v, str) else v


@router.post("/v1/policies/ask")
async def ask(body: AskBody, request: Request, key: ApiKey = Depends(require_feature("policies"))) -> JSONResponse:
    parts = assistants(runtime_of(request))
    try:
        collections = await visible_collections(parts.store, key, body.wanted())
        answer = await parts.policies.ask(body.question, collections, api_key_id=key.id)
    except AccessDenied as exc:
        raise ApiError(403, str(exc), "scope_collection") from None
    except NoLocalModel as exc:
        raise ApiError(503, str(exc), "no_local_model") from None
    except EmbeddingUnavailable as exc:
        raise ApiError(503, str(exc), "embeddings_unavailable") from None
    return JSONResponse(answer.as_json() | {"collections": collections})


@router.post("/v1/support/answer")
async def support_answer(rt: RuntimeDep, 
    body: SupportBody, request: Request, key: ApiKey = Depends(require_feature("support"))
) -> JSONResponse:
    store = await rt.stores.get(body.store)
    if store is None:
        raise ApiError(404, f"no store {body.store!r} is connected", "unknown_store")
    try:
        reply = await assistants(rt).support.answer(
            store, body.question, order_number=body.order_number, email=body.email, api_key_id=key.id
        )
    except EmbeddingUnavailable as exc:
        raise ApiError(503, str(exc), "embeddings_unavailable") from None
    return JSONResponse(reply.as_json())
