"""The seeds' TF Serving client snippet, verbatim below the marked line, run under
`python -m stowflow.tf1 seed_client.py HOST PORT` (so `tensorflow_serving.apis` is stowflow's)."""

import sys

import numpy as np
from tensorflow_serving.apis import classification_pb2, prediction_service_pb2

host, port = sys.argv[1], sys.argv[2]
x = "x"
image = np.array([[1.0, 2.0]], dtype=np.float32)

# ---- the seed's snippet, as written ----
from grpc.beta import implementations  # noqa: E402 - verbatim snippet

channel = implementations.insecure_channel(host, int(port))
stub = prediction_service_pb2.beta_create_PredictionService_stub(channel)

request = classification_pb2.ClassificationRequest()
example = request.input.example_list.examples.add()
example.features.feature[x].float_list.value.extend(image[0].astype(float))

result = stub.Classify(request, 10.0)  # 10 secs timeout
# ---- end of the snippet ----
print([[c.label, c.score] for c in result.result.classifications[0].classes])
