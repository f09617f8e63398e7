"""Baseline: stdlib ThreadingHTTPServer (HTTP/1.1 keep-alive) with one shared ONNX Runtime session."""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import onnxruntime as ort

SESSION = ort.InferenceSession(
    os.path.join(os.environ["MODEL_DIR"], "model.onnx"), providers=["CPUExecutionProvider"]
)
INPUT = SESSION.get_inputs()[0].name


class Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        rows = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["instances"]
        labels, probabilities = SESSION.run(None, {INPUT: np.asarray(rows, dtype=np.float32)})
        body = json.dumps(
            {
                "predictions": [
                    {"label": int(label), "probabilities": p.tolist()}
                    for label, p in zip(labels, probabilities)
                ]
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
