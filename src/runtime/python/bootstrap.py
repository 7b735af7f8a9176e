"""lambdata's Python runtime: runs a `module.function` handler over the AWS Lambda Runtime API.

Started by the engine as `python3 bootstrap.py` in a function's execution environment, with the
standard Lambda variables (_HANDLER, LAMBDA_TASK_ROOT, AWS_LAMBDA_RUNTIME_API ...). It imports the
handler's module once (module code runs at init, counted as Init Duration), then loops: fetch the
next event, call the handler with the event and a context object, post the result or the error,
in the shapes and log formats of AWS's own Python runtimes. Standard library only.
"""

import importlib
import importlib.machinery
import json
import logging
import os
import socket
import sys
import time

RUNTIME_PATH = "/2018-06-01/runtime"
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


class FaultException(Exception):
    """A handler that cannot be loaded, reported with one of AWS's Runtime.* error types."""

    def __init__(self, error_type, message, stack_trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack_trace = stack_trace or []


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]


class Client:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]


class ClientContext:
    __slots__ = ["custom", "env", "client"]


class LambdaContext:
    """The context object, with the attribute names of AWS's Python runtimes."""

    def __init__(self, request_id, deadline_ms, invoked_function_arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = make_client_context(client_context)
        self.identity = make_identity(identity)
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id={},log_group_name={},log_stream_name={},function_name={},"
            "memory_limit_in_mb={},function_version={},invoked_function_arn={},client_context={},identity={}])"
        ).format(
            self.aws_request_id,
            self.log_group_name,
            self.log_stream_name,
            self.function_name,
            self.memory_limit_in_mb,
            self.function_version,
            self.invoked_function_arn,
            self.client_context,
            self.identity,
        )


def make_client_context(text):
    if not text:
        return None
    data = json.loads(text.encode("latin-1").decode("utf-8"))
    context = ClientContext()
    context.custom = data.get("custom")
    context.env = data.get("env")
    client = data.get("client")
    context.client = None
    if client:
        context.client = Client()
        context.client.installation_id = client.get("installation_id")
        context.client.app_title = client.get("app_title")
        context.client.app_version_name = client.get("app_version_name")
        context.client.app_version_code = client.get("app_version_code")
        context.client.app_package_name = client.get("app_package_name")
    return context


def make_identity(text):
    identity = CognitoIdentity()
    data = json.loads(text) if text else {}
    identity.cognito_identity_id = data.get("cognitoIdentityId")
    identity.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")
    return identity


class RuntimeClient:
    """
    The Runtime API over one kept-alive connection. A few lines of HTTP/1.1 rather than http.client,
    whose imports (email, ssl) cost a cold start twice the interpreter's own start; the engine's
    Runtime API always answers with a Content-Length.
    """

    def __init__(self, address):
        # host:port, then the environment's secret path segment (as lambdata sets it)
        host_port, _, secret = address.partition("/")
        host, _, port = host_port.rpartition(":")
        self._host = host_port
        self._base = ("/" + secret if secret else "") + RUNTIME_PATH
        self._socket = socket.create_connection((host, int(port)))
        # Small requests one after another: never wait for a delayed ACK.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = self._socket.makefile("rb")

    def handoff(self):
        self._socket.sendall(self._encode("GET", "/lambdata/handoff"))
        return self._read()

    def next(self):
        self._socket.sendall(self._encode("GET", "/invocation/next"))
        return self._read_next()

    def post(self, path, body, headers=None):
        self._socket.sendall(self._encode("POST", path, body, headers))
        status, _, answer = self._read()
        return status, answer

    def post_and_next(self, path, body, headers=None):
        """Posts a result and asks for the next event in one write (HTTP/1.1 pipelining): one wake-up per invocation."""
        self._socket.sendall(self._encode("POST", path, body, headers) + self._encode("GET", "/invocation/next"))
        self._read()
        return self._read_next()

    def _read_next(self):
        status, headers, body = self._read()
        if status != 200:
            raise RuntimeError("Runtime API next failed: HTTP %d %s" % (status, body[:200]))
        return headers, body

    def _encode(self, method, path, body=b"", headers=None):
        lines = ["%s %s%s HTTP/1.1" % (method, self._base, path), "Host: " + self._host]
        lines.append("Content-Length: %d" % len(body))
        if body:
            lines.append("Content-Type: application/json")
        for name, value in (headers or {}).items():
            lines.append("%s: %s" % (name, value))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def _read(self):
        status_line = self._reader.readline()
        if not status_line:
            raise RuntimeError("Runtime API closed the connection")
        status = int(status_line.split()[1])
        answer_headers = {}
        while True:
            line = self._reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            answer_headers[name.strip().lower()] = value.strip()
        return status, answer_headers, self._reader.read(int(answer_headers.get("content-length", "0")))


