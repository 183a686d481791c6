//! `tenancy quotas` counts what the compiler emits: for the reference, the pooled fixture and
//! a sample fleet in the SaaS mix, every count equals the resources of that type in the
//! compiled files (plus eksctl's stacks and roles, which no template holds), and the largest
//! user pool's clients and groups are those its template or templates make.

use std::collections::BTreeMap;

use crate::common::*;
use tenancy::model::Platform;
use tenancy::plan::quotas::{self, Use};

fn count(files: &BTreeMap<String, String>, kind: &str) -> usize {
    let line = format!("    Type: {kind}\n");
    files.iter().filter(|(p, _)| p.ends_with(".cfn.yaml")).map(|(_, t)| t.matches(&line).count()).sum()
}

fn of(usage: &[Use], quota: quotas::Quota) -> &Use {
    usage.iter().find(|u| u.quota == quota && (u.quota != quotas::STACKS || u.of.is_none())).unwrap()
}

fn check(name: &str, platform: &Platform) -> Vec<Use> {
    let files = files(platform);
    let usage = quotas::usage(platform, 0);
    // eksctl's cluster and node groups: a stack and a role each.
    let eksctl = 2 + platform.tiers().iter().filter(|t| t.placement == tenancy::model::Placement::Dedicated).count();
    let stacks = files.keys().filter(|p| p.ends_with(".cfn.yaml") && p.as_str() != "baseline/edge.cfn.yaml").count();
    assert_eq!(of(&usage, quotas::STACKS).count, stacks + eksctl, "{name}: stacks");
    assert_eq!(of(&usage, quotas::ROLES).count, count(&files, "AWS::IAM::Role") + eksctl, "{name}: roles");
    for (quota, kind) in [
        (quotas::TABLES, "AWS::DynamoDB::Table"),
        (quotas::USER_POOLS, "AWS::Cognito::UserPool"),
        (quotas::REPOSITORIES, "AWS::ECR::Repository"),
        (quotas::ASSOCIATIONS, "AWS::EKS::PodIdentityAssociation"),
        (quotas::RECORDS, "AWS::Route53::RecordSet"),
    ] {
        assert_eq!(of(&usage, quota).count, count(&files, kind), "{name}: {kind}");
    }
    usage
}

#[test]
fn the_counts_are_the_compiled_resources() {
    check("reference", &reference());
    let pooled = tenancy::blueprint::load_file(&root().join("tests/fixtures/good/pooled.yaml")).unwrap();
    let usage = check("pooled", &pooled);
    // basic's cell 0 holds alpha, beta and gamma: a client and two groups each.
    let clients = of(&usage, quotas::CLIENTS_PER_POOL);
    assert_eq!((clients.count, clients.of.as_deref()), (3, Some("fleet-cell-basic-0")));
    assert_eq!(of(&usage, quotas::GROUPS_PER_POOL).count, 6);
    let files = files(&pooled);
    assert_eq!(
        count(
            &BTreeMap::from([("c.cfn.yaml".to_owned(), files["pools/basic/cell-000.cfn.yaml"].clone())]),
            "AWS::Cognito::UserPoolClient"
        ),
        3
    );
}

/// The SaaS mix at 10,000 tenants fits every default quota (the README's table), while the same
/// fleet with every tenant dedicated does not.
#[test]
fn ten_thousand_tenants_in_the_mix_fit_every_default_quota_and_all_dedicated_do_not() {
    let mix = load("mix.yaml", &tenancy::blueprint::sample(10_000, &[]).unwrap());
    let usage = quotas::usage(&mix, 19);
    assert!(usage.iter().all(|u| !u.exceeds()), "{}", quotas::table(&usage));
    let dedicated = load("dedicated.yaml", &tenancy::blueprint::sample(10_000, &reference_tiers()).unwrap());
    let over: Vec<String> =
        quotas::usage(&dedicated, 19).iter().filter(|u| u.exceeds()).map(|u| u.quota.what.to_owned()).collect();
    for quota in
        ["CloudFormation stacks", "IAM roles", "DynamoDB tables", "Cognito user pools", "Pod Identity", "Route 53"]
    {
        assert!(over.iter().any(|o| o.contains(quota)), "{quota} not over: {over:?}");
    }
    let warning = quotas::usage(&dedicated, 19).into_iter().find(|u| u.quota == quotas::ROLES).unwrap().warning();
    assert!(
        warning.contains("IAM roles per account, over AWS's default quota of 1000")
            && warning.contains("pool more tiers"),
        "{warning}"
    );
}

/// A sample of a few hundred in the mix compiles and its counts hold too.
#[test]
fn a_sample_in_the_mix_counts_as_it_compiles() {
    let mix = load("mix.yaml", &tenancy::blueprint::sample(300, &[]).unwrap());
    check("mix of 300", &mix);
}
