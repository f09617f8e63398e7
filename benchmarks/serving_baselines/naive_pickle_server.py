"""Issue 6's naive baseline: stdlib http.server, the pickled scikit-learn model loaded on every request."""

import json
import os
import pickle
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MODEL = Path(os.environ["MODEL_DIR"]) / "model.pkl"


class Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        rows = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["instances"]
        model = pickle.loads(MODEL.read_bytes())
        probabilities = model.predict_proba(rows)
        body = json.dumps(
            {"predictions": [{"label": int(p.argmax()), "probabilities": p.tolist()} for p in probabilities]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
