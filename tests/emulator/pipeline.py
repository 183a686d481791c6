"""Runs the generated CodePipeline the way CodePipeline would, against moto, for the rehearsal.

Reads the pipeline from the delivery template (`AWS::CodePipeline::Pipeline`), then:

- Source: the S3 action's object (the bucket must be versioned), at its newest version, becomes
  the `Source` artifact in the artifact store (`<first 20 characters of the pipeline name>/...`).
- Every later stage in order; within a stage, actions by RunOrder, those of one RunOrder at
  once (CodePipeline User Guide, "Pipeline structure reference"). A CodeBuild action names a
  project that must exist (here: created by the delivery stack); its input artifacts must have
  been produced by an earlier action, are downloaded with the project's own role, and with more
  than one input `PrimarySource` must name one of them; its `EnvironmentVariables` are a JSON
  list of {name, value, type} overrides; its output artifacts are what the buildspec's
  `artifacts` section collects, uploaded to the store. A failed action fails its stage and
  stops the pipeline.

Usage: python pipeline.py TEMPLATE REGION ACCOUNT REPORT
Writes REPORT (JSON): every stage and action with its status, build id and log.
"""

import io
import json
import os
import shutil
import sys
import threading
import uuid
import zipfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import codebuild  # noqa: E402


class PipelineError(Exception):
    pass


def literal(value, what):
    if not isinstance(value, str):
        raise PipelineError(f"{what} is {json.dumps(value)}: the rehearsal reads literal values only")
    return value


def zip_dir(directory):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, _, files in os.walk(directory):
            for name in sorted(files):
                path = os.path.join(root, name)
                info = zipfile.ZipInfo(os.path.relpath(path, directory))
                info.external_attr = (os.stat(path).st_mode & 0o777) << 16
                with open(path, "rb") as f:
                    archive.writestr(info, f.read())
    return buffer.getvalue()


