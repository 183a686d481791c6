//! The customization hook: what a platform team adds through it is checked like everything the
//! compiler emits, and `tenancy verify` proves isolation over it. The customizations are those
//! of `examples/tenant_queue.rs` (compiled here), and variants of them with a defect planted.

use std::collections::BTreeMap;

use tenancy::cfn::resources::Queue;
use tenancy::cfn::{Expr, LogicalId, Statement};
use tenancy::compile::{CompileError, Customizations, compile_with, tenant_artifacts};
use tenancy::model::{Platform, TierName};
use tenancy::plan::attach;
use tenancy::verify::{AcceptedList, Property, Report};

use crate::common::*;

#[allow(dead_code, reason = "the example's main is not called here")]
#[path = "../examples/tenant_queue.rs"]
mod tenant_queue;

fn verified(platform: &Platform, custom: &Customizations) -> Report {
    let mut artifacts = compile_with(platform, custom).unwrap();
    attach(platform, &mut artifacts).unwrap();
    let files: BTreeMap<String, String> = artifacts.files.into_iter().map(|a| (a.path, a.contents)).collect();
    let accepted: AcceptedList =
        serde_yaml::from_str(&std::fs::read_to_string(root().join("blueprints/accepted-findings.yaml")).unwrap())
            .unwrap();
    tenancy::verify::verify(&files, Some(&accepted))
}

fn failures(report: &Report) -> Vec<String> {
    report.findings.iter().filter(|f| f.property.fails() && f.accepted.is_none()).map(|f| f.message.clone()).collect()
}

#[test]
fn the_example_queue_per_tenant_keeps_every_property() {
    let platform = reference();
    let plain = verified(&platform, &Customizations::new());
    let report = verified(&platform, &tenant_queue::customizations());
    assert!(!report.failed(), "{}", failures(&report).join("\n"));
    // Not vacuous: every tenant's queue was checked against every other tenant's.
    assert!(
        report.checked[&Property::Isolation] > plain.checked[&Property::Isolation],
        "{} isolation questions with the queues, {} without",
        report.checked[&Property::Isolation],
        plain.checked[&Property::Isolation]
    );
    assert!(report.checked[&Property::Sufficiency] > plain.checked[&Property::Sufficiency], "the SQS handlers");
    // And the queue is there, in every tenant's stack.
    let files = compile_with(&platform, &tenant_queue::customizations()).unwrap().files;
    for tenant in platform.tenants() {
        let stack = files.iter().find(|a| a.path == format!("tenants/{}/stack.cfn.yaml", tenant.id)).unwrap();
        assert!(stack.contents.contains(&format!("QueueName: saas-tenant-{}-events", tenant.id)), "{}", tenant.id);
        // The escape hatch's two properties, after the typed ones.
        assert!(
            stack.contents.contains("      ReceiveMessageWaitTimeSeconds: 20\n      VisibilityTimeout: 120\n"),
            "{}",
            tenant.id
        );
    }
}

#[test]
fn a_grant_on_every_tenants_queue_is_an_isolation_finding() {
    let platform = reference();
    // The planted defect: each tenant's role is granted SendMessage on all tenant queues.
    let custom = tenant_queue::customizations().tenants(|cx, artifacts| {
        let all = format!("arn:aws:sqs:eu-west-1:123456789012:{}-tenant-*-events", cx.platform.name());
        artifacts.grant(Statement::allow("AllQueues", &["sqs:SendMessage"]).on([Expr::str(all)]));
    });
    let report = verified(&platform, &custom);
    let found = failures(&report);
    assert!(report.failed());
    assert!(
        found.iter().any(|m| m.starts_with("tenant acme can sqs:SendMessage on tenant ")
            && m.contains("'s AWS::SQS::Queue (the role comes from tenants/acme/stack.cfn.yaml:")),
        "{}",
        found.join("\n")
    );
}

#[test]
fn a_queue_the_stack_role_may_not_create_is_a_sufficiency_finding() {
    let platform = reference();
    // The queue without the platform hook that lets CloudFormation create it.
    let custom = Customizations::new().tenants(|cx, artifacts| {
        artifacts.stack.resource(
            &LogicalId::fixed("EventsQueue"),
            Queue {
                queue_name: Expr::str(format!("{}-events", cx.names.stack)),
                sqs_managed_sse_enabled: true,
                message_retention_period: 345_600,
                tags: vec![],
            },
        );
    });
    let report = verified(&platform, &custom);
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.property == Property::Sufficiency && f.accepted.is_none())
        .map(|f| f.action.as_str())
        .collect();
    assert!(found.contains(&"sqs:CreateQueue") && found.contains(&"sqs:DeleteQueue"), "{found:?}");
}

#[test]
fn what_a_hook_adds_is_checked_before_anything_is_rendered() {
    let platform = reference();
    let custom = Customizations::new().tenants(|_, artifacts| {
        artifacts.grant(
            Statement::allow("Dangling", &["sqs:SendMessage"]).on([Expr::get_att(&LogicalId::fixed("Nope"), "Arn")]),
        );
    });
    let acme = platform.tenants().iter().find(|t| t.id.as_str() == "acme").unwrap();
    let err = tenant_artifacts(&platform, acme, &custom).unwrap_err();
    let CompileError::Template { artifact, source } = &err else { panic!("{err}") };
    assert_eq!(artifact, "tenants/acme/stack.cfn.yaml");
    assert!(source.problems.iter().any(|p| p.contains("Nope")), "{:?}", source.problems);
}

#[test]
fn tier_hooks_touch_their_tiers_tenants_only_and_compile_stays_deterministic() {
    let platform = reference();
    let premium =
        platform.tenants().iter().find(|t| t.tier.as_str() == "premium").expect("a premium tenant").tier.clone();
    let custom = Customizations::new().tier(TierName::parse(premium.as_str()).unwrap(), |_, artifacts| {
        for object in artifacts.bundle.objects_mut() {
            object
                .metadata_mut()
                .labels
                .get_or_insert_with(Default::default)
                .insert("example.com/tier-hook".into(), "yes".into());
        }
    });
    let files = compile_with(&platform, &custom).unwrap().files;
    assert_eq!(files, compile_with(&platform, &custom).unwrap().files, "same hooks, same bytes");
    for tenant in platform.tenants() {
        let bundle = files.iter().find(|a| a.path == format!("tenants/{}/k8s.yaml", tenant.id)).unwrap();
        assert_eq!(bundle.contents.contains("example.com/tier-hook"), tenant.tier == premium, "{}", tenant.id);
    }
    // Without hooks, exactly what compile emits.
    assert_eq!(compile_with(&platform, &Customizations::new()).unwrap(), tenancy::compile::compile(&platform).unwrap());
}
