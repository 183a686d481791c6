"""Starts moto's server for the end-to-end tests, with its gaps closed where tenancy's contract
with AWS runs through them. moto runs unchanged otherwise.

1. Change sets (the only way tenancy makes stacks, as on AWS): moto builds a CREATE change set's
   stack without the account's exports, so `Fn::ImportValue` fails, and after executing a change
   set it never rebuilds the stack's outputs or registers its exports. Both are fixed here.
2. Resource types moto does not implement inside CloudFormation (Cognito, CloudFront, ACM, WAF,
   CodeBuild, CodePipeline, EKS Pod Identity associations, bucket policies) become stand-ins:
   their properties are resolved like any resource's, `Ref` and `Fn::GetAtt` give values of the
   shape AWS gives (an ACM certificate's Ref is a certificate ARN, a user pool's id looks like
   `eu-west-1_AbC123xyZ`), and a CodeBuild project is also created in moto's CodeBuild, so
   builds start on the project the template declares. User pools, their clients, groups, users
   and group memberships are also made in moto's Cognito (with the ids it gives), and deleted
   with their stacks, so that what the services and the job do to them is done to real ones. A
   distribution also exists in moto's CloudFront under the stand-in's id, so that a site build's
   invalidation of it is answered (and an invalidation of any other id refused). The generated
   templates deploy as they are: no emulator view of them.
3. KMS keys: moto reads a key's CloudFormation `Tags` in the KMS API's shape; they are
   translated. Buckets: moto ignores `VersioningConfiguration`; it is applied. ECR repositories:
   moto keeps `ImageScanningConfiguration` in CloudFormation's casing; it gets the API's.
   CloudFront invalidations: moto's status `COMPLETED` is CloudFront's `Completed`.
4. CodeBuild: moto's builds "succeed" without running. With TENANCY_EMULATOR_BUILDS set, a build
   runs its buildspec on this machine (`codebuild.py`): source downloaded from moto's S3 at the
   requested version, phases in order, the project's and the request's environment, exported
   variables returned, stand-ins for the tools that cannot run here.
5. EKS: a cluster's endpoint is the mock Kubernetes API server (TENANCY_KUBE_URL), and its
   certificate data is a real (self-signed) certificate, so `aws eks update-kubeconfig` writes a
   kubeconfig a client can use.
6. The account's prerequisites: the hosted zones a blueprint names by id
   (TENANCY_EMULATOR_HOSTED_ZONES) exist with those ids.
7. DynamoDB writes one at a time: moto's TransactWriteItems deep-copies the tables while other
   request threads write to them, and fails with a 500 ("dictionary changed size during
   iteration") when sign-ups arrive at once. DynamoDB itself takes concurrent writes; here they
   are serialized, which changes no answer.

Usage: python moto_server.py PORT
"""

import base64
import datetime
import inspect
import json
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from moto.cloudformation import models, parsing  # noqa: E402
from moto.core.common_models import CloudFormationModel  # noqa: E402
from moto.server import main  # noqa: E402

# 1. Change sets ---------------------------------------------------------------------------

# moto's server answers requests on threads, and executing a change set sets a stack's state
# field by field: the status first, then the template, then (here) the outputs. On AWS a stack
# that reads CREATE_COMPLETE has its outputs. Change-set calls and the reads of stacks and
# change sets take one lock here, so that no request sees a stack half-executed. Found by the
# kill -9 campaign: a rerun started while moto was still executing the killed run's change set
# read CREATE_COMPLETE, found no changes, and got the stack without its outputs.
CHANGE_SETS = threading.RLock()

original_execute = models.CloudFormationBackend.execute_change_set


def execute_change_set(self, change_set_name, stack_name=None):
    with CHANGE_SETS:
        original_execute(self, change_set_name, stack_name)
        stack = self.stacks[self.describe_change_set(change_set_name).stack_id]
        if stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            stack._parse_template()
            stack.output_map = stack._create_output_map()
            for export in stack.exports:
                self.exports[export.name] = export


models.CloudFormationBackend.execute_change_set = execute_change_set

original_create = models.CloudFormationBackend.create_change_set


