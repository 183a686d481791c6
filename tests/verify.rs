//! `tenancy verify` on the committed output and on planted defects. Each mutation edits a
//! scratch copy of `generated/` the way a hand edit or a compiler bug would, and must be caught
//! with the finding a reviewer needs: its property, who, what, and the file and line of the
//! statement or object that allows it (checked by the text on that line). A harmless edit must
//! still verify.

use std::collections::BTreeMap;

use crate::common::*;
use tenancy::verify::{self, AcceptedList, Finding, Property, Report};

/// The committed tree: what verify reads in CI and in the pipeline.
fn committed() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (path, bytes) in tree(&root().join("generated")) {
        if path.ends_with(".yaml") || path.ends_with(".yml") || path.ends_with(".json") {
            out.insert(path, String::from_utf8(bytes).expect("text"));
        }
    }
    out
}

fn accepted() -> AcceptedList {
    let text = std::fs::read_to_string(root().join("blueprints/accepted-findings.yaml")).expect("accepted list");
    serde_yaml::from_str(&text).expect("accepted list parses")
}

fn run(files: &BTreeMap<String, String>) -> Report {
    verify::verify(files, Some(&accepted()))
}

/// The findings that fail verify.
fn failing(report: &Report) -> Vec<&Finding> {
    report.findings.iter().filter(|f| f.property.fails() && f.accepted.is_none()).collect()
}

/// `files` with `from` replaced by `to` once in `file` (the text must be there).
fn edit(mut files: BTreeMap<String, String>, file: &str, from: &str, to: &str) -> BTreeMap<String, String> {
    let text = files.get_mut(file).unwrap_or_else(|| panic!("no {file}"));
    assert!(text.contains(from), "{file} does not contain {from:?}");
    *text = text.replacen(from, to, 1);
    files
}

/// The text of the line a finding points at.
fn line_at(files: &BTreeMap<String, String>, f: &Finding) -> String {
    files.get(&f.at.file).and_then(|t| t.lines().nth(f.at.line - 1)).unwrap_or_default().to_owned()
}