class RequestIdFilter(logging.Filter):
    """Tags every record with the running request id, as AWS's LambdaLoggerFilter does."""

    request_id = ""

    def filter(self, record):
        record.aws_request_id = RequestIdFilter.request_id
        return True


class LambdaLoggerHandler(logging.StreamHandler):
    """Writes one record as one line: newlines inside it become carriage returns."""

    def emit(self, record):
        try:
            self.stream.write(self.format(record).replace("\n", "\r") + "\n")
        except Exception:
            self.handleError(record)


def setup_logging():
    logging.Formatter.converter = time.gmtime
    handler = LambdaLoggerHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)


def become_function(client):
    """
    A pre-started (blank) runtime waits here for its function: its variables and, in a sandbox, its
    user and code, linked at /var/task. Root is given up before any of the function's code loads.
    """
    status, _, body = client.handoff()
    if status != 200:
        raise RuntimeError("no function handed over: HTTP %d %s" % (status, body[:200]))
    function = json.loads(body)
    sandbox = function.get("sandbox")
    if sandbox:
        os.symlink(sandbox["taskTarget"], "/var/task")
        os.setgroups([])
        os.setgid(sandbox["gid"])
        os.setuid(sandbox["uid"])
    os.environ.clear()
    os.environ.update(function["env"])


def log_error(error_type, message, stack_trace):
    """The [ERROR] line AWS writes for a failed invocation or init, one line with carriage returns."""
    lines = ["[ERROR] %s: %s" % (error_type, message)]
    if stack_trace:
        lines.append("Traceback (most recent call last):")
        lines.extend(entry.rstrip("\n") for entry in stack_trace)
    sys.stdout.write("\r".join(lines).replace("\n", "\r") + "\n")


def user_stack_trace(tb):
    """The traceback as AWS lists it: user frames only, each `  File "…", line N, in fn\\n    code\\n`."""
    import traceback  # only errors need it, and it is slow to import

    frames = [frame for frame in traceback.extract_tb(tb) if frame.filename != __file__]
    return traceback.format_list(frames)


def error_document(error, request_id=None):
    document = {"errorMessage": str(error), "errorType": type(error).__name__}
    if isinstance(error, FaultException):
        document = {"errorMessage": error.message, "errorType": error.error_type}
        stack_trace = error.stack_trace
    else:
        stack_trace = user_stack_trace(error.__traceback__)
    if request_id is not None:
        document["requestId"] = request_id
    document["stackTrace"] = stack_trace
    return document