def create_change_set(self, *args, **kwargs):
    with CHANGE_SETS:
        return create_change_set_joining_review(self, *args, **kwargs)


def create_change_set_joining_review(self, *args, **kwargs):
    call = inspect.signature(original_create).bind(self, *args, **kwargs).arguments
    # A CREATE change set for a stack left in REVIEW_IN_PROGRESS (an earlier CREATE change set
    # never executed) belongs to that stack on AWS, as the AWS CLI's `deploy` relies on; moto
    # would make a second stack of the same name.
    waiting = [
        st
        for st in self.stacks.values()
        if st.name == call["stack_name"] and st.status == "REVIEW_IN_PROGRESS"
    ]
    change_set_id, stack_id = original_create(self, *args, **kwargs)
    if call["change_set_type"] == "CREATE" and waiting:
        del self.stacks[stack_id]
        change_set = self.change_sets[change_set_id]
        change_set.stack, change_set.stack_id, change_set.stack_name = waiting[0], waiting[0].stack_id, waiting[0].name
        stack_id = waiting[0].stack_id
    stack = self.stacks[stack_id]
    if stack.cross_stack_resources is not self.exports:
        stack.cross_stack_resources = self.exports
        stack.resource_map = stack._create_resource_map()
    return change_set_id, stack_id


models.CloudFormationBackend.create_change_set = create_change_set


def serialized(method):
    def call(self, *args, **kwargs):
        with CHANGE_SETS:
            return method(self, *args, **kwargs)

    return call


for read in ("describe_stacks", "describe_change_set", "delete_change_set"):
    setattr(models.CloudFormationBackend, read, serialized(getattr(models.CloudFormationBackend, read)))

# 2. Stand-ins for resource types moto skips -------------------------------------------------

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def random_text(n, alphabet=ALPHABET):
    return "".join(alphabet[b % len(alphabet)] for b in os.urandom(n))


