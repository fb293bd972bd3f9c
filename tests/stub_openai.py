"""A stub OpenAI-compatible server on 127.0.0.1 for tests: chat completions (plain and SSE),
/models, scripted failures, request recording. It answers like `fakes.Writer`."""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakes import Call, Writer, classify


def _text(content) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")


def call_of(body: dict) -> Call:
    """Describe an OpenAI chat request as the scripted writer's Call."""
    msgs = body["messages"]
    system = _text(msgs[0]["content"]) if msgs[0]["role"] == "system" else ""
    user = _text(msgs[-1]["content"])
    stage, section = classify(system, user)
    images = sum(
        1
        for m in msgs
        if isinstance(m["content"], list)
        for p in m["content"]
        if p.get("type") == "image_url"
    )
    return Call(stage=stage, section=section, text=user, images=images, tools=None, messages=msgs)


class StubOpenAI:
    """Run the stub in a thread; `requests` keeps (stage, body) of every completed request."""

    def __init__(
        self,
        writer: Writer | None = None,
        delay_s: float = 0.0,
        served: str = "stub",
        max_images: int | None = None,
    ):
        self.writer = writer or Writer()
        self.delay_s = delay_s
        self.served = served  # like vLLM's --served-model-name: other names get a 404
        self.max_images = max_images  # like vLLM's --limit-mm-per-prompt: more get a 400
        self.failures: list[tuple[int, dict]] = []  # (status, headers) answered before success
        self.requests: list[tuple[str, dict]] = []
        self.attempts = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def stages(self) -> list[str]:
        with self.lock:
            return [stage for stage, _ in self.requests]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, body: dict) -> tuple[str, str]:
        call = call_of(body)
        if call["stage"] == "outline" and body.get("response_format"):
            n_images = len(re.findall(r"^Image \d+:", call["text"], re.MULTILINE)) or call["images"]
            return "outline", json.dumps(self.writer.outline_args(n_images))
        reply = self.writer(call)
        return call["stage"], reply if isinstance(reply, str) else str(reply.content)

    def refusal(self, body: dict) -> tuple[int, dict, str] | None:
        """The errors vLLM gives for a model it does not serve or too many images."""
        if body["model"] != self.served:
            return 404, {}, f"The model `{body['model']}` does not exist."
        images = call_of(body)["images"]
        if self.max_images is not None and images > self.max_images:
            return 400, {}, f"At most {self.max_images} image(s) may be provided in one prompt."
        return None

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status: int, payload: dict, headers: dict | None = None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                models = [{"id": stub.served, "object": "model"}]
                self._json(200, {"object": "list", "data": models})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub.lock:
                    stub.attempts += 1
                    failure = stub.failures.pop(0) if stub.failures else None
                failure = failure or stub.refusal(body)
                if failure:
                    status, headers, *message = failure
                    error = {"message": message[0] if message else "scripted failure"}
                    self._json(status, {"error": error | {"type": "stub"}}, headers)
                    return
                time.sleep(stub.delay_s)
                stage, content = stub.answer(body)
                usage = {
                    "prompt_tokens": len(json.dumps(body["messages"])) // 4,
                    "completion_tokens": len(content.split()),
                    "total_tokens": 0,
                }
                if body.get("stream"):
                    self._stream(content, usage, body)
                else:
                    self._json(
                        200,
                        {
                            "id": "cmpl-1",
                            "object": "chat.completion",
                            "created": 0,
                            "model": body["model"],
                            "usage": usage,
                            "choices": [
                                {
                                    "index": 0,
                                    "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content},
                                }
                            ],
                        },
                    )
                with stub.lock:
                    stub.requests.append((stage, body))

            def _stream(self, content: str, usage: dict, body: dict):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()

                def send(payload):
                    self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())

                base = {
                    "id": "cmpl-1",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": body["model"],
                }
                for i, piece in enumerate(re.findall(r"\S+\s*", content) or [""]):
                    delta = {"content": piece} | ({"role": "assistant"} if i == 0 else {})
                    send(base | {"choices": [{"index": 0, "delta": delta}]})
                send(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                if body.get("stream_options", {}).get("include_usage"):
                    send(base | {"choices": [], "usage": usage})
                self.wfile.write(b"data: [DONE]\n\n")

        return Handler
