"""Baseline (issue 10's reference): Starlette + one ONNX Runtime session per worker, orjson, served by
`uvicorn --workers 2 --http httptools --loop uvloop`."""

import os

import numpy as np
import onnxruntime as ort
import orjson
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

options = ort.SessionOptions()
options.intra_op_num_threads = 1
SESSION = ort.InferenceSession(
    os.path.join(os.environ["MODEL_DIR"], "model.onnx"), options, providers=["CPUExecutionProvider"]
)
INPUT = SESSION.get_inputs()[0].name


async def invocations(request):
    rows = np.asarray(orjson.loads(await request.body())["instances"], dtype=np.float32)
    labels, probabilities = SESSION.run(None, {INPUT: rows})
    body = orjson.dumps(
        {
            "predictions": [
                {"label": int(label), "probabilities": p.tolist()} for label, p in zip(labels, probabilities)
            ]
        }
    )
    return Response(body, media_type="application/json")


async def ping(request):
    return Response(status_code=200)


app = Starlette(routes=[Route("/invocations", invocations, methods=["POST"]), Route("/ping", ping)])
