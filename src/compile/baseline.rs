//! The baseline stack: everything platform-wide that lives in the platform's region.

use crate::cfn::resources::{
    Alias, Certificate, DomainValidationOption, EncryptionConfiguration, ImageScanningConfiguration, Key,
    LifecyclePolicy, Repository, Table, Topic, UserPoolDomain,
};
use crate::cfn::{
    Expr, LogicalId, Output, Parameter, Policy, PolicyDocument, Statement, Template, TemplateBuilder, TemplateError,
};
use crate::model::{self, BaselineNames, Identity, Platform, Storage, StorageModel};

use super::common::{BucketRef, baseline_export, exports, platform_tags, regional_arn};
use super::edge::{CERTIFICATE_ARN, WEB_ACL_ARN, add_edge, separate_stack};
use super::identity::{user_pool, web_client};
use super::static_site::{Site, SiteShared, add_site};

pub fn baseline_stack(platform: &Platform) -> Result<Template, TemplateError> {
    let names = platform.baseline_names();
    let p = platform.name();
    let mut t =
        TemplateBuilder::new(format!("tenancy {p}: baseline (tables, registries, sites, identity, deployment)"));
    let tags = platform_tags(platform);

    // Edge: certificate and web ACL here in us-east-1, otherwise parameters bound from the
    // us-east-1 edge stack.
    let (certificate_arn, web_acl_arn) = if separate_stack(platform) {
        let mut parameter = |name: &'static str, what: &str, pattern: &str| {
            let id = LogicalId::fixed(name);
            t.parameter(
                &id,
                Parameter::string(format!("{what} (output {name} of the {} stack)", names.edge_stack), Some(pattern)),
            );
            Expr::reference(&id)
        };
        (
            parameter(
                CERTIFICATE_ARN,
                "ARN of the us-east-1 CloudFront certificate",
                "^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]+$",
            ),
            parameter(
                WEB_ACL_ARN,
                "ARN of the us-east-1 CloudFront web ACL",
                "^arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/[A-Za-z0-9_-]+/[0-9a-f-]+$",
            ),
        )
    } else {
        add_edge(&mut t, platform)
    };

    // The API's regional certificate, which the ingress controller's NLB serves.
    let api_certificate = LogicalId::fixed("ApiCertificate");
    let api_host = crate::model::naming::api_host(platform.domain());
    t.resource(
        &api_certificate,
        Certificate {
            domain_name: Expr::str(&api_host),
            subject_alternative_names: vec![],
            validation_method: "DNS",
            domain_validation_options: platform
                .hosted_zone_id()
                .map(|zone| DomainValidationOption {
                    domain_name: Expr::str(&api_host),
                    hosted_zone_id: Expr::str(zone.as_str()),
                })
                .into_iter()
                .collect(),
            tags: tags.clone(),
        },
    );
    t.output(
        &LogicalId::fixed(crate::contract::outputs::baseline::API_CERTIFICATE_ARN),
        Output::new(
            "Regional certificate of the API host, for the ingress load balancer",
            Expr::reference(&api_certificate),
        ),
    );

    // The key that encrypts tenant data, registries and logs.
    let key = add_data_key(&mut t, platform);

    // Every bucket and distribution logs to the bootstrap stack's logs bucket.
    let logs_bucket = BucketRef { name: names.logs_bucket.clone() };

    // Tables: tenant records, provider metadata, and each pooled service's shared table.
    let tenant_table = LogicalId::fixed("TenantTable");
    let table = |name: &str, partition_key: &str, sort_key: Option<&str>| {
        Table::on_demand(Expr::str(name), partition_key, sort_key, key.clone(), true, tags.clone())
    };
    t.resource(&tenant_table, table(&names.tenant_table, "TenantId", None)).keep(Policy::Retain);
    t.resource(&LogicalId::fixed("ProviderMetadataTable"), table(&names.metadata_table, "MetadataKey", None))
        .keep(Policy::Retain);
    // The control plane's registry: lifecycle records, audit trails, sign-up claims.
    let registry_table = LogicalId::fixed("RegistryTable");
    t.resource(&registry_table, table(&names.registry_table, "Pk", Some("Sk"))).keep(Policy::Retain);
    t.output(
        &LogicalId::fixed(crate::contract::outputs::baseline::REGISTRY_TABLE),
        Output::new("The control plane's registry of tenant lifecycles", Expr::reference(&registry_table)),
    );
    for service in platform.services() {
        // A pooled table for every pool service, and for every silo service a pooled tier pools.
        let pooled_by_a_tier = platform.pooled_tiers().any(|t| t.storage_model(service) == StorageModel::Pool);
        let storage = if pooled_by_a_tier { service.storage_as(StorageModel::Pool) } else { service.storage.clone() };
        if let Storage::Pool(keys) = &storage {
            let id = LogicalId::derive(service.name.as_str(), "Table");
            let name = BaselineNames::pooled_table(p, &service.name);
            let sort_key = keys.sort_key.as_ref().map(|k| k.as_str());
            t.resource(&id, table(&name, keys.partition_key.as_str(), sort_key)).keep(Policy::Retain);
        }
    }

    // A container registry per image: the blueprint's services and the control plane's.
    for image in super::images::images(platform) {
        let id = LogicalId::derive(&image, "Repository");
        t.resource(
            &id,
            Repository {
                repository_name: Expr::str(BaselineNames::repository(p, &image)),
                image_tag_mutability: "IMMUTABLE",
                image_scanning_configuration: ImageScanningConfiguration { scan_on_push: true },
                encryption_configuration: EncryptionConfiguration { encryption_type: "KMS", kms_key: key.clone() },
                lifecycle_policy: LifecyclePolicy { lifecycle_policy_text: ECR_LIFECYCLE_POLICY.to_owned() },
                tags: tags.clone(),
            },
        )
        .keep(Policy::Retain);
    }

    // Static sites. The app site answers for every tenant's <t>.app. through a wildcard alias, so
    // onboarding a tenant never changes the baseline; tenant stacks add their own DNS record.
    let domain = platform.domain();
    let sites = [
        Site {
            kind: model::Site::Admin,
            aliases: vec![format!("admin.{domain}")],
            records: vec![format!("admin.{domain}")],
        },
        // With a pooled tier, one wildcard record answers for all its tenants: a record each
        // would pass Route 53's 10,000 records per hosted zone long before 10,000 tenants.
        Site {
            kind: model::Site::App,
            aliases: vec![format!("*.app.{domain}")],
            records: if platform.pooled_tiers().next().is_some() { vec![format!("*.app.{domain}")] } else { vec![] },
        },
        Site {
            kind: model::Site::Landing,
            aliases: vec![format!("www.{domain}")],
            records: vec![format!("www.{domain}")],
        },
    ];
    let mut app_distribution = None;
    let shared = SiteShared { certificate_arn, web_acl_arn, logs_bucket: logs_bucket.clone() };
    for site in &sites {
        let distribution = add_site(&mut t, platform, site, &shared);
        // Its site step invalidates it after an upload, under a role granted exactly it.
        let id_output = exports::site_distribution_id(site.kind);
        t.output(
            &LogicalId::new(id_output.clone()).expect("a site's output id is alphanumeric"),
            Output::new(format!("Id of the {} site's distribution", site.kind), Expr::reference(&distribution))
                .exported_as(baseline_export(platform, &id_output)),
        );
        if site.kind == model::Site::App {
            app_distribution = Some(distribution);
        }
    }
    let app_distribution = app_distribution.expect("the app site is always emitted");
    t.output(
        &LogicalId::fixed(exports::APP_DISTRIBUTION_DOMAIN),
        Output::new(
            "Domain name of the tenant application's distribution",
            Expr::get_att(&app_distribution, "DomainName"),
        )
        .exported_as(baseline_export(platform, exports::APP_DISTRIBUTION_DOMAIN)),
    );

    // Admin identity.
    let admin_pool = LogicalId::fixed("AdminUserPool");
    t.resource(&admin_pool, user_pool(&names.admin_user_pool, false, &tags));
    let admin_client = LogicalId::fixed("AdminUserPoolClient");
    t.resource(
        &admin_client,
        web_client(
            &names.admin_console_client,
            Expr::reference(&admin_pool),
            &format!("https://admin.{domain}"),
            false,
        ),
    );
    t.resource(
        &LogicalId::fixed("AdminUserPoolDomain"),
        UserPoolDomain { domain: Expr::str(&names.admin_domain_prefix), user_pool_id: Expr::reference(&admin_pool) },
    );
    t.output(
        &LogicalId::fixed(exports::ADMIN_USER_POOL_ID),
        Output::new("Admin user pool id", Expr::reference(&admin_pool)),
    );
    t.output(
        &LogicalId::fixed(exports::ADMIN_CLIENT_ID),
        Output::new("Admin console client id", Expr::reference(&admin_client)),
    );
    t.output(
        &LogicalId::fixed(exports::ADMIN_ISSUER_URL),
        Output::new(
            "Issuer of the administrators' tokens",
            Expr::sub(format!("https://cognito-idp.${{AWS::Region}}.${{AWS::URLSuffix}}/${{{admin_pool}}}")),
        ),
    );

    // The shared tenant pool, when a tier signs tenants in through it. Tenant stacks add their
    // own group and client to it.
    if platform.tiers().iter().any(|tier| tier.identity == Identity::Pooled) {
        let pool = LogicalId::fixed("TenantsUserPool");
        t.resource(&pool, user_pool(&names.tenants_user_pool, true, &tags));
        t.resource(
            &LogicalId::fixed("TenantsUserPoolDomain"),
            UserPoolDomain { domain: Expr::str(&names.tenants_domain_prefix), user_pool_id: Expr::reference(&pool) },
        );
        t.output(
            &LogicalId::fixed(exports::TENANTS_USER_POOL_ID),
            Output::new("Shared user pool of pooled-identity tenants", Expr::reference(&pool))
                .exported_as(baseline_export(platform, exports::TENANTS_USER_POOL_ID)),
        );
    }

    // Tenant lifecycle notifications: every transition, from the registry (`tenancy.lifecycle/v1`).
    let topic = LogicalId::fixed("TenantLifecycleTopic");
    t.resource(
        &topic,
        Topic {
            topic_name: Expr::str(&names.lifecycle_topic),
            display_name: format!("{p} tenant lifecycle"),
            kms_master_key_id: Expr::str("alias/aws/sns"),
            tags: tags.clone(),
        },
    );
    t.output(
        &LogicalId::fixed(crate::contract::outputs::baseline::LIFECYCLE_TOPIC_ARN),
        Output::new("Tenant lifecycle notifications", Expr::reference(&topic)),
    );

    t.build()
}