class Run:
    def __init__(self, template_path, region, account):
        template = yaml.safe_load(open(template_path))
        pipelines = [r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"]
        if len(pipelines) != 1:
            raise PipelineError(f"{template_path} holds {len(pipelines)} pipelines")
        self.pipeline = pipelines[0]["Properties"]
        self.region, self.account = region, account
        self.name = literal(self.pipeline["Name"], "the pipeline's name")
        store = self.pipeline["ArtifactStore"]
        self.store_bucket = literal(store["Location"], "the artifact store")
        self.prefix = self.name[:20]
        self.artifacts = {}  # artifact name -> S3 key in the store
        self.execution = str(uuid.uuid4())
        self.report = {"pipeline": self.name, "execution": self.execution, "stages": [], "status": "InProgress"}
        self.s3 = codebuild.client("s3", region)
        self.codebuild = codebuild.client("codebuild", region)

    def put_artifact(self, name, body, credentials=None):
        key = f"{self.prefix}/{name[:20]}/{uuid.uuid4().hex[:7]}"
        s3 = codebuild.client("s3", self.region, credentials) if credentials else self.s3
        s3.put_object(Bucket=self.store_bucket, Key=key, Body=body)
        self.artifacts[name] = key

    def get_artifact(self, name, credentials, into):
        if name not in self.artifacts:
            raise PipelineError(f"input artifact {name} was produced by no earlier action")
        s3 = codebuild.client("s3", self.region, credentials)
        body = s3.get_object(Bucket=self.store_bucket, Key=self.artifacts[name])["Body"].read()
        os.makedirs(into)
        zip_path = into + ".zip"
        with open(zip_path, "wb") as f:
            f.write(body)
        codebuild.extract(zip_path, into)

    def source(self, action):
        config = action["Configuration"]
        bucket = literal(config["S3Bucket"], "S3Bucket")
        key = literal(config["S3ObjectKey"], "S3ObjectKey")
        versioning = self.s3.get_bucket_versioning(Bucket=bucket).get("Status")
        if versioning != "Enabled":
            raise PipelineError(f"the S3 source bucket {bucket} is not versioned")
        head = self.s3.head_object(Bucket=bucket, Key=key)
        body = self.s3.get_object(Bucket=bucket, Key=key, VersionId=head["VersionId"])["Body"].read()
        for output in action.get("OutputArtifacts", []):
            self.put_artifact(output["Name"], body)
        return {"status": "Succeeded", "sourceVersion": head["VersionId"]}

    def build(self, action):
        config = action["Configuration"]
        name = literal(config["ProjectName"], "ProjectName")
        found = self.codebuild.batch_get_projects(names=[name])["projects"]
        if not found:
            raise PipelineError(f"CodeBuild project {name} does not exist")
        project = found[0]
        inputs = [i["Name"] for i in action.get("InputArtifacts", [])]
        primary = config.get("PrimarySource")
        if len(inputs) > 1 and primary not in inputs:
            raise PipelineError(f"{action['Name']}: {len(inputs)} input artifacts need a PrimarySource naming one")
        order = ([primary] if primary else []) + [i for i in inputs if i != primary]
        overrides = json.loads(config.get("EnvironmentVariables", "[]"))
        for variable in overrides:
            if set(variable) - {"name", "value", "type"} or variable.get("type", "PLAINTEXT") != "PLAINTEXT":
                raise PipelineError(f"{action['Name']}: environment variable {variable} is not a plain {name, value, type}")
        build_id = f"{name}:{uuid.uuid4()}"
        # CodeBuild downloads a pipeline's input artifacts with the project's own role.
        credentials = codebuild.role_credentials(project["serviceRole"], self.region, build_id)
        staging = os.path.join(codebuild.settings()["work"], "pipeline", self.execution, action["Name"])
        dirs = []
        for artifact in order:
            into = os.path.join(staging, artifact)
            self.get_artifact(artifact, credentials, into)
            dirs.append((artifact, into))
        request = {"environmentVariablesOverride": overrides, "initiator": f"codepipeline/{self.name}"}
        result = codebuild.run_build(project, request, self.region, self.account, build_id, inputs=dirs)
        shutil.rmtree(staging, ignore_errors=True)
        outcome = {"status": "Succeeded" if result["status"] == "SUCCEEDED" else "Failed", "build": build_id,
                   "log": result["log"], "phase": result["phase"], "message": result["message"],
                   "started": result.get("started"), "ended": result.get("ended")}
        if outcome["status"] == "Succeeded":
            for output in action.get("OutputArtifacts", []):
                if not result["output"]:
                    raise PipelineError(f"{action['Name']}: output artifact {output['Name']} but the build produced none")
                self.put_artifact(output["Name"], zip_dir(result["output"]), credentials)
        if result["output"]:
            shutil.rmtree(result["output"], ignore_errors=True)
        return outcome

    def run_action(self, action):
        provider = action["ActionTypeId"]["Provider"]
        try:
            if provider == "S3":
                return self.source(action)
            if provider == "CodeBuild":
                return self.build(action)
            raise PipelineError(f"action provider {provider} is not rehearsed")
        except Exception as err:  # noqa: BLE001 - the action's failure, reported
            return {"status": "Failed", "message": f"{type(err).__name__}: {err}"}

    def run(self):
        for stage in self.pipeline["Stages"]:
            record = {"name": stage["Name"], "actions": [], "status": "Succeeded"}
            self.report["stages"].append(record)
            orders = sorted({a.get("RunOrder", 1) for a in stage["Actions"]})
            for order in orders:
                group = [a for a in stage["Actions"] if a.get("RunOrder", 1) == order]
                results = [None] * len(group)

                def run(i, action):
                    results[i] = self.run_action(action)

                threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(group)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(timeout=codebuild.BUILD_TIMEOUT_SECONDS + 120)
                for action, result in zip(group, results):
                    result = result or {"status": "Failed", "message": "the action did not finish in time"}
                    record["actions"].append({"name": action["Name"], "runOrder": order, **result})
                    if result["status"] != "Succeeded":
                        record["status"] = "Failed"
            if record["status"] != "Succeeded":
                self.report["status"] = "Failed"
                return self.report
        self.report["status"] = "Succeeded"
        return self.report


if __name__ == "__main__":
    template, region, account, report_path = sys.argv[1:5]
    try:
        report = Run(template, region, account).run()
    except PipelineError as err:
        report = {"status": "Failed", "message": str(err), "stages": []}
    with open(report_path, "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps({"status": report["status"]}))
    sys.exit(0 if report["status"] == "Succeeded" else 1)