def load_handler(handler):
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise FaultException("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, error))
    module_name = module_name.replace("/", ".")
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise FaultException(
            "Runtime.BuiltInModuleConflict", "Cannot use built-in module %s as a handler module" % module_name
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise FaultException(
            "Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, error)
        ) from error
    except SyntaxError as error:
        trace = ['  File "%s" Line %s\n    %s' % (error.filename, error.lineno, (error.text or "").strip())]
        raise FaultException(
            "Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, error), trace
        ) from error
    function = getattr(module, function_name, None)
    if function is None:
        raise FaultException(
            "Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name)
        )
    return function


def note_python_version():
    """Says so when the function asked for another Python minor version than the machine's."""
    wanted = os.environ.get("AWS_EXECUTION_ENV", "").replace("AWS_Lambda_python", "")
    have = "%d.%d" % sys.version_info[:2]
    if wanted and wanted != have:
        sys.stderr.write(
            "lambdata: runtime python%s runs on this machine's Python %s (%s)\n" % (wanted, have, sys.executable)
        )


class EndpointFromEnvironment:
    """
    Lets unmodified boto3 code reach lambdata where the installed botocore predates AWS_ENDPOINT_URL
    (before 1.31): when `botocore.session` is first imported, its Session.create_client is wrapped to
    take the endpoint from AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL, as newer botocore does.
    Nothing is imported ahead of the function's own code, so functions without boto3 pay nothing.
    A meta path finder (importlib.abc is not imported for it: that alone costs a cold start more
    than the interpreter's own start).
    """

    def find_spec(self, name, path, target=None):
        if name != "botocore.session":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            patch_session(module)

        spec.loader.exec_module = exec_module
        return spec


def patch_session(module):
    version = sys.modules["botocore"].__version__.split(".")
    if (int(version[0]), int(version[1])) >= (1, 31):
        return
    create_client = module.Session.create_client

    def create_client_from_environment(self, service_name, *args, **kwargs):
        # endpoint_url is create_client's sixth parameter (fifth after the service name).
        if len(args) < 5 and kwargs.get("endpoint_url") is None:
            service = service_name.upper().replace("-", "_").replace(" ", "_")
            endpoint = os.environ.get("AWS_ENDPOINT_URL_" + service) or os.environ.get("AWS_ENDPOINT_URL")
            if endpoint:
                kwargs["endpoint_url"] = endpoint
        return create_client(self, service_name, *args, **kwargs)

    module.Session.create_client = create_client_from_environment


def serve(client, handler):
    headers, body = client.next()
    while True:
        request_id = headers.get("lambda-runtime-aws-request-id")
        RequestIdFilter.request_id = request_id
        os.environ["_X_AMZN_TRACE_ID"] = headers.get("lambda-runtime-trace-id") or ""
        context = LambdaContext(
            request_id,
            int(headers.get("lambda-runtime-deadline-ms") or 0),
            headers.get("lambda-runtime-invoked-function-arn"),
            headers.get("lambda-runtime-client-context"),
            headers.get("lambda-runtime-cognito-identity"),
        )
        try:
            event = json.loads(body) if body else None
            result = handler(event, context)
            response = marshal(result)
        except Exception as error:
            document = error_document(error, request_id)
            log_error(document["errorType"], document["errorMessage"], document["stackTrace"])
            flush()
            headers, body = client.post_and_next(
                "/invocation/%s/error" % request_id,
                json.dumps(document).encode("utf-8"),
                {"Lambda-Runtime-Function-Error-Type": "Unhandled"},
            )
            continue
        flush()
        headers, body = client.post_and_next("/invocation/%s/response" % request_id, response)


def marshal(result):
    try:
        return json.dumps(result).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise FaultException("Runtime.MarshalError", "Unable to marshal response: %s" % error) from error


def flush():
    sys.stdout.flush()
    sys.stderr.flush()


def main():
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    blank = len(sys.argv) == 3 and sys.argv[1] == "--blank"
    client = RuntimeClient(sys.argv[2] if blank else os.environ["AWS_LAMBDA_RUNTIME_API"])
    setup_logging()
    if blank:
        become_function(client)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        logging.getLogger().setLevel(level.upper())
    task_root = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    sys.path.insert(0, task_root)
    note_python_version()
    sys.meta_path.insert(0, EndpointFromEnvironment())
    try:
        os.chdir(task_root)
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as error:
        document = error_document(error, "")
        log_error(document["errorType"], document["errorMessage"], document["stackTrace"])
        flush()
        client.post(
            "/init/error",
            json.dumps(document).encode("utf-8"),
            {"Lambda-Runtime-Function-Error-Type": document["errorType"]},
        )
        sys.exit(1)
    serve(client, handler)


if __name__ == "__main__":
    main()