/// A planted defect must be caught: a failing finding of `property` whose message contains
/// `says`, in `file`, on a line that contains `line_has`.
fn caught(files: &BTreeMap<String, String>, property: Property, says: &str, file: &str, line_has: &str) {
    let report = run(files);
    let found = failing(&report).into_iter().find(|f| {
        f.property == property && f.message.contains(says) && f.at.file == file && line_at(files, f).contains(line_has)
    });
    assert!(
        found.is_some(),
        "not caught: {property:?} saying {says:?} at {file} on a line with {line_has:?}; verify said:\n{}",
        failing(&report)
            .iter()
            .map(|f| format!("{:?} {} at {} ({:?})", f.property, f.message, f.at, line_at(files, f)))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(report.failed());
}

const ACME: &str = "tenants/acme/stack.cfn.yaml";
const ACME_K8S: &str = "tenants/acme/k8s.yaml";
const GLOBEX: &str = "tenants/globex/stack.cfn.yaml";
const GLOBEX_K8S: &str = "tenants/globex/k8s.yaml";
const DELIVERY: &str = "baseline/delivery.cfn.yaml";

#[test]
fn the_committed_reference_platform_verifies_with_only_accepted_findings() {
    let report = run(&committed());
    assert!(!report.failed(), "{}", report.table());
    assert_eq!(report.tenants, 4);
    for property in [Property::Isolation, Property::Network, Property::Identity, Property::Sufficiency] {
        assert!(report.checked.get(&property).copied().unwrap_or(0) > 0, "{property:?} asked nothing");
    }
}

#[test]
fn a_harmless_edit_still_verifies() {
    let files = edit(committed(), ACME, "Resources:\n", "# reviewed by a human\nResources:\n");
    let files = edit(files, ACME_K8S, "kind: Namespace\n", "kind: Namespace # the tenant's\n");
    assert!(!run(&files).failed());
}

#[test]
fn the_fixture_platforms_verify_clean() {
    for fixture in ["no-tenants", "us-east-1", "pooled"] {
        let report = run(&fixture_tree(fixture));
        assert!(!report.failed(), "{fixture}:\n{}", report.table());
    }
}

/// A fixture platform, synthesized, as verify reads it.
fn fixture_tree(fixture: &str) -> BTreeMap<String, String> {
    let name = format!("tests/fixtures/good/{fixture}.yaml");
    let platform = load(&name, &std::fs::read_to_string(root().join(&name)).unwrap());
    let dir = tempfile::tempdir().unwrap();
    tenancy::synth::synthesize(&platform, dir.path()).expect("synth");
    tree(dir.path())
        .into_iter()
        .filter(|(p, _)| p.ends_with(".yaml") || p.ends_with(".yml") || p.ends_with(".json"))
        .map(|(p, b)| (p, String::from_utf8(b).unwrap()))
        .collect()
}

// Pooled tiers (tests/fixtures/good/pooled.yaml: basic pools orders, bridge keeps them per
// tenant) ------------------------------------------------------------------------------------

const BASIC_CELL: &str = "pools/basic/cell-000.cfn.yaml";
const BRIDGE_CELL: &str = "pools/bridge/cell-000.cfn.yaml";
const BASIC_POOL: &str = "pools/basic/stack.cfn.yaml";

#[test]
fn a_cell_role_without_its_tenant_list_serves_any_tenant_the_pool_names() {
    // The list that keeps a session to the cell's tenants names a dedicated tenant too: a
    // session the pool tags with it reads that tenant's partition of the pooled tables.
    let files = edit(
        fixture_tree("pooled"),
        BASIC_CELL,
        "                - alpha\n",
        "                - alpha\n                - omega\n",
    );
    caught(
        &files,
        Property::Isolation,
        "tagged omega, a tenant the cell does not hold",
        BASIC_CELL,
        "Sid: ProductPoolItems",
    );
}

#[test]
fn a_cell_role_that_trusts_a_dedicated_tenants_role_is_caught() {
    let files = edit(
        fixture_tree("pooled"),
        BASIC_CELL,
        "AWS: arn:aws:iam::000000000002:role/fleet-pool-basic",
        "AWS: arn:aws:iam::000000000002:role/fleet-tenant-omega",
    );
    caught(
        &files,
        Property::Isolation,
        "trusts AWS arn:aws:iam::000000000002:role/fleet-tenant-omega",
        BASIC_CELL,
        "AssumeRolePolicyDocument",
    );
}

#[test]
fn a_cell_grant_on_every_partition_is_caught() {
    // A compiler bug that names one fixed partition instead of the session's tenant.
    let files = edit(fixture_tree("pooled"), BASIC_CELL, "- ${aws:PrincipalTag/TenantId}", "- other");
    caught(&files, Property::Isolation, "on tenant other's partition", BASIC_CELL, "Sid: ProductPoolItems");
}

#[test]
fn a_silo_grant_not_named_by_the_session_tag_reaches_other_tenants_tables() {
    let files = edit(
        fixture_tree("pooled"),
        BRIDGE_CELL,
        "table/fleet-order-${!aws:PrincipalTag/TenantId}",
        "table/fleet-order-*",
    );
    caught(&files, Property::Isolation, "can dynamodb:GetItem on tenant", BRIDGE_CELL, "Sid: OrderSiloItems");
}

#[test]
fn a_pool_role_with_data_access_of_its_own_is_caught() {
    // The pods' own role reaching the pooled product table, without the vended session.
    let files = edit(
        fixture_tree("pooled"),
        BASIC_POOL,
        "            - dynamodb:DescribeTable\n",
        "            - dynamodb:DescribeTable\n            - dynamodb:GetItem\n",
    );
    caught(&files, Property::Isolation, "on tenant other's partition", BASIC_POOL, "Sid: DescribePooledTables");
}

#[test]
fn a_pooled_tenants_ingress_routing_another_tenants_path_is_caught() {
    let files = edit(fixture_tree("pooled"), "tenants/alpha/k8s.yaml", "path: /alpha/orders", "path: /beta/orders");
    caught(&files, Property::Network, "which is not under /alpha/", "tenants/alpha/k8s.yaml", "- backend:");
}

#[test]
fn a_cell_client_that_calls_back_to_another_tenants_app_is_caught() {
    let files = edit(
        fixture_tree("pooled"),
        BASIC_CELL,
        "https://alpha.app.fleet.example.net/",
        "https://beta.app.fleet.example.net/",
    );
    caught(&files, Property::Identity, "not only to its own app", BASIC_CELL, "TalphaClientId");
}

// Isolation -------------------------------------------------------------------------------------

#[test]
fn a_widened_silo_grant_reaches_every_tenants_table() {
    let files = edit(committed(), ACME, "table/saas-order-acme\n", "table/saas-order-*\n");
    caught(&files, Property::Isolation, "on tenant", ACME, "Sid: OrderSiloItems");
}

#[test]
fn a_prefix_wildcard_reaches_tenants_whose_id_starts_with_the_same_letters() {
    let files = edit(committed(), ACME, "table/saas-order-acme\n", "table/saas-order-acme*\n");
    caught(&files, Property::Isolation, "tenant acme0's table", ACME, "Sid: OrderSiloItems");
}

#[test]
fn a_dropped_leading_keys_condition_opens_every_partition_of_the_pool() {
    let files = edit(
        committed(),
        ACME,
        "              ForAllValues:StringEquals:\n                dynamodb:LeadingKeys:\n                - acme\n",
        "",
    );
    caught(&files, Property::Isolation, "partition", ACME, "Sid: ProductPoolItems");
}

#[test]
fn a_leading_keys_condition_that_names_another_tenant_is_caught() {
    let files = edit(
        committed(),
        ACME,
        "dynamodb:LeadingKeys:\n                - acme\n",
        "dynamodb:LeadingKeys:\n                - acme\n                - globex\n",
    );
    caught(&files, Property::Isolation, "tenant globex's partition", ACME, "Sid: ProductPoolItems");
}

#[test]
fn a_scan_granted_on_the_pool_reads_every_tenant() {
    let files = edit(
        committed(),
        ACME,
        "          - Sid: OrderSiloScan\n            Effect: Allow\n            Action:\n            - dynamodb:Scan\n            Resource:\n",
        "          - Sid: OrderSiloScan\n            Effect: Allow\n            Action:\n            - dynamodb:Scan\n            Resource:\n            - Fn::Sub: arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/saas-*\n",
    );
    caught(&files, Property::Isolation, "on tenant", ACME, "Sid: OrderSiloScan");
}

#[test]
fn an_association_that_gives_one_tenants_pods_anothers_role_is_caught() {
    let files = edit(committed(), GLOBEX, "Namespace: tenant-globex", "Namespace: tenant-acme");
    caught(&files, Property::Isolation, "gives its role to namespace tenant-acme", GLOBEX, "Namespace: tenant-acme");
}

#[test]
fn a_tenant_role_made_an_eks_access_entry_is_caught() {
    let files = edit(
        committed(),
        "baseline/eksctl-cluster.yaml",
        "  accessEntries:\n",
        "  accessEntries:\n  - principalARN: arn:aws:iam::123456789012:role/saas-tenant-acme\n    accessPolicies: []\n",
    );
    caught(&files, Property::Isolation, "EKS access entry", "baseline/eksctl-cluster.yaml", "saas-tenant-acme");
}

#[test]
fn a_cluster_role_binding_for_a_tenant_service_account_is_caught() {
    let binding = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: oops\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\nsubjects:\n- kind: ServiceAccount\n  name: tenant-services\n  namespace: tenant-acme\n";
    let mut files = committed();
    files.get_mut(ACME_K8S).unwrap().push_str(binding);
    caught(&files, Property::Isolation, "bound beyond its namespace", ACME_K8S, "subjects:");
}

// Network ---------------------------------------------------------------------------------------

#[test]
fn open_egress_in_one_tenant_and_open_ingress_in_another_connect_them() {
    let files = edit(
        committed(),
        ACME_K8S,
        "  egress:\n  - to:\n    - podSelector: {}\n",
        "  egress:\n  - to:\n    - namespaceSelector: {}\n",
    );
    // Alone, acme's open egress meets closed ingress everywhere: no path between tenants.
    assert!(failing(&run(&files)).iter().all(|f| f.property != Property::Network), "egress alone is not a path");
    let files = edit(
        files,
        GLOBEX_K8S,
        "  ingress:\n  - from:\n    - podSelector: {}\n",
        "  ingress:\n  - from:\n    - namespaceSelector: {}\n",
    );
    caught(&files, Property::Network, "ingress admits them", ACME_K8S, "name: allow-same-namespace");
}

#[test]
fn egress_that_covers_the_metadata_service_is_caught() {
    let files = edit(committed(), ACME_K8S, "cidr: 169.254.170.23/32", "cidr: 169.254.0.0/16");
    caught(&files, Property::Network, "instance metadata service", ACME_K8S, "name: allow-pod-identity-agent");
}

#[test]
fn https_egress_to_private_addresses_reaches_the_kubernetes_api() {
    let files = edit(committed(), ACME_K8S, "        - 10.0.0.0/8\n", "");
    caught(&files, Property::Network, "Service kubernetes", ACME_K8S, "name: allow-https-egress");
}

#[test]
fn an_ingress_path_of_another_tenant_is_caught_and_the_shared_route_too() {
    let files = edit(committed(), ACME_K8S, "path: /acme/orders", "path: /globex/orders");
    caught(&files, Property::Network, "not under /acme/", ACME_K8S, "- backend:");
    caught(&files, Property::Network, "both route", GLOBEX_K8S, "- backend:");
}

#[test]
fn an_external_name_backend_leaves_the_namespace() {
    let files = edit(
        committed(),
        ACME_K8S,
        "    app.kubernetes.io/name: order\n    tenancy.io/tenant: acme\n  type: ClusterIP\n",
        "    app.kubernetes.io/name: order\n    tenancy.io/tenant: acme\n  type: ExternalName\n  externalName: order.tenant-globex.svc.cluster.local\n",
    );
    caught(&files, Property::Network, "ExternalName", ACME_K8S, "- backend:");
}

/// The one ExternalName a tenant's Ingress may route to is user management's, at the tenant's
/// own `/users` path: the same alias pointed at another namespace, or another path routed to
/// it, is caught.
#[test]
fn the_user_management_alias_is_allowed_only_as_generated() {
    let elsewhere = edit(
        committed(),
        ACME_K8S,
        "externalName: user-management.control-plane.svc.cluster.local",
        "externalName: user-management.tenant-globex.svc.cluster.local",
    );
    caught(&elsewhere, Property::Network, "ExternalName", ACME_K8S, "- backend:");
    let other_path = edit(committed(), ACME_K8S, "path: /acme/users", "path: /acme/users-export");
    caught(&other_path, Property::Network, "ExternalName", ACME_K8S, "- backend:");
}

// Identity --------------------------------------------------------------------------------------

#[test]
fn a_client_id_bound_to_another_tenants_stack_is_caught() {
    let files = edit(
        committed(),
        ACME_K8S,
        "${stack:saas-tenant-acme:UserPoolClientId}",
        "${stack:saas-tenant-globex:UserPoolClientId}",
    );
    caught(&files, Property::Identity, "TENANT_CLIENT_ID", ACME_K8S, "name: TENANT_CLIENT_ID");
}

#[test]
fn a_mutable_tenant_attribute_is_caught() {
    let files = edit(committed(), ACME, "Mutable: false", "Mutable: true");
    caught(&files, Property::Identity, "mutable", ACME, "- Name: tenant-id");
}

#[test]
fn a_client_that_may_write_the_tenant_attribute_is_caught() {
    let files = edit(
        committed(),
        ACME,
        "      WriteAttributes:\n      - email\n",
        "      WriteAttributes:\n      - email\n      - custom:tenant-id\n",
    );
    caught(&files, Property::Identity, "may write custom:tenant-id", ACME, "- custom:tenant-id");
    let files = edit(committed(), ACME, "      WriteAttributes:\n      - email\n", "");
    caught(&files, Property::Identity, "lists no WriteAttributes", ACME, "");
}

#[test]
fn an_issuer_of_another_pool_is_caught() {
    let files = edit(committed(), ACME, "${AWS::URLSuffix}/${UserPool}", "${AWS::URLSuffix}/eu-west-1_Someone");
    caught(&files, Property::Identity, "is not the user pool of its client", ACME, "IssuerUrl:");
}

#[test]
fn a_pod_that_mounts_a_kubernetes_token_is_caught() {
    // The ServiceAccount's setting is overridden by the pod's: only the pod's counts.
    let files =
        edit(committed(), ACME_K8S, "automountServiceAccountToken: false", "automountServiceAccountToken: true");
    assert!(!run(&files).failed(), "the ServiceAccount's own setting does not mount a token in pods that say false");
    let files = edit(
        committed(),
        ACME_K8S,
        "      automountServiceAccountToken: false",
        "      automountServiceAccountToken: true",
    );
    caught(&files, Property::Identity, "mount a Kubernetes token", ACME_K8S, "name: product");
}

#[test]
fn an_admin_user_of_another_tenant_is_caught() {
    let files = edit(
        committed(),
        ACME,
        "      - Name: custom:tenant-id\n        Value: acme\n",
        "      - Name: custom:tenant-id\n        Value: globex\n",
    );
    caught(&files, Property::Identity, "has custom:tenant-id globex", ACME, "AdminUser:");
}

// Sufficiency ----------------------------------------------------------------------------------

#[test]
fn the_journal_without_scan_is_b6() {
    let text = &committed()[DELIVERY];
    let scan = "            - dynamodb:PutItem\n            - dynamodb:Scan\n";
    assert!(text.matches(scan).count() >= 2, "the state grants list Scan");
    let files = edit(committed(), DELIVERY, scan, "            - dynamodb:PutItem\n");
    caught(
        &files,
        Property::Sufficiency,
        "dynamodb:Scan on arn:aws:dynamodb:eu-west-1:123456789012:table/saas-deploy-state",
        DELIVERY,
        "Project:",
    );
}

#[test]
fn the_order_service_without_scan_is_b9() {
    let files = edit(
        committed(),
        ACME,
        "            - dynamodb:Scan\n            Resource:\n            - Fn::Sub: arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/saas-order-acme\n",
        "            - dynamodb:DescribeTable\n            Resource:\n            - Fn::Sub: arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/saas-order-acme\n",
    );
    caught(&files, Property::Sufficiency, "cannot dynamodb:Scan", ACME_K8S, "name: order");
}

#[test]
fn a_pipeline_role_that_cannot_read_the_artifact_store_is_b5() {
    let text = &committed()[DELIVERY];
    let at = text.find("saas-platform/*").expect("the artifact grant");
    let line_start = text[..at].rfind('\n').unwrap() + 1;
    let line_end = at + text[at..].find('\n').unwrap() + 1;
    let line = text[line_start..line_end].to_owned();
    let files = edit(committed(), DELIVERY, &line, &line.replace("saas-platform/*", "source/tenancy.zip"));
    caught(&files, Property::Sufficiency, "cannot s3:GetObject", DELIVERY, "- Name:");
}

#[test]
fn a_key_policy_that_lets_only_the_logs_service_in_stops_the_pipeline() {
    let files = edit(
        committed(),
        "baseline/baseline.cfn.yaml",
        "        - Sid: AccountAdministers\n          Effect: Allow\n",
        "        - Sid: AccountAdministers\n          Effect: Deny\n",
    );
    caught(&files, Property::Sufficiency, "the key policy of", "baseline/baseline.cfn.yaml", "KeyPolicy:");
}

#[test]
fn a_bucket_policy_that_denies_the_pipeline_role_is_caught() {
    let policy = "  ArtifactsBucketPolicy:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket:\n        Ref: ArtifactsBucket\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n        - Sid: DenyReads\n          Effect: Deny\n          Principal: '*'\n          Action: s3:GetObject\n          Resource: '*'\n";
    let files = edit(committed(), "baseline/bootstrap.cfn.yaml", "Resources:\n", &format!("Resources:\n{policy}"));
    caught(&files, Property::Sufficiency, "the bucket policy of", "baseline/bootstrap.cfn.yaml", "PolicyDocument:");
    // A deny of plain HTTP does not stop the SDK, which calls S3 over HTTPS.
    let tls = policy.replace(
        "          Resource: '*'\n",
        "          Resource: '*'\n          Condition:\n            Bool:\n              aws:SecureTransport: 'false'\n",
    );
    let files = edit(committed(), "baseline/bootstrap.cfn.yaml", "Resources:\n", &format!("Resources:\n{tls}"));
    assert!(!run(&files).failed(), "{}", run(&files).table());
}

#[test]
fn a_platform_stack_without_its_stack_role_is_m1() {
    let files = edit(
        committed(),
        "plan.json",
        "      \"template\": \"baseline/baseline.cfn.yaml\",\n      \"role\": \"arn:aws:iam::123456789012:role/saas-cfn-baseline\",\n",
        "      \"template\": \"baseline/baseline.cfn.yaml\",\n",
    );
    caught(&files, Property::Sufficiency, "runs without a stack role", DELIVERY, "Project:");
}

#[test]
fn a_stack_role_missing_a_handler_permission_is_caught() {
    let files = edit(committed(), DELIVERY, "            - cognito-idp:CreateUserPool\n", "");
    caught(&files, Property::Sufficiency, "cognito-idp:CreateUserPool on no resource", DELIVERY, "TenantStackRole:");
}

#[test]
fn a_buildspec_command_the_project_role_lacks_is_caught() {
    let files = edit(
        committed(),
        "buildspecs/addons.yml",
        "      - aws eks update-kubeconfig",
        "      - aws ecr get-login-password --region \"$AWS_REGION\"\n      - aws eks update-kubeconfig",
    );
    caught(&files, Property::Sufficiency, "ecr:GetAuthorizationToken on no resource", DELIVERY, "AddonsProject:");
    // A command the table does not know is not guessed.
    let files = edit(
        committed(),
        "buildspecs/addons.yml",
        "      - aws eks update-kubeconfig",
        "      - aws dynamodb delete-table --table-name saas-product\n      - aws eks update-kubeconfig",
    );
    caught(&files, Property::CannotProve, "not in AWS_CLI_ACTIONS", DELIVERY, "AddonsProject:");
}

// Unreadable input -----------------------------------------------------------------------------

#[test]
fn garbage_and_missing_files_are_reported_not_skipped() {
    let files = edit(committed(), ACME, "Resources:\n", "Resources: [\n");
    caught(&files, Property::CannotProve, "not YAML", ACME, "");
    let mut files = committed();
    files.remove(GLOBEX);
    caught(&files, Property::CannotProve, "missing", GLOBEX, "");
}

// Fleet scale ----------------------------------------------------------------------------------

/// A synthesized sample fleet, in memory.
fn fleet(tenants: usize) -> BTreeMap<String, String> {
    let text = tenancy::blueprint::sample(tenants, &reference_tiers()).expect("sample");
    let platform = load("fleet.yaml", &text);
    let dir = tempfile::tempdir().unwrap();
    tenancy::synth::synthesize(&platform, dir.path()).expect("synth");
    tree(dir.path())
        .into_iter()
        .filter(|(p, _)| p.ends_with(".yaml") || p.ends_with(".yml") || p.ends_with(".json"))
        .map(|(p, b)| (p, String::from_utf8(b).unwrap()))
        .collect()
}

#[test]
fn tenants_of_one_shape_are_proven_once_and_a_defect_in_any_of_them_is_still_caught() {
    let files = fleet(12);
    let report = run(&files);
    assert!(!report.failed(), "{}", report.table());
    assert_eq!(report.tenants, 12);
    assert!(report.by_shape >= 6, "12 tenants over the reference tiers share shapes: {} by shape", report.by_shape);
    // The last tenant of a shape proven clean, widened by hand: its own text differs, so it is
    // checked in full and caught.
    let last = files.keys().rfind(|p| p.starts_with("tenants/") && p.ends_with("stack.cfn.yaml")).unwrap().clone();
    let id = last.trim_start_matches("tenants/").trim_end_matches("/stack.cfn.yaml").to_owned();
    let files = edit(files, &last, &format!("table/saas-order-{id}\n"), "table/saas-order-*\n");
    caught(&files, Property::Isolation, "on tenant", &last, "Sid: OrderSiloItems");
}

#[test]
fn a_grant_whose_resource_the_files_cannot_resolve_is_not_taken_as_harmless() {
    let files = edit(
        committed(),
        ACME,
        "            - Fn::ImportValue: saas-baseline-DataKeyArn\n",
        "            - Fn::ImportValue: an-export-no-stack-makes\n",
    );
    caught(&files, Property::CannotProve, "do not resolve", ACME, "");
}

/// The control plane (issue 15): the registration service's role must let it start the
/// onboarding job; the onboarding job's must let it write the registry.
#[test]
fn a_control_plane_role_without_its_calls_is_caught() {
    let files = edit(committed(), DELIVERY, "project/saas-onboarding\n", "project/saas-other\n");
    caught(
        &files,
        Property::Sufficiency,
        "cannot codebuild:StartBuild",
        "baseline/cluster-access.cfn.yaml",
        "RegistrationAssociation:",
    );
    // The onboarding role's registry grant comes first (roles in logical-id order).
    let files = edit(committed(), DELIVERY, "table/saas-registry\n", "table/saas-tenant\n");
    caught(&files, Property::Sufficiency, "cannot dynamodb:Query", DELIVERY, "OnboardingProject:");
}

/// A tenant role (and its boundary) widened to start builds could start the onboarding job,
/// which commits to the platform repository and applies with the job's rights.
#[test]
fn a_tenant_that_can_start_the_onboarding_job_is_caught() {
    let widened = "          - Sid: Builds\n            Effect: Allow\n            Action: codebuild:StartBuild\n            Resource: '*'\n          - Sid: OrderSiloItems\n";
    let files = edit(committed(), ACME, "          - Sid: OrderSiloItems\n", widened);
    let files = edit(
        files,
        DELIVERY,
        "        - Sid: TenantSiloScan\n",
        "        - Sid: Builds\n          Effect: Allow\n          Action: codebuild:StartBuild\n          Resource: '*'\n        - Sid: TenantSiloScan\n",
    );
    caught(&files, Property::Isolation, "can start the onboarding job", ACME, "Sid: Builds");
}

/// Tenant management lists the registry; without the Scan its listing fails.
#[test]
fn a_tenant_management_role_that_cannot_list_is_caught() {
    let files = edit(
        committed(),
        DELIVERY,
        "            - dynamodb:Scan\n            - dynamodb:UpdateItem\n            Resource:\n            - Fn::Sub: arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/saas-registry\n",
        "            - dynamodb:UpdateItem\n            Resource:\n            - Fn::Sub: arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/saas-registry\n",
    );
    caught(
        &files,
        Property::Sufficiency,
        "cannot dynamodb:Scan",
        "baseline/cluster-access.cfn.yaml",
        "TenantManagementAssociation:",
    );
}

/// User management (issue 15) holds one role for every tenant of the platform: it must be able
/// to make its calls in the platform's pools, and must not reach a pool of any other platform.
#[test]
fn a_user_management_role_short_of_its_calls_or_past_the_platform_is_caught() {
    // (The onboarding job's purge grant lists it too, after AdminGetUser.)
    let files = edit(
        committed(),
        DELIVERY,
        "            - cognito-idp:ListUsers\n            - cognito-idp:ListUsersInGroup\n",
        "            - cognito-idp:ListUsers\n",
    );
    caught(
        &files,
        Property::Sufficiency,
        "cannot cognito-idp:ListUsersInGroup",
        "baseline/cluster-access.cfn.yaml",
        "UserManagementAssociation:",
    );
    let files = edit(
        committed(),
        DELIVERY,
        "            - cognito-idp:ListUsers\n            - cognito-idp:ListUsersInGroup\n            Resource:\n            - Fn::Sub: arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/*\n            Condition:\n              StringEquals:\n                aws:ResourceTag/tenancy:platform: saas\n",
        "            - cognito-idp:ListUsers\n            - cognito-idp:ListUsersInGroup\n            Resource:\n            - Fn::Sub: arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/*\n            Condition:\n              StringLike:\n                aws:ResourceTag/tenancy:platform: '*'\n",
    );
    caught(
        &files,
        Property::Isolation,
        "in a user pool that is not this platform's",
        "baseline/cluster-access.cfn.yaml",
        "UserManagementAssociation:",
    );
}

/// A tenant role (and its boundary) widened to manage users in the platform's pools, as user
/// management's role may (on the platform's tag): the shared pool holds other tenants' users.
#[test]
fn a_tenant_that_can_manage_users_of_the_platforms_pools_is_caught() {
    let grant = |indent: &str| {
        format!(
            "{indent}- Sid: Users\n{indent}  Effect: Allow\n{indent}  Action: cognito-idp:AdminCreateUser\n{indent}  Resource: '*'\n{indent}  Condition:\n{indent}    StringEquals:\n{indent}      aws:ResourceTag/tenancy:platform: saas\n"
        )
    };
    let files = edit(
        committed(),
        ACME,
        "          - Sid: OrderSiloItems\n",
        &format!("{}          - Sid: OrderSiloItems\n", grant("          ")),
    );
    let files = edit(
        files,
        DELIVERY,
        "        - Sid: TenantSiloScan\n",
        &format!("{}        - Sid: TenantSiloScan\n", grant("        ")),
    );
    caught(&files, Property::Isolation, "cognito-idp:AdminCreateUser on the shared user pool", ACME, "Sid: Users");
}

#[test]
fn a_site_role_that_cannot_invalidate_its_distribution_is_caught() {
    let files = edit(
        committed(),
        DELIVERY,
        "          - Sid: InvalidateSite\n            Effect: Allow\n            Action:\n            - cloudfront:CreateInvalidation\n            - cloudfront:GetInvalidation\n",
        "          - Sid: InvalidateSite\n            Effect: Allow\n            Action:\n            - cloudfront:GetInvalidation\n",
    );
    caught(
        &files,
        Property::Sufficiency,
        "granted cloudfront:CreateInvalidation on no resource",
        DELIVERY,
        "SiteProject:",
    );
}

#[test]
fn a_site_role_granted_another_sites_bucket_and_distribution_is_caught() {
    let files = edit(
        committed(),
        DELIVERY,
        "- Fn::Sub: arn:${AWS::Partition}:s3:::saas-admin-123456789012-eu-west-1/*",
        "- Fn::Sub: arn:${AWS::Partition}:s3:::saas-app-123456789012-eu-west-1/*",
    );
    caught(
        &files,
        Property::Sufficiency,
        "saas-site-admin cannot s3:PutObject on arn:aws:s3:::saas-admin-123456789012-eu-west-1/index.html",
        DELIVERY,
        "AdminSiteProject:",
    );
    let files = edit(
        committed(),
        DELIVERY,
        "Fn::ImportValue: saas-baseline-AdminSiteDistributionId",
        "Fn::ImportValue: saas-baseline-AppSiteDistributionId",
    );
    caught(
        &files,
        Property::Sufficiency,
        "saas-site-admin cannot cloudfront:CreateInvalidation",
        DELIVERY,
        "AdminSiteProject:",
    );
}
