"""Runs a CodeBuild build on this machine, the way CodeBuild runs it, for the end-to-end tests:
the same contract (source, buildspec path, environment, phases, exported variables, output
artifacts), with stand-ins for the tools that cannot run here (`standins/`).

What CodeBuild does, and this does (AWS CodeBuild User Guide, "Build specification reference"
and "Environment variables in build environments"; the StartBuild API reference):

- DOWNLOAD_SOURCE: an S3 source is the object at the project's location, at `sourceVersion` (an
  object version id) when given; a pipeline build gets its input artifacts, the primary one in
  CODEBUILD_SRC_DIR and each other in CODEBUILD_SRC_DIR_<artifact name>.
- The buildspec is the override, else the project's, a path relative to CODEBUILD_SRC_DIR: a
  missing or invalid one fails the build (YAML_FILE_ERROR) before any phase.
- Environment, lowest precedence first: the buildspec's `env.variables` and `env.secrets-manager`
  (read with the project's role; a missing secret or key fails the build), the project's, the
  request's overrides (a pipeline action's EnvironmentVariables are overrides); then the
  built-ins (CODEBUILD_SRC_DIR, CODEBUILD_BUILD_ID, CODEBUILD_BUILD_SUCCEEDING, AWS_REGION, ...).
- Buildspec 0.2 runs every command of every phase in one shell (`env.shell`), so variables and
  the working directory carry over; `exit N` fails the command it is in (here a function
  returning N, so the shell lives on: a command that goes on after its `exit` is not emulated). A failed command ends its phase. A failed install or
  pre_build ends the build; a failed build phase sets CODEBUILD_BUILD_SUCCEEDING=0 and post_build
  still runs. Exported variables are read when post_build ends. Output artifacts are the
  buildspec's `artifacts.files` under `base-directory`.
- The build runs with the project's service role: here, credentials from STS AssumeRole in moto.

Each build runs in its own mount namespace (`unshare`): a private /tmp and /usr/local/bin, so
parallel builds do not see each other's downloads and nothing is installed on this machine.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
import uuid
import zipfile

import boto3
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PHASES = ["install", "pre_build", "build", "post_build"]
BUILDSPEC_KEYS = {"version", "env", "phases", "artifacts", "run-as", "proxy", "batch", "reports", "cache"}
ENV_KEYS = {"shell", "variables", "parameter-store", "secrets-manager", "exported-variables", "git-credential-helper"}
PHASE_KEYS = {"run-as", "on-failure", "runtime-versions", "commands", "finally"}
ARTIFACT_KEYS = {"files", "name", "discard-paths", "base-directory", "exclude-paths", "enable-symlinks", "s3-prefix", "secondary-artifacts"}
# What `runtime-versions` may ask of the image every generated project uses,
# aws/codebuild/amazonlinux-x86_64-standard:5.0 (CodeBuild User Guide, "Runtimes of the
# available images"); only in the install phase (CodeBuild fails a build that asks elsewhere).
IMAGE_RUNTIMES = {"nodejs": {"18", "20", "22"}, "python": {"3.9", "3.10", "3.11", "3.12", "3.13"}}
BUILD_TIMEOUT_SECONDS = int(os.environ.get("TENANCY_EMULATOR_BUILD_TIMEOUT", "900"))


class BuildError(Exception):
    def __init__(self, phase, message):
        super().__init__(message)
        self.phase = phase


def kept_under_tmp(paths):
    """The outermost of `paths` that lie below /tmp (resolved), which a private /tmp would hide."""
    tmp = os.path.realpath("/tmp")
    under = sorted({
        real for real in (os.path.realpath(p) for p in paths if p)
        if real.startswith(tmp + os.sep) and os.path.isdir(real)
    })
    outermost = []
    for path in under:
        if not any(path.startswith(kept + os.sep) for kept in outermost):
            outermost.append(path)
    return [os.path.relpath(path, tmp) for path in outermost]


def sandbox_script(work, keep, bin_dir, command):
    """Shell lines, run in a fresh mount namespace, that give the build a private /tmp and
    /usr/local/bin and then run `command`.

    The private /tmp is a tmpfs, first mounted on a staging directory so that whatever the
    emulator itself needs below the real /tmp (a checkout in /tmp, its target directory, a
    venv) can be bound into it while still reachable, and only then moved onto /tmp. Mounting
    the tmpfs straight on /tmp would hide those paths from the build."""
    q = shlex.quote
    stage = os.path.join(work, "tmp-root")
    os.makedirs(stage)
    lines = [f"mount -t tmpfs tmpfs {q(stage)}"]
    for rel in kept_under_tmp(keep):
        lines.append(f"mkdir -p {q(os.path.join(stage, rel))}")
        lines.append(f"mount --bind {q(os.path.join('/tmp', rel))} {q(os.path.join(stage, rel))}")
    lines.append(f"mount --move {q(stage)} /tmp")
    lines.append(f"mount --bind {q(bin_dir)} /usr/local/bin")
    lines.append(command)
    return " && ".join(lines)


def settings():
    """The emulator's settings, from the environment of whoever runs builds."""
    return {
        "endpoint": os.environ["TENANCY_EMULATOR_ENDPOINT"],
        "work": os.environ["TENANCY_EMULATOR_WORK"],
        "state": os.environ["TENANCY_EMULATOR_STATE"],
        "path": os.environ["TENANCY_EMULATOR_PATH"],
        "tenancy_bin": os.environ.get("TENANCY_EMULATOR_TENANCY_BIN", ""),
    }