/// The customer managed key of the platform's data: tables (tenant silo tables too, through
/// the exported ARN), registries and build logs. The account administers it; CloudWatch Logs
/// may use it for this platform's log groups only.
fn add_data_key(t: &mut TemplateBuilder, platform: &Platform) -> Expr {
    let names = platform.baseline_names();
    let key = LogicalId::fixed("DataKey");
    let policy = PolicyDocument::new(vec![
        Statement::allow("AccountAdministers", &["kms:*"])
            .principal("AWS", Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root"))
            .on([Expr::str("*")]),
        Statement::allow(
            "LogsEncryptBuildLogs",
            &["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        )
        .principal("Service", Expr::sub("logs.${AWS::Region}.amazonaws.com"))
        .on([Expr::str("*")])
        .when(
            "ArnLike",
            "kms:EncryptionContext:aws:logs:arn",
            regional_arn("logs", &format!("log-group:/aws/codebuild/{}-*", platform.name())),
        ),
    ]);
    t.resource(
        &key,
        Key {
            description: format!("{}: tenant data, registries and logs", platform.name()),
            enable_key_rotation: true,
            key_policy: policy,
            tags: platform_tags(platform),
        },
    )
    .keep(Policy::Retain);
    t.resource(
        &LogicalId::fixed("DataKeyAlias"),
        Alias { alias_name: Expr::str(&names.data_key_alias), target_key_id: Expr::reference(&key) },
    );
    t.output(
        &LogicalId::fixed(exports::DATA_KEY_ARN),
        Output::new("Key encrypting the platform's data", Expr::get_att(&key, "Arn"))
            .exported_as(baseline_export(platform, exports::DATA_KEY_ARN)),
    );
    Expr::get_att(&key, "Arn")
}

/// Untagged images go after a day; tagged ones are kept. A count rule ("the 50 newest") could
/// expire a digest running tenants still pull, and ECR cannot tell which digests run: images
/// are pruned by whoever can (a tool reading the applied bundles), not by age or count.
const ECR_LIFECYCLE_POLICY: &str = r#"{"rules":[{"rulePriority":1,"description":"expire untagged images after 1 day","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]}"#;
