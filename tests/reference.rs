//! The properties that make the reference platform's artifacts safe to deploy: tenant roles
//! that reach only their own data, identities whose tenant claim users cannot change, storage
//! and sites locked down. The artifacts' bytes are pinned by the committed `generated/` tree
//! (`tests/synth.rs`), which reviewers read in the diff; snapshots of them would be a second
//! copy of the same bytes.

use crate::common::*;
use serde_json::{Value, json};
use tenancy::compile::role_arn;

fn tenant_template(id: &str) -> Value {
    template_json(&files(&reference())[&format!("tenants/{id}/stack.cfn.yaml")])
}

fn resources_of_type<'a>(template: &'a Value, type_name: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"].as_object().unwrap().iter().filter(|(_, r)| r["Type"] == type_name).collect()
}

/// Every string in a JSON value, recursively.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => vec![],
    }
}

#[test]
fn tenant_roles_reach_only_their_own_data() {
    let platform = reference();
    for tenant in platform.tenants() {
        let template = tenant_template(tenant.id.as_str());
        let roles = resources_of_type(&template, "AWS::IAM::Role");
        assert_eq!(roles.len(), 1, "{}: one role per tenant", tenant.id);
        let role = &roles[0].1["Properties"];
        let names = platform.tenant_names(tenant);

        // Trusted by EKS Pod Identity for exactly the tenant's ServiceAccount in the platform's
        // cluster (the session tags the agent sets), and given to it by one association.
        let trust = &role["AssumeRolePolicyDocument"]["Statement"];
        assert_eq!(trust.as_array().unwrap().len(), 1);
        assert_eq!(trust[0]["Principal"], json!({"Service": "pods.eks.amazonaws.com"}));
        assert_eq!(trust[0]["Action"], json!(["sts:AssumeRole", "sts:TagSession"]));
        let conditions = &trust[0]["Condition"]["StringEquals"];
        assert_eq!(conditions["aws:RequestTag/kubernetes-namespace"], format!("tenant-{}", tenant.id));
        assert_eq!(conditions["aws:RequestTag/kubernetes-service-account"], "tenant-services");
        assert_eq!(
            conditions["aws:RequestTag/eks-cluster-arn"],
            json!({"Fn::Sub": "arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:cluster/saas"})
        );
        let associations = resources_of_type(&template, "AWS::EKS::PodIdentityAssociation");
        assert_eq!(associations.len(), 1, "{}", tenant.id);
        let association = &associations[0].1["Properties"];
        assert_eq!(association["ClusterName"], "saas");
        assert_eq!(association["Namespace"], names.namespace.as_str());
        assert_eq!(association["ServiceAccount"], names.service_account.as_str());
        assert_eq!(association["RoleArn"], json!({"Fn::GetAtt": ["ServiceRole", "Arn"]}));
        assert!(!serde_json::to_string(&template).unwrap().contains("oidc"), "nothing trusts an OIDC issuer");

        // No wildcard actions, no `*` resource, Scan only on the tenant's own silo table (the
        // order listing), and a permissions boundary.
        let statements: Vec<&Value> = role["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap())
            .collect();
        for statement in &statements {
            assert_eq!(statement["Effect"], "Allow");
            for action in statement["Action"].as_array().unwrap() {
                let action = action.as_str().unwrap();
                assert!(!action.contains('*'), "{}: wildcard action {action}", tenant.id);
                if action == "dynamodb:Scan" {
                    let own = format!(":table/{}", names.silo_table(&"order".parse().unwrap()).unwrap());
                    for resource in strings(&statement["Resource"]) {
                        assert!(resource.ends_with(&own), "{}: Scan beyond its silo table: {resource}", tenant.id);
                    }
                }
            }
            let kms = statement["Action"].as_array().unwrap().iter().all(|a| a.as_str().unwrap().starts_with("kms:"));
            if kms {
                // The platform's data key, and only through DynamoDB.
                assert_eq!(statement["Resource"], json!([{"Fn::ImportValue": "saas-baseline-DataKeyArn"}]));
                assert_eq!(
                    statement["Condition"]["StringEquals"]["kms:ViaService"],
                    json!({"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"})
                );
                continue;
            }
            for resource in strings(&statement["Resource"]) {
                assert_ne!(resource, "*");
                assert!(resource.contains(":table/saas-"), "{}: unexpected resource {resource}", tenant.id);
            }
        }
        assert!(role["PermissionsBoundary"].is_object());

        // Pooled product table: only items whose partition key is the tenant id.
        let pooled = statements.iter().find(|s| s["Sid"] == "ProductPoolItems").expect("pooled statement");
        assert_eq!(
            pooled["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"],
            json!([tenant.id.as_str()])
        );
        assert_eq!(pooled["Condition"]["Null"]["dynamodb:LeadingKeys"], "false");
        // Exactly what the product and order services declare they call on it (least privilege).
        let declared = tenancy::compile::service_calls::item_actions("product", &["product", "order"], &[]);
        assert_eq!(pooled["Action"], json!(declared));

        // Silo order table: its own table only.
        let silo = statements.iter().find(|s| s["Sid"] == "OrderSiloItems").expect("silo statement");
        let table = names.silo_table(&"order".parse().unwrap()).unwrap();
        for resource in strings(&silo["Resource"]) {
            assert!(resource.contains(&format!(":table/{table}")), "{resource}");
        }

        // The role's ARN, known before deploy, names the role the stack creates.
        assert_eq!(role["RoleName"], names.role);
        assert!(role_arn(&platform, &names).ends_with(&format!(":role/{}", names.role)));
    }
}

#[test]
fn platform_roles_are_outside_the_tenant_role_prefix() {
    // The CloudFormation role may manage roles named `saas-tenant-*`; no platform role may match.
    let all = files(&reference());
    let baseline = template_json(&all["baseline/baseline.cfn.yaml"]);
    assert!(resources_of_type(&baseline, "AWS::IAM::Role").is_empty(), "roles live in the delivery stack");
    let delivery = template_json(&all["baseline/delivery.cfn.yaml"]);
    let bootstrap = template_json(&all["baseline/bootstrap.cfn.yaml"]);
    let mut roles = resources_of_type(&delivery, "AWS::IAM::Role");
    assert_eq!(
        roles.len(),
        18,
        "ten projects' (three of them the sites'), the tenant stacks' CloudFormation role, the pipeline's and its trigger's, two add-ons', the three control-plane services'"
    );
    roles.extend(resources_of_type(&bootstrap, "AWS::IAM::Role"));
    assert_eq!(roles.len(), 19, "and the platform stacks' CloudFormation role");
    for (id, role) in roles {
        let name = role["Properties"]["RoleName"].as_str().unwrap();
        assert!(!name.starts_with("saas-tenant-"), "{id} is named {name}");
    }
}

#[test]
fn tenant_identity_carries_an_immutable_tenant_claim() {
    let platform = reference();
    for tenant in platform.tenants() {
        let template = tenant_template(tenant.id.as_str());
        let tier = platform.tier_of(tenant);
        let pools = resources_of_type(&template, "AWS::Cognito::UserPool");
        match tier.identity {
            tenancy::model::Identity::Dedicated => {
                assert_eq!(pools.len(), 1);
                let schema = &pools[0].1["Properties"]["Schema"][0];
                assert_eq!(schema["Name"], "tenant-id");
                assert_eq!(schema["Mutable"], false);
            }
            tenancy::model::Identity::Pooled => assert!(pools.is_empty()),
        }
        // Its administrators' group in either pool, and its users' group in the shared one; the
        // admin user is in both.
        let groups: Vec<&str> = resources_of_type(&template, "AWS::Cognito::UserPoolGroup")
            .iter()
            .map(|(_, g)| g["Properties"]["GroupName"].as_str().unwrap())
            .collect();
        let admins = format!("admins-{}", tenant.id);
        let users = format!("tenant-{}", tenant.id);
        let expected: Vec<&str> = match tier.identity {
            tenancy::model::Identity::Dedicated => vec![&admins],
            tenancy::model::Identity::Pooled => vec![&admins, &users],
        };
        assert_eq!(groups, expected, "{}", tenant.id);
        let attachments = resources_of_type(&template, "AWS::Cognito::UserPoolUserToGroupAttachment");
        assert_eq!(attachments.len(), expected.len(), "{}: the admin user is in each group", tenant.id);
        for (_, attachment) in attachments {
            assert_eq!(attachment["Properties"]["Username"], json!({"Ref": "AdminUser"}));
        }
        let (_, client) = resources_of_type(&template, "AWS::Cognito::UserPoolClient")[0];
        let client = &client["Properties"];
        assert!(!strings(&client["WriteAttributes"]).contains(&"custom:tenant-id"), "users could rewrite their tenant");
        assert!(strings(&client["ReadAttributes"]).contains(&"custom:tenant-id"));
        assert_eq!(client["AllowedOAuthFlows"], json!(["code"]));
        assert_eq!(client["CallbackURLs"], json!([format!("https://{}.app.saas.example.com/", tenant.id)]));
        let (_, admin) = resources_of_type(&template, "AWS::Cognito::UserPoolUser")[0];
        let attributes = admin["Properties"]["UserAttributes"].as_array().unwrap();
        assert!(attributes.contains(&json!({"Name": "custom:tenant-id", "Value": tenant.id.as_str()})));
        for output in ["UserPoolId", "UserPoolClientId", "IssuerUrl", "RoleArn", "OrderTableName", "AppUrl"] {
            assert!(template["Outputs"][output].is_object(), "{}: missing output {output}", tenant.id);
        }
    }
}

#[test]
fn storage_and_sites_are_locked_down() {
    for (path, contents) in files(&reference()) {
        if !path.ends_with(".cfn.yaml") {
            continue;
        }
        let template = template_json(&contents);
        for (id, table) in resources_of_type(&template, "AWS::DynamoDB::Table") {
            let p = &table["Properties"];
            assert_eq!(p["BillingMode"], "PAY_PER_REQUEST", "{path} {id}");
            assert_eq!(p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true, "{path} {id}");
            assert_eq!(p["SSESpecification"]["SSEEnabled"], true, "{path} {id}");
            assert_eq!(p["SSESpecification"]["SSEType"], "KMS", "{path} {id}: not under the customer managed key");
            assert!(table["DeletionPolicy"].is_string(), "{path} {id} has no DeletionPolicy");
        }
        for (id, bucket) in resources_of_type(&template, "AWS::S3::Bucket") {
            let block = &bucket["Properties"]["PublicAccessBlockConfiguration"];
            for key in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] {
                assert_eq!(block[key], true, "{path} {id} {key}");
            }
            assert!(bucket["Properties"]["BucketEncryption"].is_object(), "{path} {id}");
        }
        for (id, distribution) in resources_of_type(&template, "AWS::CloudFront::Distribution") {
            let config = &distribution["Properties"]["DistributionConfig"];
            assert_eq!(config["ViewerCertificate"]["MinimumProtocolVersion"], "TLSv1.2_2021", "{path} {id}");
            assert_eq!(config["DefaultCacheBehavior"]["ViewerProtocolPolicy"], "redirect-to-https", "{path} {id}");
            let codes: Vec<&Value> =
                config["CustomErrorResponses"].as_array().unwrap().iter().map(|r| &r["ErrorCode"]).collect();
            assert_eq!(codes, [&json!(403), &json!(404)]);
            assert!(
                config["Origins"][0]["OriginAccessControlId"].is_object(),
                "{path} {id} has no origin access control"
            );
        }
        for (id, repository) in resources_of_type(&template, "AWS::ECR::Repository") {
            assert_eq!(repository["Properties"]["ImageTagMutability"], "IMMUTABLE", "{path} {id}");
            assert_eq!(repository["Properties"]["ImageScanningConfiguration"]["ScanOnPush"], true, "{path} {id}");
        }
    }
}

