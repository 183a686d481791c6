"""Shared helpers of the stand-ins (see README.md beside this file).

A stand-in is imported from its own directory, or, when it runs as a copy somewhere else (the
curl stand-in serves the eksctl, kubectl, helm and rustup-init stand-ins' bytes as the published
artifacts, and a build installs them into /usr/local/bin or /tmp), from the first PATH entry
that holds this file: every stand-in starts with

    def _find():
        for d in [os.path.dirname(os.path.realpath(__file__))] + os.environ.get("PATH", "").split(":"):
            if d and os.path.isfile(os.path.join(d, "_standin.py")):
                return d
    sys.path.insert(0, _find() or ".")

Every invocation appends one JSON line to $TENANCY_EMULATOR_STATE/calls.jsonl:
{"tool", "args", "cwd", "ok", "error", "exit"}. `ok` is false when the stand-in refused (what
the real tool would refuse, or what fails); a legitimate non-zero answer (eksctl get cluster of a
cluster that does not exist) is ok with its exit code.
"""

import base64
import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import traceback
import urllib.error
import urllib.request

import yaml

HERE = os.path.dirname(os.path.realpath(__file__))
ACCOUNT_RE = re.compile(r"^\d{12}$")


class Refusal(Exception):
    """The real tool would refuse this (or it fails): message for stderr, exit code."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.message = message
        self.code = code


class Answer(Exception):
    """A legitimate non-zero exit (not a refusal): message for stderr, exit code."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


def standin_file(name):
    """The path of a stand-in (or helper) of this directory."""
    return os.path.join(HERE, name)


def state_dir(*parts):
    base = os.environ.get("TENANCY_EMULATOR_STATE")
    if not base:
        raise Refusal("stand-in: TENANCY_EMULATOR_STATE is not set (the rehearsal sets it for every build)")
    path = os.path.join(base, *parts)
    os.makedirs(path, exist_ok=True)
    return path


