"""API reads go to the replica when one is configured; writes, transactions and the
rows a client polls after writing them stay on the primary."""

import pytest
from django.db import transaction

from agencies.models import AgencyToken
from initiatives.models import Export, Value
from projectoffice.db_router import REPLICA, ReplicaRouter, replica_reads


def test_without_a_replica_everything_reads_from_the_primary() -> None:
    with replica_reads():
        assert ReplicaRouter().db_for_read(Value) == "default"


@pytest.mark.django_db(transaction=True)  # outside a test's own transaction
def test_api_reads_go_to_the_replica_and_the_rest_to_the_primary(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATABASES = {**settings.DATABASES, REPLICA: settings.DATABASES["default"]}
    router = ReplicaRouter()
    assert router.db_for_read(Value) == "default"  # not an API read
    with replica_reads():
        assert router.db_for_read(Value) == REPLICA
        assert router.db_for_read(Export) == "default"  # polled right after it is asked for
        assert router.db_for_read(AgencyToken) == "default"  # a revoked key must stop at once
        assert router.db_for_write(Value) == "default"
        with transaction.atomic():
            assert router.db_for_read(Value) == "default"  # a read that may decide a write


def test_the_middleware_marks_api_reads_and_keeps_the_mark_while_a_body_streams(rf, settings) -> None:  # type: ignore[no-untyped-def]
    from django.http import HttpResponse, StreamingHttpResponse

    from projectoffice.db_router import ApiReadsMiddleware

    settings.DATABASES = {**settings.DATABASES, REPLICA: settings.DATABASES["default"]}
    router = ReplicaRouter()
    seen: list[str | None] = []

    def view(request):  # type: ignore[no-untyped-def]
        seen.append(router.db_for_read(Value))
        return StreamingHttpResponse(router.db_for_read(Value) for _ in range(1))

    streamed = ApiReadsMiddleware(view)(rf.get("/api/v1/values/"))
    assert b"".join(streamed.streaming_content) == REPLICA.encode() and seen == [REPLICA]
    ApiReadsMiddleware(view)(rf.post("/api/v1/exports/"))
    ApiReadsMiddleware(view)(rf.get("/portal/"))
    assert seen == [REPLICA, "default", "default"]
    assert isinstance(ApiReadsMiddleware(lambda r: HttpResponse())(rf.get("/api/v1/")), HttpResponse)