#[test]
fn silo_tables_follow_their_tier_retention() {
    let platform = reference();
    for tenant in platform.tenants() {
        let template = tenant_template(tenant.id.as_str());
        let expected = match platform.tier_of(tenant).data_retention {
            tenancy::model::DataRetention::Retain => "Retain",
            tenancy::model::DataRetention::Backup => "Delete",
        };
        let table = &template["Resources"]["OrderTable"];
        assert_eq!(table["DeletionPolicy"], expected, "{}", tenant.id);
        assert_eq!(table["UpdateReplacePolicy"], expected, "{}", tenant.id);
        assert_eq!(table["Properties"]["DeletionProtectionEnabled"], expected == "Retain", "{}", tenant.id);
    }
}

#[test]
fn the_edge_lives_in_us_east_1() {
    let all = files(&reference());
    // The reference runs in eu-west-1: certificate and web ACL are a stack of their own, and
    // the baseline takes their ARNs as parameters. The baseline keeps only the API's regional
    // certificate.
    let certificate = template_json(&all["baseline/edge.cfn.yaml"]);
    assert_eq!(resources_of_type(&certificate, "AWS::CertificateManager::Certificate").len(), 1);
    assert_eq!(resources_of_type(&certificate, "AWS::WAFv2::WebACL").len(), 1);
    let baseline = template_json(&all["baseline/baseline.cfn.yaml"]);
    let regional = resources_of_type(&baseline, "AWS::CertificateManager::Certificate");
    assert_eq!(regional.len(), 1);
    assert_eq!(regional[0].1["Properties"]["DomainName"], "api.saas.example.com");
    assert!(resources_of_type(&baseline, "AWS::WAFv2::WebACL").is_empty());
    assert!(baseline["Parameters"]["CertificateArn"].is_object());
    assert!(baseline["Parameters"]["WebAclArn"].is_object());
    for (id, distribution) in resources_of_type(&baseline, "AWS::CloudFront::Distribution") {
        let config = &distribution["Properties"]["DistributionConfig"];
        assert_eq!(config["WebACLId"], json!({"Ref": "WebAclArn"}), "{id}");
        assert!(config["Logging"]["Bucket"].is_object(), "{id} does not log");
    }
    let names = strings(&certificate["Resources"]["Certificate"]["Properties"]);
    for name in ["saas.example.com", "*.saas.example.com", "*.app.saas.example.com"] {
        assert!(names.contains(&name), "{name} not covered");
    }

    // In us-east-1 the certificate sits in the baseline itself.
    let fixture = std::fs::read_to_string(root().join("tests/fixtures/good/us-east-1.yaml")).unwrap();
    let east = files(&load("us-east-1.yaml", &fixture));
    assert!(!east.contains_key("baseline/edge.cfn.yaml"));
    let baseline = template_json(&east["baseline/baseline.cfn.yaml"]);
    assert_eq!(resources_of_type(&baseline, "AWS::CertificateManager::Certificate").len(), 2);
    assert_eq!(resources_of_type(&baseline, "AWS::WAFv2::WebACL").len(), 1);
    assert!(baseline.get("Parameters").is_none());
}