def record(tool, args, ok, error=None, code=0):
    base = os.environ.get("TENANCY_EMULATOR_STATE")
    if not base:
        return
    os.makedirs(base, exist_ok=True)
    line = json.dumps({"tool": tool, "args": list(args), "cwd": os.getcwd(), "ok": ok, "error": error,
                       "exit": code}) + "\n"
    fd = os.open(os.path.join(base, "calls.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def main(tool, run):
    """Runs `run(args)`, records the call, exits with the tool's exit code."""
    args = sys.argv[1:]
    try:
        code = run(args) or 0
    except Refusal as refusal:
        sys.stdout.flush()
        print(refusal.message, file=sys.stderr)
        record(tool, args, False, refusal.message, refusal.code)
        sys.exit(refusal.code)
    except Answer as answer:
        sys.stdout.flush()
        if answer.message:
            print(answer.message, file=sys.stderr)
        record(tool, args, True, None, answer.code)
        sys.exit(answer.code)
    except Exception as err:  # noqa: BLE001 - a stand-in's own failure is a failed call, with its cause
        message = f"{tool} stand-in error: {err!r}\n{traceback.format_exc()}"
        print(message, file=sys.stderr)
        record(tool, args, False, message, 70)
        sys.exit(70)
    sys.stdout.flush()
    record(tool, args, True, None, code)
    sys.exit(code)


def require_installed(name):
    """The stand-ins of downloaded tools (eksctl, kubectl, helm) are first on the PATH, so they
    run whatever the build installed: they answer only when the build did install the tool
    somewhere else on the PATH (as CodeBuild's image has none of them), like bash's `command
    not found` otherwise."""
    me = os.path.realpath(sys.argv[0])
    if os.path.dirname(me) != HERE:
        return  # run as the installed copy itself
    for d in os.environ.get("PATH", "").split(":"):
        if not d or os.path.realpath(d) == HERE:
            continue
        candidate = os.path.join(d, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return
    raise Refusal(f"bash: {name}: command not found (the build did not install it)", 127)


@contextlib.contextmanager
def locked(name):
    """An exclusive lock shared by every build of the rehearsal."""
    path = os.path.join(state_dir("locks"), name + ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def region(explicit=None):
    r = explicit or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not r:
        raise Refusal("no region: neither --region nor AWS_REGION/AWS_DEFAULT_REGION is set")
    return r


class AwsError(Exception):
    def __init__(self, args, code, stderr):
        super().__init__(stderr.strip())
        self.args_ = args
        self.code = code
        self.stderr = stderr.strip()


def aws(*args, region_name=None, parse=True):
    """Runs the real AWS CLI (on the PATH, pointed at moto by AWS_ENDPOINT_URL) with --region
    and JSON output; returns the parsed output, or raises AwsError."""
    command = ["aws", *args, "--region", region(region_name), "--output", "json"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if out.returncode != 0:
        raise AwsError(command, out.returncode, out.stderr)
    if not parse:
        return out.stdout
    return json.loads(out.stdout) if out.stdout.strip() else {}


def account_id(region_name=None):
    account = aws("sts", "get-caller-identity", region_name=region_name)["Account"]
    if not ACCOUNT_RE.match(account):
        raise Refusal(f"sts get-caller-identity gave no account: {account!r}")
    return account


# YAML ----------------------------------------------------------------------------------------


class StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys (as Go's strict YAML parsers do)."""


def _mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(text):
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass


def load_yaml_all(text):
    return list(yaml.load_all(text, Loader=StrictLoader))  # noqa: S506 - a SafeLoader subclass


# Kubeconfig ----------------------------------------------------------------------------------

NO_SERVER = 'The connection to the server localhost:8080 was refused - did you specify the right host or port?'


def kubeconfig_paths():
    value = os.environ.get("KUBECONFIG")
    if value:
        return [p for p in value.split(":") if p]
    return [os.path.join(os.path.expanduser("~"), ".kube", "config")]


def load_kubeconfig(unreachable):
    """The current context of the kubeconfig, as kubectl and helm resolve it (the first file
    that sets a value wins): {server, ca, insecure, user, namespace, context}. `unreachable` is
    the tool's message when there is no cluster to talk to (both fall back to localhost:8080)."""
    merged = {"clusters": {}, "users": {}, "contexts": {}, "current-context": None}
    for path in kubeconfig_paths():
        if not os.path.isfile(path):
            continue
        try:
            doc = load_yaml(open(path).read()) or {}
        except yaml.YAMLError as err:
            raise Refusal(f"error: error loading config file \"{path}\": {err}")
        if not isinstance(doc, dict):
            raise Refusal(f"error: error loading config file \"{path}\": not a mapping")
        if doc.get("kind", "Config") != "Config":
            raise Refusal(f"error: error loading config file \"{path}\": kind {doc.get('kind')!r} is not Config")
        for section in ("clusters", "users", "contexts"):
            for item in doc.get(section) or []:
                if isinstance(item, dict) and item.get("name") and item["name"] not in merged[section]:
                    merged[section][item["name"]] = item
        if merged["current-context"] is None and doc.get("current-context"):
            merged["current-context"] = doc["current-context"]
    name = merged["current-context"]
    if not name:
        raise Refusal(unreachable)
    context = (merged["contexts"].get(name) or {}).get("context")
    if not context:
        raise Refusal(f'error: context "{name}" does not exist')
    cluster = (merged["clusters"].get(context.get("cluster")) or {}).get("cluster")
    if not cluster or not cluster.get("server"):
        raise Refusal(f'error: cluster "{context.get("cluster")}" of context "{name}" has no server')
    user = (merged["users"].get(context.get("user")) or {}).get("user") or {}
    return {
        "context": name,
        "server": cluster["server"].rstrip("/"),
        "ca": cluster.get("certificate-authority-data"),
        "ca_file": cluster.get("certificate-authority"),
        "insecure": bool(cluster.get("insecure-skip-tls-verify")),
        "user": user,
        "namespace": context.get("namespace") or "default",
    }


EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")


def bearer_token(user, tool):
    """The bearer token of a kubeconfig user: `token`, or the ExecCredential its `exec` plugin
    prints (client-go's rules: apiVersion v1 or v1beta1, `status.token`)."""
    if user.get("token"):
        return user["token"]
    spec = user.get("exec")
    if not spec:
        raise Refusal(f"{tool}: the kubeconfig user has neither a token nor an exec plugin (no other auth is emulated)")
    api_version = spec.get("apiVersion")
    if api_version not in EXEC_API_VERSIONS:
        raise Refusal(f'error: exec plugin: invalid apiVersion "{api_version}"')
    command = spec.get("command")
    if not command:
        raise Refusal("error: exec plugin: no command")
    env = dict(os.environ)
    for item in spec.get("env") or []:
        env[item["name"]] = item["value"]
    env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}})
    try:
        out = subprocess.run([command, *(spec.get("args") or [])], env=env, capture_output=True, text=True,
                             timeout=120, check=False)
    except FileNotFoundError:
        raise Refusal(f'error: exec: executable {command} not found')
    if out.returncode != 0:
        raise Refusal(f"error: exec plugin {command} failed with exit code {out.returncode}: {out.stderr.strip()}")
    try:
        credential = json.loads(out.stdout)
    except json.JSONDecodeError:
        raise Refusal(f"error: exec plugin {command} printed no ExecCredential: {out.stdout[:200]!r}")
    if credential.get("kind") != "ExecCredential" or credential.get("apiVersion") != api_version:
        raise Refusal(f"error: exec plugin: the ExecCredential's apiVersion/kind {credential.get('apiVersion')}/"
                      f"{credential.get('kind')} does not match {api_version}")
    token = (credential.get("status") or {}).get("token")
    if not token:
        raise Refusal("error: exec plugin: the ExecCredential has no status.token")
    return token


def kube_request(config, method, path, token, body=None, content_type=None, user_agent="stand-in"):
    """One request to the kubeconfig's API server: (status, parsed body or text)."""
    url = config["server"] + path
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": user_agent}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    context = None
    if url.startswith("https://"):
        if config["insecure"]:
            context = ssl._create_unverified_context()  # noqa: S323 - the kubeconfig says so
        else:
            cadata = base64.b64decode(config["ca"]).decode() if config.get("ca") else None
            context = ssl.create_default_context(cafile=config.get("ca_file"), cadata=cadata)
    try:
        with urllib.request.urlopen(request, context=context, timeout=60) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    except (urllib.error.URLError, OSError) as err:
        raise Refusal(f"Unable to connect to the server: {getattr(err, 'reason', err)}")
    text = raw.decode(errors="replace")
    try:
        return status, json.loads(text)
    except json.JSONDecodeError:
        return status, text


def copy_executable(source, target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)
    os.chmod(target, 0o755)
