"""Baseline: what SageMaker's scikit-learn container runs (minus nginx): Flask + the unpickled model,
served by `gunicorn --workers 2` sync workers."""

import os
import pickle
from pathlib import Path

from flask import Flask, Response, jsonify, request

MODEL = pickle.loads((Path(os.environ["MODEL_DIR"]) / "model.pkl").read_bytes())
app = Flask(__name__)


@app.get("/ping")
def ping():
    return Response(status=200)


@app.post("/invocations")
def invocations():
    probabilities = MODEL.predict_proba(request.get_json(force=True)["instances"])
    return jsonify(
        {"predictions": [{"label": int(p.argmax()), "probabilities": p.tolist()} for p in probabilities]}
    )
