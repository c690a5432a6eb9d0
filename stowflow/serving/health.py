"""Messages of the standard gRPC health service (``grpc.health.v1``), built from a descriptor.

Only the two tiny messages are needed to answer ``/grpc.health.v1.Health/Check``; building
them here avoids another dependency (grpcio-health-checking).
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

SERVICE = "grpc.health.v1.Health"
SERVING, NOT_SERVING, SERVICE_UNKNOWN = 1, 2, 3


def _classes() -> tuple[Any, Any]:
    pool = descriptor_pool.Default()
    name = "stowflow/serving/grpc_health.proto"
    try:
        pool.FindFileByName(name)
    except KeyError:
        f = descriptor_pb2.FieldDescriptorProto
        proto = descriptor_pb2.FileDescriptorProto(
            name=name, package="grpc.health.v1", syntax="proto3"
        )
        req = proto.message_type.add(name="HealthCheckRequest")
        req.field.add(name="service", number=1, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
        resp = proto.message_type.add(name="HealthCheckResponse")
        enum = resp.enum_type.add(name="ServingStatus")
        for i, value in enumerate(["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]):
            enum.value.add(name=value, number=i)
        resp.field.add(
            name="status",
            number=1,
            type=f.TYPE_ENUM,
            label=f.LABEL_OPTIONAL,
            type_name=".grpc.health.v1.HealthCheckResponse.ServingStatus",
        )
        pool.Add(proto)
    get = pool.FindMessageTypeByName
    return (
        message_factory.GetMessageClass(get("grpc.health.v1.HealthCheckRequest")),
        message_factory.GetMessageClass(get("grpc.health.v1.HealthCheckResponse")),
    )


HealthCheckRequest, HealthCheckResponse = _classes()