class StandIn(CloudFormationModel):
    """A resource moto does not implement: its resolved properties, an id and attributes of
    the shape AWS gives."""

    # moto's model registry files models by the second part of their module's name.
    __module__ = "tenancy_emulator.standins"

    def __init__(self, account_id, region, logical_id, resource_type, properties, stack_name):
        self.account_id = account_id
        self.region = region
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.properties = properties
        self.id = self._make_id(stack_name)

    def _arn(self, service, resource, region=None, account=None):
        region = self.region if region is None else region
        account = self.account_id if account is None else account
        return f"arn:aws:{service}:{region}:{account}:{resource}"

    def _make_id(self, stack_name):
        p, t = self.properties, self.resource_type
        if t == "AWS::Cognito::UserPool":
            return f"{self.region}_{random_text(9, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}"
        if t == "AWS::Cognito::UserPoolClient":
            return random_text(26)
        if t == "AWS::CertificateManager::Certificate":
            return self._arn("acm", f"certificate/{uuid.uuid4()}")
        if t == "AWS::WAFv2::WebACL":
            return f"{p.get('Name', self.logical_id)}|{uuid.uuid4()}|{p.get('Scope', 'REGIONAL')}"
        if t == "AWS::CloudFront::Distribution":
            return "E" + random_text(13, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        if t == "AWS::EKS::PodIdentityAssociation":
            return self._arn("eks", f"podidentityassociation/{p['ClusterName']}/a-{random_text(17)}")
        if t in ("AWS::CodeBuild::Project", "AWS::CodePipeline::Pipeline") and "Name" in p:
            return p["Name"]
        if t == "AWS::S3::BucketPolicy":
            return p["Bucket"]
        if t == "AWS::Cognito::UserPoolDomain":
            return p["Domain"]
        if t == "AWS::Cognito::UserPoolGroup":
            return p.get("GroupName", self.logical_id)
        if t == "AWS::Cognito::UserPoolUser":
            return p.get("Username", self.logical_id)
        return f"{stack_name}-{self.logical_id}-{random_text(12)}"

    @property
    def physical_resource_id(self):
        return self.id

    @staticmethod
    def cloudformation_type():
        return "tenancy::StandIn"

    @classmethod
    def has_cfn_attr(cls, attr):
        return True

    def get_cfn_attribute(self, attr):
        p, t = self.properties, self.resource_type
        if t == "AWS::WAFv2::WebACL":
            name, acl_id, _ = self.id.split("|")
            scope = "global" if p.get("Scope") == "CLOUDFRONT" else "regional"
            return {"Arn": self._arn("wafv2", f"{scope}/webacl/{name}/{acl_id}"), "Id": acl_id}.get(attr, acl_id)
        if t == "AWS::Cognito::UserPool":
            return {
                "Arn": self._arn("cognito-idp", f"userpool/{self.id}"),
                "UserPoolId": self.id,
                "ProviderName": f"cognito-idp.{self.region}.amazonaws.com/{self.id}",
                "ProviderURL": f"https://cognito-idp.{self.region}.amazonaws.com/{self.id}",
            }[attr]
        if t == "AWS::Cognito::UserPoolClient":
            return {"ClientId": self.id, "Name": p.get("ClientName", "")}.get(attr, "")
        if t == "AWS::CloudFront::Distribution":
            return {"DomainName": f"d{random_text(13)}.cloudfront.net", "Id": self.id}[attr]
        if t == "AWS::EKS::PodIdentityAssociation":
            return {"AssociationArn": self.id, "AssociationId": self.id.rsplit("/", 1)[-1]}[attr]
        if t == "AWS::CodeBuild::Project" and attr == "Arn":
            return self._arn("codebuild", f"project/{self.id}")
        if attr == "Arn":
            service = t.split("::")[1].lower()
            return self._arn(service, f"{self.logical_id}/{self.id}")
        return f"standin-{self.logical_id}-{attr}"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json.get("Properties", {})
        stack = models.cloudformation_backends[account_id][region_name].get_stack(kwargs["StackId"])
        resource = cls(account_id, region_name, kwargs["LogicalId"], kwargs["ResourceType"], properties, stack.name)
        resource.created()
        return resource

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        original_resource.properties = cloudformation_json.get("Properties", {})
        # The Cognito objects stay what their creation made (an update changes no name, pool or
        # username the generated templates set); the rest is made again from the new properties.
        if not original_resource.resource_type.startswith("AWS::Cognito::"):
            original_resource.created()
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        if cloudformation_json.get("Type") == "AWS::CodeBuild::Project":
            from moto.codebuild.models import codebuild_backends

            codebuild_backends[account_id][region_name].codebuild_projects.pop(resource_name, None)

    def delete(self, account_id, region_name):
        self.delete_from_cloudformation_json(self.id, {"Type": self.resource_type}, account_id, region_name)
        self.cognito_deleted()
        if self.resource_type == "AWS::CloudFront::Distribution":
            self.cloudfront().distributions.pop(self.id, None)

    def cognito(self):
        from moto.cognitoidp.models import cognitoidp_backends

        return cognitoidp_backends[self.account_id][self.region]

    def cognito_created(self):
        """A Cognito object also exists in moto's Cognito, with the id Cognito gives it, so that
        the services and the job call pools, clients, groups and users the stacks made."""
        p, t, idp = self.properties, self.resource_type, self.cognito()
        if t == "AWS::Cognito::UserPool":
            config = {"UsernameAttributes": p.get("UsernameAttributes", []), "UserPoolTags": p.get("UserPoolTags", {})}
            self.id = idp.create_user_pool(p.get("UserPoolName", self.logical_id), config).id
        elif t == "AWS::Cognito::UserPoolClient":
            client = idp.create_user_pool_client(p["UserPoolId"], False, {"ClientName": p.get("ClientName", self.logical_id)})
            self.id = client.id
        elif t == "AWS::Cognito::UserPoolGroup":
            idp.create_group(p["UserPoolId"], p["GroupName"], p.get("Description", ""), None, None)
        elif t == "AWS::Cognito::UserPoolUser":
            attributes = [{"Name": a["Name"], "Value": a["Value"]} for a in p.get("UserAttributes", [])]
            idp.admin_create_user(p["UserPoolId"], p["Username"], None, None, attributes)
        elif t == "AWS::Cognito::UserPoolUserToGroupAttachment":
            idp.admin_add_user_to_group(p["UserPoolId"], p["GroupName"], p["Username"])

    def cognito_deleted(self):
        """What deleting the stand-in deletes in moto's Cognito; already gone is done."""
        from moto.cognitoidp.exceptions import ResourceNotFoundError, UserNotFoundError

        p, t, idp = self.properties, self.resource_type, self.cognito()
        try:
            if t == "AWS::Cognito::UserPool":
                idp.delete_user_pool(self.id)
            elif t == "AWS::Cognito::UserPoolGroup":
                idp.delete_group(p["UserPoolId"], p["GroupName"])
            elif t == "AWS::Cognito::UserPoolUser":
                idp.admin_delete_user(p["UserPoolId"], p["Username"])
            elif t == "AWS::Cognito::UserPoolUserToGroupAttachment":
                idp.admin_remove_user_from_group(p["UserPoolId"], p["GroupName"], p["Username"])
        except (ResourceNotFoundError, UserNotFoundError):
            pass

    def cloudfront(self):
        from moto.cloudfront.models import cloudfront_backends

        return cloudfront_backends[self.account_id]["global"]

    def distribution_created(self):
        """The distribution in moto's CloudFront, keyed by the stand-in's id: its origins and
        default behaviour as the template gives them (what moto's model needs of them)."""
        backend = self.cloudfront()
        if self.id in backend.distributions:
            return
        p = self.properties["DistributionConfig"]
        origins = [
            {"Id": o["Id"], "DomainName": o["DomainName"], "S3OriginConfig": {"OriginAccessIdentity": ""}}
            for o in p["Origins"]
        ]
        behaviour = p["DefaultCacheBehavior"]
        config = {
            "CallerReference": self.id,
            "Comment": p.get("Comment", ""),
            "Enabled": bool(p.get("Enabled", True)),
            "Origins": {"Quantity": len(origins), "Items": origins},
            "DefaultCacheBehavior": {
                "TargetOriginId": behaviour["TargetOriginId"],
                "ViewerProtocolPolicy": behaviour["ViewerProtocolPolicy"],
            },
        }
        distribution, _, _ = backend.create_distribution(config, [])
        backend.distributions[self.id] = backend.distributions.pop(distribution.distribution_id)
        distribution.distribution_id = distribution.id = self.id
        distribution.arn = f"arn:aws:cloudfront::{self.account_id}:distribution/{self.id}"

    def created(self):
        """Side effects of the stand-in: a CodeBuild project also exists in moto's CodeBuild, a
        distribution in moto's CloudFront, and the Cognito objects in moto's Cognito."""
        if self.resource_type.startswith("AWS::Cognito::") and self.resource_type != "AWS::Cognito::UserPoolDomain":
            self.cognito_created()
        if self.resource_type == "AWS::CloudFront::Distribution":
            self.distribution_created()
        if self.resource_type == "AWS::CodeBuild::Project":
            from moto.codebuild.models import codebuild_backends

            p = self.properties
            env = p.get("Environment", {})
            source = p.get("Source", {})
            codebuild_backends[self.account_id][self.region].create_project(
                project_name=p["Name"],
                description=p.get("Description"),
                project_source={
                    "type": source.get("Type"),
                    "location": source.get("Location"),
                    "buildspec": source.get("BuildSpec"),
                },
                artifacts={"type": p.get("Artifacts", {}).get("Type", "NO_ARTIFACTS")},
                environment={
                    "type": env.get("Type"),
                    "image": env.get("Image"),
                    "computeType": env.get("ComputeType"),
                    "privilegedMode": bool(env.get("PrivilegedMode", False)),
                    "imagePullCredentialsType": env.get("ImagePullCredentialsType"),
                    "environmentVariables": [
                        {"name": v["Name"], "value": v.get("Value", ""), "type": v.get("Type", "PLAINTEXT")}
                        for v in env.get("EnvironmentVariables", [])
                    ],
                },
                service_role=p["ServiceRole"],
                tags=[{"key": t["Key"], "value": t["Value"]} for t in p.get("Tags", [])],
                cache=None,
                timeout=int(p.get("TimeoutInMinutes", 60)),
                queued_timeout=None,
                source_version=None,
                logs_config=None,
                vpc_config=None,
            )


original_class_from_type = parsing.resource_class_from_type


def resource_class_from_type(resource_type):
    if resource_type in parsing.NULL_MODELS or resource_type.startswith("Custom::"):
        return original_class_from_type(resource_type)
    if resource_type not in parsing.get_model_map():
        return StandIn
    return original_class_from_type(resource_type)


parsing.resource_class_from_type = resource_class_from_type

# 3. KMS key tags, in CloudFormation's shape ---------------------------------------------------

from moto.kms import models as kms_models  # noqa: E402

original_key_create = kms_models.Key.create_from_cloudformation_json.__func__


def key_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = cloudformation_json.get("Properties", {})
    if "Tags" in properties:
        properties["Tags"] = [
            {"TagKey": t.get("Key", t.get("TagKey")), "TagValue": t.get("Value", t.get("TagValue"))}
            for t in properties["Tags"]
        ]
    return original_key_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


kms_models.Key.create_from_cloudformation_json = classmethod(key_create)

# 3b. Buckets: moto's CloudFormation ignores VersioningConfiguration (the pipeline's S3 source
# and `tenancy source push` need versions) -----------------------------------------------------

from moto.s3 import models as s3_models  # noqa: E402

original_bucket_create = s3_models.FakeBucket.create_from_cloudformation_json.__func__


def bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    bucket = original_bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    status = cloudformation_json.get("Properties", {}).get("VersioningConfiguration", {}).get("Status")
    if status:
        backend = s3_models.s3_backends[account_id][s3_models.get_partition(region_name)]
        backend.put_bucket_versioning(bucket.name, status)
    return bucket


s3_models.FakeBucket.create_from_cloudformation_json = classmethod(bucket_create)

# 3c. ECR repositories: moto keeps a template's ImageScanningConfiguration in CloudFormation's
# casing (`ScanOnPush`), so the API reports scan on push off; it is given the API's casing.

from moto.ecr import models as ecr_models  # noqa: E402

original_repository_create = ecr_models.Repository.create_from_cloudformation_json.__func__


def repository_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = cloudformation_json.get("Properties", {})
    scanning = properties.get("ImageScanningConfiguration")
    if isinstance(scanning, dict) and "ScanOnPush" in scanning:
        properties["ImageScanningConfiguration"] = {"scanOnPush": scanning["ScanOnPush"] in (True, "true", "True")}
    return original_repository_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


ecr_models.Repository.create_from_cloudformation_json = classmethod(repository_create)

# 3d. CloudFront invalidations: moto reports a finished one as `COMPLETED`; CloudFront says
# `Completed` (API Reference, Invalidation: "Status: InProgress or Completed"), which is what the
# AWS CLI's `wait invalidation-completed` waits for. Without this, every site build waits out
# the waiter's 30 polls of 20 s and fails.

from moto.cloudfront import models as cloudfront_models  # noqa: E402

original_invalidation_init = cloudfront_models.Invalidation.__init__


def invalidation_init(self, *args, **kwargs):
    original_invalidation_init(self, *args, **kwargs)
    self.status = "Completed"


cloudfront_models.Invalidation.__init__ = invalidation_init

# 4. CodeBuild builds that run ------------------------------------------------------------------

if os.environ.get("TENANCY_EMULATOR_BUILDS"):
    import codebuild  # tests/emulator/codebuild.py
    from moto.codebuild import responses as codebuild_responses
    from moto.codebuild.exceptions import InvalidInputException, ResourceNotFoundException
    from moto.codebuild.models import codebuild_backends
    from moto.core.responses import ActionResult

    BUILDS = {}
    TOKENS = {}
    LOCK = threading.Lock()

    def start_build(self):
        name = self._get_param("projectName")
        backend = codebuild_backends[self.current_account][self.region]
        project = backend.codebuild_projects.get(name)
        if project is None:
            raise ResourceNotFoundException(
                f"Project cannot be found: arn:aws:codebuild:{self.region}:{self.current_account}:project/{name}"
            )
        request = {
            "sourceVersion": self._get_param("sourceVersion"),
            "buildspecOverride": self._get_param("buildspecOverride"),
            "environmentVariablesOverride": self._get_param("environmentVariablesOverride") or [],
        }
        token = self._get_param("idempotencyToken")
        with LOCK:
            # StartBuild's idempotency token: the same request within five minutes is the same build.
            if token and token in TOKENS:
                seen, build_id, when = TOKENS[token]
                if time.time() - when < 300:
                    if seen != request:
                        raise InvalidInputException("idempotencyToken reused with other parameters")
                    return ActionResult({"build": BUILDS[build_id].describe()})
            build = codebuild.Build(self.current_account, self.region, project.project_metadata, request)
            BUILDS[build.id] = build
            if token:
                TOKENS[token] = (request, build.id, time.time())
        build.start()
        return ActionResult({"build": build.describe()})

    def batch_get_builds(self):
        ids = self._get_param("ids")
        with LOCK:
            found = [BUILDS[i].describe() for i in ids if i in BUILDS]
        return ActionResult({"builds": found, "buildsNotFound": [i for i in ids if i not in BUILDS]})

    def list_builds_for_project(self):
        name = self._get_param("projectName")
        with LOCK:
            ids = [b.id for b in sorted(BUILDS.values(), key=lambda b: -b.started) if b.project["name"] == name]
        return ActionResult({"ids": ids})

    codebuild_responses.CodeBuildResponse.start_build = start_build
    codebuild_responses.CodeBuildResponse.batch_get_builds = batch_get_builds
    codebuild_responses.CodeBuildResponse.list_builds_for_project = list_builds_for_project

# 5. EKS endpoints that answer ------------------------------------------------------------------

if os.environ.get("TENANCY_KUBE_URL"):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from moto.eks import models as eks_models

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    CA = base64.b64encode(certificate.public_bytes(serialization.Encoding.PEM)).decode()
    eks_models.ENDPOINT_TEMPLATE = os.environ["TENANCY_KUBE_URL"]
    original_cluster_init = eks_models.Cluster.__init__

    def cluster_init(self, *args, **kwargs):
        original_cluster_init(self, *args, **kwargs)
        self.endpoint = os.environ["TENANCY_KUBE_URL"]
        self.certificate_authority = {"data": CA}

    eks_models.Cluster.__init__ = cluster_init

# 6. The account's hosted zones ---------------------------------------------------------------
# A blueprint names its domain's hosted zone by id, a fact about the account like its id: the
# zones in TENANCY_EMULATOR_HOSTED_ZONES (`domain=id,...`) exist from the start, with those ids.

if os.environ.get("TENANCY_EMULATOR_HOSTED_ZONES"):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.route53 import models as route53_models

    ZONES = dict(z.split("=", 1) for z in os.environ["TENANCY_EMULATOR_HOSTED_ZONES"].split(","))
    original_generate = route53_models.HostedZoneIdentifier.generate

    def generate(self, existing_ids=None, tags=None):
        for name, zone_id in ZONES.items():
            if self.name in (f"{name}.", f"{name}..", f"{name}"):
                return zone_id
        return original_generate(self, existing_ids=existing_ids, tags=tags)

    route53_models.HostedZoneIdentifier.generate = generate
    for name in ZONES:
        route53_models.route53_backends[DEFAULT_ACCOUNT_ID]["aws"].create_hosted_zone(name, private_zone=False)

# 7. DynamoDB writes one at a time ------------------------------------------------------------
# Found by the registration benchmark (16 clients at once): without this, about one concurrent
# TransactWriteItems in a hundred is answered 500 by moto.

from moto.dynamodb import models as dynamodb_models  # noqa: E402

DYNAMODB_WRITES = threading.RLock()


def one_write_at_a_time(method):
    def call(self, *args, **kwargs):
        with DYNAMODB_WRITES:
            return method(self, *args, **kwargs)

    return call


for write in ("put_item", "update_item", "delete_item", "transact_write_items"):
    setattr(
        dynamodb_models.DynamoDBBackend, write, one_write_at_a_time(getattr(dynamodb_models.DynamoDBBackend, write))
    )

if __name__ == "__main__":
    main(["-H", "127.0.0.1", "-p", sys.argv[1]])