def client(service, region, credentials=None):
    s = settings()
    credentials = credentials or {"AccessKeyId": "test", "SecretAccessKey": "test", "SessionToken": None}
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=s["endpoint"],
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"),
    )


def role_credentials(role_arn, region, build_id):
    """The project's service role, assumed: every call the build makes is made as that role."""
    out = client("sts", region).assume_role(RoleArn=role_arn, RoleSessionName=build_id.replace(":", "-")[:64])
    return out["Credentials"]


def extract(zip_path, into):
    """Unzips with the entries' Unix permissions, as CodeBuild does."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = os.path.join(into, info.filename)
            if not os.path.realpath(target).startswith(os.path.realpath(into) + os.sep):
                raise BuildError("DOWNLOAD_SOURCE", f"unsafe path in the source archive: {info.filename}")
            if info.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode)


def download_s3_source(project, version, region, credentials, into):
    location = project["source"].get("location") or ""
    bucket, _, key = location.partition("/")
    if not bucket or not key:
        raise BuildError("DOWNLOAD_SOURCE", f"the project's S3 source location `{location}` is not <bucket>/<key>")
    s3 = client("s3", region, credentials)
    args = {"Bucket": bucket, "Key": key}
    if version:
        args["VersionId"] = version
    try:
        body = s3.get_object(**args)["Body"].read()
    except Exception as err:  # noqa: BLE001 - reported as the build's failure
        raise BuildError("DOWNLOAD_SOURCE", f"CLIENT_ERROR: cannot get s3://{location} ({version or 'latest'}): {err}")
    zip_path = into + ".zip"
    with open(zip_path, "wb") as f:
        f.write(body)
    os.makedirs(into)
    extract(zip_path, into)


def secrets(spec, region, credentials):
    """The buildspec's `env.secrets-manager` variables, read as the project's role reads them
    (`secret-id:json-key[:version-stage[:version-id]]`; the secret's whole string without a
    key). A secret or key that is not there fails the build before any phase, as CodeBuild's
    does (its message names the secret)."""
    values = {}
    wanted = (spec.get("env") or {}).get("secrets-manager") or {}
    if not wanted:
        return values
    manager = client("secretsmanager", region, credentials)
    for name, reference in wanted.items():
        secret, _, rest = str(reference).partition(":")
        key, _, rest = rest.partition(":")
        stage, _, version = rest.partition(":")
        args = {"SecretId": secret}
        if stage:
            args["VersionStage"] = stage
        if version:
            args["VersionId"] = version
        try:
            text = manager.get_secret_value(**args)["SecretString"]
        except Exception as err:  # noqa: BLE001 - reported as the build's failure
            raise BuildError("PROVISIONING", f"Secrets Manager error: {secret}: {err}")
        if not key:
            values[name] = text
            continue
        try:
            document = json.loads(text)
        except ValueError:
            raise BuildError("PROVISIONING", f"Secrets Manager error: {secret} is not JSON, so it has no key {key}")
        if not isinstance(document, dict) or key not in document:
            raise BuildError("PROVISIONING", f"Secrets Manager error: {secret} has no key {key}")
        values[name] = str(document[key])
    return values


def load_buildspec(src, path):
    full = os.path.join(src, path)
    if not os.path.isfile(full):
        raise BuildError("DOWNLOAD_SOURCE", f"YAML_FILE_ERROR: stat {full}: no such file or directory")
    try:
        spec = yaml.safe_load(open(full))
    except yaml.YAMLError as err:
        raise BuildError("DOWNLOAD_SOURCE", f"YAML_FILE_ERROR: {path}: {err}")
    problems = []
    if not isinstance(spec, dict) or str(spec.get("version")) != "0.2":
        raise BuildError("DOWNLOAD_SOURCE", f"YAML_FILE_ERROR: {path}: version must be 0.2")
    problems += [f"unknown key `{k}`" for k in spec if k not in BUILDSPEC_KEYS]
    env = spec.get("env") or {}
    problems += [f"unknown key `env.{k}`" for k in env if k not in ENV_KEYS]
    for name, phase in (spec.get("phases") or {}).items():
        if name not in PHASES:
            problems.append(f"unknown phase `{name}`")
            continue
        problems += [f"unknown key `phases.{name}.{k}`" for k in (phase or {}) if k not in PHASE_KEYS]
        for runtime, version in ((phase or {}).get("runtime-versions") or {}).items():
            if name != "install":
                problems.append(f"phases.{name}.runtime-versions: runtimes are chosen in the install phase only")
            elif str(version) not in IMAGE_RUNTIMES.get(runtime, set()):
                problems.append(f"phases.install.runtime-versions: {runtime} {version} is not a runtime of the image")
    problems += [f"unknown key `artifacts.{k}`" for k in (spec.get("artifacts") or {}) if k not in ARTIFACT_KEYS]
    for name, value in (env.get("variables") or {}).items():
        if not isinstance(value, str):
            problems.append(f"env.variables.{name} is not a string")
    if problems:
        raise BuildError("DOWNLOAD_SOURCE", f"YAML_FILE_ERROR: {path}: " + "; ".join(problems))
    return spec


def script(spec, status_path, exported_path):
    """One bash script running every phase, CodeBuild's way (see the module's docstring)."""
    lines = [
        "set +e",
        "export CODEBUILD_BUILD_SUCCEEDING=1",
        # `exit N` in a command fails that command, as in CodeBuild, instead of ending the
        # shell that runs every phase.
        'exit() { return "${1:-0}"; }',
        f"mark() {{ printf '%s %s\\n' \"$1\" \"$2\" >> {shlex.quote(status_path)}; }}",
        'cd "$CODEBUILD_SRC_DIR"',
    ]
    for phase in PHASES:
        body = ((spec.get("phases") or {}).get(phase) or {})
        commands = body.get("commands") or []
        lines.append(f"mark phase {phase}")
        if phase == "post_build":
            lines.append("mark phase-start post_build")
        lines.append(f"__ok=1")
        for i, command in enumerate(commands):
            if not isinstance(command, str):
                command = json.dumps(command)
            lines.append(f"if [ $__ok = 1 ]; then mark command {phase}:{i}; eval {shlex.quote(command)}; __rc=$?; "
                         f"if [ $__rc != 0 ]; then __ok=0; mark failed \"{phase}:{i}:$__rc\"; fi; fi")
        for i, command in enumerate(body.get("finally") or []):
            lines.append(f"eval {shlex.quote(command)} || __ok=0")
        if phase in ("install", "pre_build"):
            lines.append(f"if [ $__ok = 0 ]; then mark end FAILED; builtin exit 0; fi")
        elif phase == "build":
            lines.append("if [ $__ok = 0 ]; then export CODEBUILD_BUILD_SUCCEEDING=0; fi")
        else:
            lines.append("if [ $__ok = 0 ]; then mark end FAILED; builtin exit 0; fi")
    exported = (spec.get("env") or {}).get("exported-variables") or []
    for name in exported:
        lines.append(f"printf '%s=%s\\0' {shlex.quote(name)} \"${{{name}-}}\" >> {shlex.quote(exported_path)}")
    lines.append('if [ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ]; then mark end SUCCEEDED; else mark end FAILED; fi')
    return "\n".join(lines) + "\n"


def run_build(project, request, region, account, build_id, inputs=None):
    """Runs one build. `project` is CodeBuild's project description (BatchGetProjects' shape);
    `request` the StartBuild parameters; `inputs` the pipeline's input artifacts as
    [(name, directory)], primary first, when a pipeline runs the build. Returns the build's
    status, the phase it ended in, its exported variables and its output directory."""
    s = settings()
    work = os.path.join(s["work"], "builds", build_id.replace(":", "_").replace("/", "_"))
    os.makedirs(work)
    log_path = os.path.join(work, "log.txt")
    status_path = os.path.join(work, "status")
    exported_path = os.path.join(work, "exported")
    result = {"id": build_id, "status": "FAILED", "phase": "SUBMITTED", "exported": {}, "log": log_path,
              "work": work, "output": None, "message": "", "started": time.time(), "ended": None}
    try:
        credentials = role_credentials(project["serviceRole"], region, build_id)
        src = os.path.join(work, "src")
        env = {}
        if inputs:
            primary_name, primary_dir = inputs[0]
            shutil.copytree(primary_dir, src, symlinks=True)
            for name, directory in inputs[1:]:
                target = os.path.join(work, f"src_{name}")
                shutil.copytree(directory, target, symlinks=True)
                env[f"CODEBUILD_SRC_DIR_{name}"] = target
        elif project["source"].get("type") == "S3":
            download_s3_source(project, request.get("sourceVersion"), region, credentials, src)
            env["CODEBUILD_SOURCE_VERSION"] = request.get("sourceVersion") or ""
        else:
            raise BuildError("DOWNLOAD_SOURCE", f"source type {project['source'].get('type')} is not emulated")
        buildspec = request.get("buildspecOverride") or project["source"].get("buildspec")
        if not buildspec or "\n" in buildspec:
            raise BuildError("DOWNLOAD_SOURCE", "an inline buildspec is not emulated; name a file in the source")
        spec = load_buildspec(src, buildspec)
        for name, value in ((spec.get("env") or {}).get("variables") or {}).items():
            env[name] = value
        env.update(secrets(spec, region, credentials))
        for variable in project["environment"].get("environmentVariables", []):
            env[variable["name"]] = variable["value"]
        for variable in request.get("environmentVariablesOverride") or []:
            env[variable["name"]] = variable["value"]
        home = os.path.join(work, "home")
        bin_dir = os.path.join(work, "usr-local-bin")
        for d in (home, bin_dir):
            os.makedirs(d)
        env.update({
            "CODEBUILD_SRC_DIR": src,
            "CODEBUILD_BUILD_ID": build_id,
            "CODEBUILD_BUILD_ARN": f"arn:aws:codebuild:{region}:{account}:build/{build_id}",
            "CODEBUILD_INITIATOR": request.get("initiator", "tenancy"),
            "CODEBUILD_BUILD_IMAGE": project["environment"].get("image") or "",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
            "AWS_ENDPOINT_URL": s["endpoint"],
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": home,
            "PATH": s["path"],
            "LANG": "C.UTF-8",
            "TENANCY_EMULATOR_STATE": s["state"],
            "TENANCY_EMULATOR_TENANCY_BIN": s["tenancy_bin"],
            "TENANCY_EMULATOR_PRIVILEGED": "1" if project["environment"].get("privilegedMode") else "0",
        })
        shell = (spec.get("env") or {}).get("shell") or "/bin/sh"
        shell = {"bash": "bash", "/bin/sh": "sh", "sh": "sh"}.get(shell)
        if shell is None:
            raise BuildError("DOWNLOAD_SOURCE", f"YAML_FILE_ERROR: env.shell must be bash or /bin/sh")
        script_path = os.path.join(work, "build.sh")
        with open(script_path, "w") as f:
            f.write(script(spec, status_path, exported_path))
        keep = [s["work"], s["state"], src, *s["path"].split(os.pathsep), sys.prefix]
        if s["tenancy_bin"]:
            keep.append(os.path.dirname(s["tenancy_bin"]))
        sandbox = sandbox_script(work, keep, bin_dir, f"exec {shell} {shlex.quote(script_path)}")
        result["phase"] = "INSTALL"
        with open(log_path, "w") as log:
            try:
                subprocess.run(
                    ["unshare", "--mount", "--propagation", "private", "sh", "-c", sandbox],
                    env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    timeout=BUILD_TIMEOUT_SECONDS, check=False,
                )
            except subprocess.TimeoutExpired:
                raise BuildError("BUILD", f"TIMED_OUT after {BUILD_TIMEOUT_SECONDS} s")
        marks = [line.split(" ", 2) for line in open(status_path).read().splitlines()] if os.path.exists(status_path) else []
        ended = [m for m in marks if m[0] == "end"]
        failed = [m[1] for m in marks if m[0] == "failed"]
        last_phase = [m[1] for m in marks if m[0] == "phase"]
        result["phase"] = (last_phase[-1] if last_phase else "INSTALL").upper()
        if not ended:
            raise BuildError(result["phase"], "the build's shell exited in the middle of a command (an `exit` in a buildspec ends the build)")
        result["status"] = ended[-1][1]
        if failed:
            result["message"] = "failed commands: " + ", ".join(failed)
        if os.path.exists(exported_path):
            for item in open(exported_path).read().split("\0"):
                if item:
                    name, _, value = item.partition("=")
                    result["exported"][name] = value
        if result["status"] == "SUCCEEDED" and spec.get("artifacts"):
            result["output"] = collect_artifacts(spec["artifacts"], src, os.path.join(work, "output"))
        if result["status"] == "SUCCEEDED":
            result["phase"] = "COMPLETED"
    except BuildError as err:
        result["phase"], result["message"] = err.phase, str(err)
        with open(log_path, "a") as log:
            log.write(f"[emulator] {err.phase}: {err}\n")
    except Exception as err:  # noqa: BLE001 - a harness failure is the build's failure, with its cause
        result["message"] = f"emulator error: {err!r}"
        with open(log_path, "a") as log:
            log.write(f"[emulator] error: {err!r}\n")
    result["ended"] = time.time()
    # What the build unpacked and installed goes with it (a pipeline run would fill the disk);
    # its log, result and output artifacts stay.
    if not os.environ.get("TENANCY_EMULATOR_KEEP"):
        for d in ("src", "src.zip", "home", "usr-local-bin", "tmp-root") + tuple(
            name for name in os.listdir(work) if name.startswith("src_")
        ):
            path = os.path.join(work, d)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.exists(path):
                os.remove(path)
    with open(os.path.join(work, "result.json"), "w") as f:
        json.dump(result, f, indent=2)
    with open(os.path.join(s["state"], "builds.jsonl"), "a") as f:
        f.write(json.dumps({"id": build_id, "project": project["name"], "status": result["status"],
                            "phase": result["phase"], "message": result["message"], "log": log_path,
                            "started": result["started"], "ended": result["ended"]}) + "\n")
    return result


def collect_artifacts(artifacts, src, out):
    base = os.path.join(src, artifacts.get("base-directory") or "")
    os.makedirs(out)
    for pattern in artifacts.get("files") or []:
        matched = False
        for path in sorted(__import__("glob").glob(os.path.join(base, pattern), recursive=True)):
            if os.path.isfile(path):
                relative = os.path.relpath(path, base)
                target = os.path.join(out, os.path.basename(path) if artifacts.get("discard-paths") == "yes" else relative)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(path, target)
                matched = True
        if not matched:
            raise BuildError("UPLOAD_ARTIFACTS", f"CLIENT_ERROR: no matching artifact paths found for {pattern}")
    return out


class Build:
    """A build moto's StartBuild started: run on a thread, described like BatchGetBuilds."""

    def __init__(self, account, region, project, request):
        self.account, self.region, self.project, self.request = account, region, project, request
        self.id = f"{project['name']}:{uuid.uuid4()}"
        self.started = time.time()
        self.result = None

    def start(self):
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        self.result = run_build(self.project, self.request, self.region, self.account, self.id)

    def variables(self):
        merged = {}
        for variable in self.project["environment"].get("environmentVariables", []):
            merged[variable["name"]] = variable
        for variable in self.request.get("environmentVariablesOverride") or []:
            merged[variable["name"]] = variable
        return list(merged.values())

    def describe(self):
        done = self.result is not None
        build = {
            "id": self.id,
            "arn": f"arn:aws:codebuild:{self.region}:{self.account}:build/{self.id}",
            "projectName": self.project["name"],
            "startTime": self.started,
            "buildStatus": self.result["status"] if done else "IN_PROGRESS",
            "currentPhase": self.result["phase"] if done else "BUILD",
            "buildComplete": done,
            "sourceVersion": self.request.get("sourceVersion"),
            # The build's own environment: the project's variables with the overrides applied,
            # as BatchGetBuilds reports them (a step finds its build by them).
            "environment": {
                "type": self.project["environment"].get("type"),
                "image": self.project["environment"].get("image"),
                "computeType": self.project["environment"].get("computeType"),
                "environmentVariables": self.variables(),
            },
            "logs": {"deepLink": f"file://{self.result['log']}" if done else "", "groupName": "", "streamName": ""},
        }
        if done:
            build["exportedEnvironmentVariables"] = [{"name": k, "value": v} for k, v in self.result["exported"].items()]
        return build