/// M2 of the deployability review: the first apply runs from a workstation, so the principal
/// that runs it needs an access entry, beside the pipeline's applying roles.
#[test]
fn the_cluster_admits_the_applying_roles_and_the_declared_administrators() {
    let platform = reference();
    let config: Value = serde_yaml::from_str(&files(&platform)["baseline/eksctl-cluster.yaml"]).unwrap();
    let entries: Vec<&str> = config["accessConfig"]["accessEntries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["principalARN"].as_str().unwrap())
        .collect();
    for principal in [
        "arn:aws:iam::123456789012:role/saas-apply",
        "arn:aws:iam::123456789012:role/saas-deployer",
        "arn:aws:iam::123456789012:role/saas-platform-admin",
    ] {
        assert!(entries.contains(&principal), "{principal} has no access entry: {entries:?}");
    }
    assert_eq!(config["iam"]["withOIDC"], false, "nothing trusts the cluster's issuer");
    assert_eq!(config["addonsConfig"]["disableDefaultAddons"], true, "eksctl adds only what is listed");
    let access = template_json(&files(&platform)["baseline/cluster-access.cfn.yaml"]);
    let addons: Vec<&str> = resources_of_type(&access, "AWS::EKS::Addon")
        .iter()
        .map(|(_, a)| a["Properties"]["AddonName"].as_str().unwrap())
        .collect();
    assert!(addons.contains(&"eks-pod-identity-agent"), "{addons:?}");
}

/// M8 of the deployability review: a dedicated pool is protected from deletion, so offboarding
/// must be able to turn that off (a parameter it sets before deleting the stack), and it must
/// know whether the tier promised a backup (an output it reads from the journal).
#[test]
fn tenant_stacks_let_offboarding_unprotect_the_pool_and_say_what_to_keep() {
    let platform = reference();
    for tenant in platform.tenants() {
        let template = tenant_template(tenant.id.as_str());
        let tier = platform.tiers().iter().find(|t| t.name == tenant.tier).unwrap();
        let retention = &template["Outputs"]["DataRetention"]["Value"];
        let expected = match tier.data_retention {
            tenancy::model::DataRetention::Backup => "backup",
            tenancy::model::DataRetention::Retain => "retain",
        };
        assert_eq!(retention, expected, "{}", tenant.id);
        match tier.identity {
            tenancy::model::Identity::Dedicated => {
                let parameter = &template["Parameters"]["UserPoolDeletionProtection"];
                assert_eq!(parameter["Default"], "ACTIVE");
                assert_eq!(parameter["AllowedValues"], json!(["ACTIVE", "INACTIVE"]));
                assert_eq!(
                    template["Resources"]["UserPool"]["Properties"]["DeletionProtection"],
                    json!({"Ref": "UserPoolDeletionProtection"})
                );
            }
            tenancy::model::Identity::Pooled => {
                assert!(template["Parameters"].get("UserPoolDeletionProtection").is_none(), "the shared pool stays");
            }
        }
    }
}

/// M7 of the deployability review: the tenants' HPAs need resource metrics (metrics-server),
/// and more pods than the nodes hold need more nodes (the cluster autoscaler, with a role of
/// its own, associated with its ServiceAccount).
#[test]
fn the_cluster_can_scale_pods_and_nodes() {
    let all = files(&reference());
    let access = template_json(&all["baseline/cluster-access.cfn.yaml"]);
    let addons: Vec<&str> = resources_of_type(&access, "AWS::EKS::Addon")
        .iter()
        .map(|(_, a)| a["Properties"]["AddonName"].as_str().unwrap())
        .collect();
    assert!(addons.contains(&"metrics-server"), "{addons:?}");
    let releases: Value = serde_yaml::from_str(&all["baseline/helm/releases.yaml"]).unwrap();
    let autoscaler = releases["releases"].as_array().unwrap().iter().find(|r| r["name"] == "cluster-autoscaler");
    let autoscaler = autoscaler.expect("a cluster-autoscaler release");
    assert_eq!(autoscaler["namespace"], "kube-system");
    let values: Value = serde_yaml::from_str(&all["baseline/helm/cluster-autoscaler.values.yaml"]).unwrap();
    assert_eq!(values["autoDiscovery"]["clusterName"], "saas");
    let associated: Vec<(&str, &str)> = resources_of_type(&access, "AWS::EKS::PodIdentityAssociation")
        .iter()
        .map(|(_, a)| {
            (a["Properties"]["ServiceAccount"].as_str().unwrap(), a["Properties"]["RoleArn"].as_str().unwrap())
        })
        .collect();
    assert!(
        associated.contains(&(
            values["rbac"]["serviceAccount"]["name"].as_str().unwrap(),
            "arn:aws:iam::123456789012:role/saas-cluster-autoscaler"
        )),
        "{associated:?}"
    );
    let delivery = template_json(&all["baseline/delivery.cfn.yaml"]);
    let scale = serde_json::to_string(&delivery["Resources"]["ClusterAutoscalerRole"]).unwrap();
    assert!(
        scale.contains("autoscaling:SetDesiredCapacity")
            && scale.contains("aws:ResourceTag/k8s.io/cluster-autoscaler/saas")
    );
}

/// B4 of the deployability review: the source bundle's bucket exists before any build (the
/// bootstrap stack), keeps versions (the S3 source action needs them) and tells EventBridge
/// about new objects; a rule starts the pipeline when the bundle is pushed (the source action
/// does not poll).
#[test]
fn a_pushed_source_bundle_starts_the_pipeline() {
    let all = files(&reference());
    let bootstrap = template_json(&all["baseline/bootstrap.cfn.yaml"]);
    let bucket = &bootstrap["Resources"]["ArtifactsBucket"]["Properties"];
    assert_eq!(bucket["BucketName"], "saas-artifacts-123456789012-eu-west-1");
    assert_eq!(bucket["VersioningConfiguration"]["Status"], "Enabled");
    assert_eq!(bucket["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"], true);
    let delivery = template_json(&all["baseline/delivery.cfn.yaml"]);
    let pipeline = &delivery["Resources"]["PlatformPipeline"]["Properties"];
    let source = &pipeline["Stages"][0]["Actions"][0]["Configuration"];
    assert_eq!(source["PollForSourceChanges"], "false");
    let rule = &delivery["Resources"]["PipelineTrigger"]["Properties"];
    assert_eq!(rule["EventPattern"]["detail"]["bucket"]["name"], json!([source["S3Bucket"]]));
    assert_eq!(rule["EventPattern"]["detail"]["object"]["key"], json!([source["S3ObjectKey"]]));
    assert_eq!(rule["EventPattern"]["detail-type"], json!(["Object Created"]));
    assert_eq!(source["S3ObjectKey"], tenancy::compile::SOURCE_KEY);
    let target = &rule["Targets"][0];
    assert_eq!(
        target["Arn"]["Fn::Sub"],
        "arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:saas-platform"
    );
    let trigger = serde_json::to_string(&delivery["Resources"]["PipelineTriggerRole"]).unwrap();
    assert!(trigger.contains("codepipeline:StartPipelineExecution") && trigger.contains("events.amazonaws.com"));
}
