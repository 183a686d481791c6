//! The deploy plan: the reference platform's edges and waves, properties of the graph engine on
//! random graphs, the pipeline that runs it, and the buildspecs it starts.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use proptest::prelude::*;
use tenancy::compile::{MAX_ACTIONS_PER_STAGE, TENANT_SHARDS, baseline_waves, batches, pipeline_stages};
use tenancy::model::{DisplayName, EmailAddress, Tenant, TenantId, TierName};
use tenancy::plan::{Action, DeployPlan, Step, StepId, attach};

fn reference_plan() -> DeployPlan {
    let platform = reference();
    let mut artifacts = tenancy::compile::compile(&platform).unwrap();
    attach(&platform, &mut artifacts).unwrap()
}

fn id(s: &str) -> StepId {
    StepId::new(s)
}

#[test]
fn reference_edges_come_in_the_required_order() {
    let plan = reference_plan();
    let before = |a: &str, b: &str| assert!(plan.depends(&id(b), &id(a)), "{a} must come before {b}");
    // Cluster before add-ons before any tenant bundle.
    before("baseline/cluster", "baseline/addons");
    // Certificate (us-east-1) before static sites (baseline) before tenant alias records.
    before("baseline/edge", "baseline/stack");
    // Tables and registries (baseline) before images before tenant bundles.
    before("baseline/stack", "baseline/images");
    // The control plane runs its images as its roles' associations, behind the ingress
    // controller, reading the baseline's outputs and starting the delivery stack's project.
    for needed in ["baseline/images", "baseline/access", "baseline/addons", "baseline/stack", "baseline/delivery"] {
        before(needed, "baseline/control-plane");
    }
    for tenant in reference().tenants() {
        let t = |part: &str| format!("tenant/{}/{part}", tenant.id);
        before("baseline/addons", &t("k8s"));
        before("baseline/images", &t("k8s"));
        before("baseline/stack", &t("stack"));
        // The stack's Pod Identity association needs the cluster.
        before("baseline/cluster", &t("stack"));
        before(&t("stack"), &t("k8s"));
        before(&t("k8s"), &t("register"));
    }
    let waves: Vec<Vec<&str>> = plan.waves().iter().map(|w| w.iter().map(StepId::as_str).collect()).collect();
    assert_eq!(waves[0], ["baseline/edge"]);
    assert_eq!(waves[1], ["baseline/stack"]);
    assert_eq!(waves[2], ["baseline/delivery"]);
    // The sites build beside the cluster and the images: they need only their buckets and project.
    assert_eq!(
        waves[3],
        ["baseline/cluster", "baseline/images", "baseline/site-admin", "baseline/site-app", "baseline/site-landing"]
    );
    assert!(waves[4].contains(&"baseline/access") && waves[4].contains(&"tenant/acme/stack"));
    assert_eq!(waves[5], ["baseline/addons"]);
    // The bundles: the control plane's beside the tenants'.
    assert!(waves[6].iter().all(|s| s.ends_with("/k8s") || *s == "baseline/control-plane"), "{:?}", waves[6]);
    assert!(waves[6].contains(&"baseline/control-plane"));
    assert!(waves[7].iter().all(|s| s.ends_with("/register")));
    let critical: Vec<&str> = plan.critical_path().iter().map(StepId::as_str).collect();
    assert_eq!(
        &critical[..5],
        ["baseline/edge", "baseline/stack", "baseline/delivery", "baseline/cluster", "baseline/access"]
    );
}

#[test]
fn tenant_steps_depend_only_on_the_baseline_and_their_own() {
    let plan = reference_plan();
    for step in plan.steps() {
        let Some(tenant) = step.id.tenant() else { continue };
        for dep in &step.depends_on {
            assert!(
                dep.tenant().is_none() || dep.tenant() == Some(tenant),
                "{} depends on another tenant's {}",
                step.id,
                dep
            );
        }
        for binding in &step.bindings {
            assert!(binding.from.tenant().is_none() || binding.from.tenant() == Some(tenant), "{binding:?}");
        }
    }
}

#[test]
fn bindings_carry_deploy_time_values_to_later_steps() {
    let plan = reference_plan();
    let register = plan.step(&id("tenant/acme/register")).unwrap();
    let inputs: Vec<(String, &str, &str)> =
        register.bindings.iter().map(|b| (b.input.to_string(), b.from.as_str(), b.output.as_str())).collect();
    assert!(inputs.contains(&("record:userPoolId".into(), "tenant/acme/stack", "UserPoolId")), "{inputs:?}");
    assert!(inputs.contains(&("record:clientId".into(), "tenant/acme/stack", "UserPoolClientId")), "{inputs:?}");
    let bundle = plan.step(&id("tenant/acme/k8s")).unwrap();
    assert!(
        bundle
            .bindings
            .iter()
            .any(|b| b.input.to_string() == "${stack:saas-tenant-acme:IssuerUrl}" && b.output == "IssuerUrl")
    );
    let baseline = plan.step(&id("baseline/stack")).unwrap();
    assert!(
        baseline
            .bindings
            .iter()
            .any(|b| b.input.to_string() == "parameter:CertificateArn" && b.from.as_str() == "baseline/edge")
    );
    let addons = plan.step(&id("baseline/addons")).unwrap();
    assert!(addons.bindings.iter().any(|b| b.input.to_string() == "env:API_CERTIFICATE_ARN"));
}

#[test]
fn every_artifact_is_applied_by_exactly_one_step_and_hashes_follow_content() {
    let platform = reference();
    let mut artifacts = tenancy::compile::compile(&platform).unwrap();
    let plan = attach(&platform, &mut artifacts).unwrap();
    let mut owned: BTreeMap<&str, &str> = BTreeMap::new();
    for step in plan.steps() {
        for path in &step.artifacts {
            assert!(owned.insert(path, step.id.as_str()).is_none(), "{path} owned twice");
        }
        assert_eq!(step.hash.len(), 64);
    }
    for artifact in &artifacts.files {
        let plan_file = tenancy::plan::PLAN_FILES.contains(&artifact.path.as_str());
        assert_eq!(owned.contains_key(artifact.path.as_str()), !plan_file, "{}", artifact.path);
    }

    // Changing one tenant's tier changes the hashes of that tenant's artifact steps only.
    let mut doc: serde_yaml::Value = serde_yaml::from_str(&reference_text()).unwrap();
    doc["tenants"][0]["tier"] = "premium".into();
    let changed = load("changed.yaml", &serde_yaml::to_string(&doc).unwrap());
    let mut changed_artifacts = tenancy::compile::compile(&changed).unwrap();
    let changed_plan = attach(&changed, &mut changed_artifacts).unwrap();
    let differing: BTreeSet<&str> = plan
        .steps()
        .into_iter()
        .filter(|s| changed_plan.step(&s.id).unwrap().hash != s.hash)
        .map(|s| s.id.as_str())
        .collect();
    // The record holds the tier, so registration changes too.
    assert_eq!(differing, BTreeSet::from(["tenant/acme/k8s", "tenant/acme/register", "tenant/acme/stack"]));
}

#[test]
fn adding_a_tenant_adds_only_its_own_steps() {
    let platform = reference();
    let before = reference_plan();
    let bigger = platform
        .to_builder()
        .tenant(Tenant::new(
            TenantId::parse("zeta").unwrap(),
            DisplayName::parse("Zeta").unwrap(),
            TierName::parse("basic").unwrap(),
            EmailAddress::parse("root@zeta.example").unwrap(),
        ))
        .build()
        .unwrap();
    let mut artifacts = tenancy::compile::compile(&bigger).unwrap();
    let after = attach(&bigger, &mut artifacts).unwrap();
    let ids = |plan: &DeployPlan| plan.steps().into_iter().map(|s| s.id.clone()).collect::<BTreeSet<_>>();
    let added: Vec<String> = ids(&after).difference(&ids(&before)).map(ToString::to_string).collect();
    assert_eq!(added, ["tenant/zeta/k8s", "tenant/zeta/register", "tenant/zeta/stack"]);
    for step in before.steps() {
        let same = after.step(&step.id).unwrap();
        assert_eq!(same, step, "{} changed", step.id);
    }
    for (from, to) in after.edges() {
        if let (Some(a), Some(b)) = (from.tenant(), to.tenant()) {
            assert_eq!(a, b, "edge between tenants: {from} -> {to}");
        }
    }
}

#[test]
fn the_pipeline_runs_check_then_the_plan_in_order_within_stage_limits() {
    let platform = reference();
    let plan = reference_plan();
    let stages = pipeline_stages(&platform);
    assert_eq!(stages[0].1, ["check"]);
    // Baseline stages follow the plan's waves: a step's dependencies run in earlier stages.
    let stage_of: BTreeMap<String, usize> = stages
        .iter()
        .enumerate()
        .flat_map(|(i, (_, actions))| {
            actions.iter().filter_map(move |a| a.strip_prefix("step:").map(|s| (s.to_owned(), i)))
        })
        .collect();
    for (step, stage) in &stage_of {
        for dep in &plan.step(&id(step)).unwrap().depends_on {
            assert!(stage_of[dep.as_str()] < *stage, "{dep} does not run before {step}");
        }
    }
    let baseline_steps: BTreeSet<&str> =
        plan.steps().into_iter().map(|s| s.id.as_str()).filter(|s| s.starts_with("baseline/")).collect();
    let waves = baseline_waves(&platform);
    let in_pipeline: BTreeSet<&str> = waves.iter().flatten().map(String::as_str).collect();
    assert_eq!(in_pipeline, baseline_steps);
    let shards: Vec<&String> = stages.last().unwrap().1.iter().collect();
    assert_eq!(shards.len(), TENANT_SHARDS);
    for (_, actions) in &stages {
        assert!(actions.len() <= MAX_ACTIONS_PER_STAGE);
    }
    // The generated template holds the same stages.
    let delivery = template_json(&files(&platform)["baseline/delivery.cfn.yaml"]);
    let template_stages = delivery["Resources"]["PlatformPipeline"]["Properties"]["Stages"].as_array().unwrap();
    assert_eq!(template_stages.len(), stages.len() + 1, "source stage plus one per planned stage");
}

/// B3 of the deployability review: CodeBuild resolves `buildspecOverride` relative to
/// `CODEBUILD_SRC_DIR`, the root of the source bundle (this repository), so every path a build
/// step names must exist there, and be the buildspec its project names too.
#[test]
fn codebuild_steps_name_buildspecs_that_exist_in_the_source_bundle() {
    let platform = reference();
    let delivery = template_json(&files(&platform)["baseline/delivery.cfn.yaml"]);
    let projects: BTreeMap<String, String> = delivery["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::CodeBuild::Project")
        .map(|r| {
            let p = &r["Properties"];
            (p["Name"].as_str().unwrap().to_owned(), p["Source"]["BuildSpec"].as_str().unwrap().to_owned())
        })
        .collect();
    let mut builds = 0;
    for step in reference_plan().steps() {
        let Action::Codebuild { project, buildspec, .. } = &step.action else { continue };
        builds += 1;
        assert!(root().join(buildspec).is_file(), "{}: {buildspec} is not in the source bundle", step.id);
        assert_eq!(projects.get(project), Some(buildspec), "{}: project {project} runs another buildspec", step.id);
    }
    assert!(builds >= 3);
    for (project, buildspec) in &projects {
        assert!(root().join(buildspec).is_file(), "project {project}: {buildspec} is not in the source bundle");
    }
}

/// Deploy-time values (image digests, stack outputs) reach a step only through a binding from
/// the step that produces them: a step holding a placeholder without depending on its producer
/// is an invalid plan.
#[test]
fn a_step_that_reads_a_value_without_depending_on_its_producer_is_rejected() {
    let platform = reference();
    let files = tenancy::plan::facts_of(&files(&platform));
    let mut steps = tenancy::plan::platform_steps(&platform, &files);
    let bundle = steps.iter_mut().find(|s| s.id.as_str() == "tenant/acme/k8s").unwrap();
    assert!(bundle.bindings.iter().any(|b| b.input.to_string() == "${build:saas-images:IMAGE_DIGEST_ORDER}"));
    bundle.depends_on.retain(|d| d.as_str() != "baseline/images");
    let err = DeployPlan::build(steps, &files, &tenancy::plan::PLAN_FILES).unwrap_err();
    assert_eq!(
        err.problems,
        [
            "step tenant/acme/k8s: binding ${build:saas-images:IMAGE_DIGEST_ORDER} comes from baseline/images, which does not run before it",
            "step tenant/acme/k8s: binding ${build:saas-images:IMAGE_DIGEST_PRODUCT} comes from baseline/images, which does not run before it",
        ]
    );
}

#[test]
fn every_template_value_reaching_a_command_is_quoted() {
    for (name, text) in tenancy::buildspec::TEMPLATES.iter().chain(PARTIALS.iter()) {
        let mut rest = *text;
        while let Some(start) = rest.find("{{") {
            let end = rest[start..].find("}}").expect("closed mustache") + start;
            let expression = &rest[start + 2..end];
            let allowed = expression.starts_with("sh ")
                || expression.starts_with('#')
                || expression.starts_with('/')
                || expression.starts_with('>')
                || expression == "else";
            assert!(allowed, "{name}: `{{{{{expression}}}}}` is not quoted with sh");
            assert!(!expression.starts_with('{'), "{name}: triple-stash");
            rest = &rest[end + 2..];
        }
    }
}

const PARTIALS: [(&str, &str); 4] = [
    ("install-kubectl.hbs", include_str!("../buildspecs/partials/install-kubectl.hbs")),
    ("install-rust.hbs", include_str!("../buildspecs/partials/install-rust.hbs")),
    ("install-tenancy.hbs", include_str!("../buildspecs/partials/install-tenancy.hbs")),
    ("kubeconfig.hbs", include_str!("../buildspecs/partials/kubeconfig.hbs")),
];

#[test]
fn buildspecs_install_every_tool_they_use_at_a_pinned_version() {
    let all = files(&reference());
    for (name, uses, installs) in [
        ("cluster.yml", "eksctl create cluster", "eksctl/releases/download/\"'v0.210.0'\""),
        ("addons.yml", "helm upgrade --install", "helm-\"'v3.18.4'\""),
        ("addons.yml", "kubectl apply", "release/\"'v1.33.0'\"/bin"),
        ("tenant-deploy.yml", "tenancy apply", "--default-toolchain '1.95.0'"),
        ("synth-check.yml", "tenancy check", "cargo\" build --locked --release -p tenancy-cli --bin tenancy"),
        // rustup-init at a pinned version, checked against its published digest.
        ("synth-check.yml", "rustup-init -y", "archive/\"'1.28.2'\"/x86_64-unknown-linux-gnu/rustup-init"),
        ("synth-check.yml", "rustup-init -y", "sha256sum --check rustup-init.sha256"),
        // The pipeline's applies run the binary the check stage built, never a build of their own.
        ("apply.yml", "tenancy apply", "CODEBUILD_SRC_DIR_Tools"),
        // B8: every apply that runs Kubernetes steps in CodeBuild gets a kubeconfig first.
        ("apply.yml", "tenancy apply", "aws eks update-kubeconfig --name \"$TENANCY_CLUSTER\""),
        ("tenant-deploy.yml", "tenancy apply", "aws eks update-kubeconfig --name \"$TENANCY_CLUSTER\""),
        ("tenant-offboard.yml", "tenancy apply", "aws eks update-kubeconfig --name \"$TENANCY_CLUSTER\""),
    ] {
        let text = &all[&format!("buildspecs/{name}")];
        assert!(text.contains(uses) && text.contains(installs), "{name}: {uses} without {installs}");
    }
    assert!(!all["buildspecs/apply.yml"].contains("cargo"), "the pipeline's applies build nothing");
}

fn step(n: usize, deps: &[usize]) -> Step {
    Step {
        id: StepId::new(format!("s{n:03}")),
        action: Action::Register { table: "t".into(), tenant: format!("t{n}"), tier: "x".into(), domain: "d".into() },
        artifacts: vec![],
        depends_on: deps.iter().map(|d| StepId::new(format!("s{d:03}"))).collect(),
        bindings: vec![],
        estimate_seconds: 1 + (n as u32 % 7),
    }
}

/// Random DAGs: step `i` may depend on any earlier step.
fn dag() -> impl Strategy<Value = Vec<Vec<usize>>> {
    (1usize..40).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                proptest::collection::vec(0..i.max(1), 0..=i.min(4)).prop_map(move |d| if i == 0 { vec![] } else { d })
            })
            .collect::<Vec<_>>()
    })
}

/// Random DAGs small enough to enumerate every chain.
fn small_dag() -> impl Strategy<Value = Vec<Vec<usize>>> {
    (1usize..12).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                proptest::collection::btree_set(0..i.max(1), 0..=i.min(3))
                    .prop_map(move |d| if i == 0 { vec![] } else { d.into_iter().collect() })
            })
            .collect::<Vec<_>>()
    })
}

proptest! {
    #[test]
    fn waves_respect_every_edge_and_are_minimal(deps in dag()) {
        let steps: Vec<Step> = deps.iter().enumerate().map(|(i, d)| step(i, d)).collect();
        let plan = DeployPlan::build(steps, &BTreeMap::new(), &[]).unwrap();
        let wave = |s: &StepId| plan.step(s).unwrap().wave;
        for (from, to) in plan.edges() {
            prop_assert!(wave(from) < wave(to));
        }
        for s in plan.steps() {
            if s.wave > 0 {
                prop_assert!(s.depends_on.iter().any(|d| wave(d) == s.wave - 1), "{} could run earlier", s.id);
            }
        }
        let listed: usize = plan.waves().iter().map(Vec::len).sum();
        prop_assert_eq!(listed, deps.len());
        // The critical path is a chain of edges.
        for pair in plan.critical_path().windows(2) {
            prop_assert!(plan.step(&pair[1]).unwrap().depends_on.contains(&pair[0]));
        }
    }

    /// The critical path is the heaviest chain: compared with every chain of small DAGs,
    /// enumerated by brute force (a wrong comparison or a lost edge would pass the chain test).
    #[test]
    fn the_critical_path_is_the_heaviest_chain_by_brute_force(deps in small_dag()) {
        let steps: Vec<Step> = deps.iter().enumerate().map(|(i, d)| step(i, d)).collect();
        let weight: Vec<u32> = steps.iter().map(|s| s.estimate_seconds).collect();
        let plan = DeployPlan::build(steps, &BTreeMap::new(), &[]).unwrap();
        // dependents[i]: the steps that depend on i.
        let mut dependents = vec![Vec::new(); deps.len()];
        for (i, d) in deps.iter().enumerate() {
            for &j in d {
                dependents[j].push(i);
            }
        }
        fn heaviest_from(i: usize, dependents: &[Vec<usize>], weight: &[u32]) -> u32 {
            weight[i] + dependents[i].iter().map(|&j| heaviest_from(j, dependents, weight)).max().unwrap_or(0)
        }
        let best = (0..deps.len()).map(|i| heaviest_from(i, &dependents, &weight)).max().unwrap();
        prop_assert_eq!(plan.critical_path_seconds(), best);
        let path = plan.critical_path();
        let index = |s: &StepId| s.as_str()[1..].parse::<usize>().unwrap();
        prop_assert_eq!(path.iter().map(|s| weight[index(s)]).sum::<u32>(), best);
        prop_assert!(deps[index(&path[0])].is_empty(), "the path starts at a step with no dependency");
        for pair in path.windows(2) {
            prop_assert!(deps[index(&pair[1])].contains(&index(&pair[0])));
        }
    }

    #[test]
    fn a_planted_cycle_is_found_and_reported_in_a_stable_order(deps in dag(), pick in any::<prop::sample::Index>()) {
        // Close a cycle: an edge back from a step to one of its dependencies.
        let with_deps: Vec<usize> = (0..deps.len()).filter(|i| !deps[*i].is_empty()).collect();
        prop_assume!(!with_deps.is_empty());
        let at = with_deps[pick.index(with_deps.len())];
        let back_to = deps[at][0];
        let mut cyclic = deps.clone();
        cyclic[back_to].push(at);
        let build = || DeployPlan::build(cyclic.iter().enumerate().map(|(i, d)| step(i, d)).collect(), &BTreeMap::new(), &[]);
        let err = build().unwrap_err();
        let cycle = err.problems.iter().find(|p| p.starts_with("dependency cycle through")).expect("a cycle reported");
        prop_assert!(cycle.contains(&format!("s{at:03}")) && cycle.contains(&format!("s{back_to:03}")), "{}", cycle);
        prop_assert_eq!(&build().unwrap_err(), &err);
    }

    #[test]
    fn batches_keep_order_and_limit(n in 0usize..500) {
        let items: Vec<usize> = (0..n).collect();
        let stages = batches(&items);
        prop_assert!(stages.iter().all(|s| !s.is_empty() && s.len() <= MAX_ACTIONS_PER_STAGE));
        prop_assert_eq!(stages.concat(), items);
    }
}

#[test]
fn invalid_plans_are_reported_whole() {
    let mut unknown = step(1, &[7]);
    unknown.bindings.push(tenancy::plan::Binding {
        input: tenancy::contract::BindingTarget::Parameter("X".into()),
        from: StepId::new("nowhere"),
        output: "Y".into(),
    });
    let mut unordered = step(2, &[]);
    unordered.bindings.push(tenancy::plan::Binding {
        input: tenancy::contract::BindingTarget::Parameter("Y".into()),
        from: StepId::new("s003"),
        output: "Z".into(),
    });
    let mut owns = step(3, &[]);
    owns.artifacts = vec!["a.yaml".into(), "ghost.yaml".into()];
    let mut also_owns = step(4, &[]);
    also_owns.artifacts = vec!["a.yaml".into()];
    let files = BTreeMap::from([("a.yaml".to_owned(), "a".to_owned()), ("orphan.yaml".to_owned(), "o".to_owned())]);
    let files = tenancy::plan::facts_of(&files);
    let err = DeployPlan::build(vec![step(0, &[]), unknown, unordered, owns, also_owns], &files, &[]).unwrap_err();
    let text = err.to_string();
    for expected in [
        "step s001 depends on s007, which is not a step",
        "step s003 applies ghost.yaml, which was not generated",
        "artifact a.yaml is applied by more than one step: s003, s004",
        "artifact orphan.yaml is applied by no step",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    // Bindings are checked once the graph itself is sound.
    let mut unordered = step(2, &[]);
    unordered.bindings.push(tenancy::plan::Binding {
        input: tenancy::contract::BindingTarget::Parameter("Y".into()),
        from: StepId::new("s003"),
        output: "Z".into(),
    });
    let err = DeployPlan::build(vec![unordered, step(3, &[])], &BTreeMap::new(), &[]).unwrap_err();
    assert_eq!(err.problems, ["step s002: binding parameter:Y comes from s003, which does not run before it"]);
}

/// The plan in `dir`, through the core's pure API: the test reads the files, the core checks them.
fn load_plan_dir(dir: &std::path::Path) -> Result<tenancy::plan::LoadedPlan, tenancy::plan::LoadError> {
    let text = std::fs::read_to_string(dir.join("plan.json")).unwrap();
    let stored = tenancy::plan::StoredPlan::parse("plan.json", &text)?;
    let facts = stored
        .artifact_paths()
        .map(|p| (p.to_owned(), tenancy::plan::ArtifactFacts::of(&std::fs::read_to_string(dir.join(p)).unwrap())))
        .collect();
    stored.into_plan(facts, tenancy::plan::hex_digest(text.as_bytes()))
}

#[test]
fn the_committed_plan_loads_back_and_refuses_edited_artifacts() {
    let loaded = load_plan_dir(&root().join("generated")).unwrap();
    assert_eq!(loaded.context.platform, "saas");
    assert_eq!(loaded.context.artifacts_bucket, "saas-artifacts-123456789012-eu-west-1");
    assert_eq!(loaded.plan.steps(), reference_plan().steps());

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    tenancy::synth::write(
        &out,
        &tenancy::compile::compile(&reference())
            .map(|mut a| {
                attach(&reference(), &mut a).unwrap();
                a
            })
            .unwrap()
            .files,
    )
    .unwrap();
    let path = out.join("tenants/acme/k8s.yaml");
    let edited = std::fs::read_to_string(&path).unwrap().replace("maxReplicas: 12", "maxReplicas: 120");
    std::fs::write(&path, edited).unwrap();
    let err = load_plan_dir(&out).unwrap_err().to_string();
    assert!(err.contains("step tenant/acme/k8s: its artifacts changed after the plan was made"), "{err}");
}

#[test]
fn quota_warnings_give_the_numbers_and_the_way_out() {
    let plan = reference_plan();
    let platform = reference();
    assert!(
        tenancy::plan::quota_warnings(&plan, tenancy::plan::DEFAULT_STACK_QUOTA, &pipeline_stages(&platform))
            .is_empty()
    );
    // The reference has 7 stacks in eu-west-1 (baseline, delivery, cluster access, 4 tenants) and
    // 1 in us-east-1 (the bootstrap stack is no step).
    let warnings = tenancy::plan::quota_warnings(&plan, 6, &pipeline_stages(&platform));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("7 CloudFormation stacks in eu-west-1, over the quota of 6")
            && warnings[0].contains("split the fleet")
    );
    let crowded = vec![("Big".to_owned(), (0..51).map(|i| format!("a{i}")).collect::<Vec<_>>())];
    let warnings = tenancy::plan::quota_warnings(&plan, 2000, &crowded);
    assert!(warnings[0].contains("stage Big has 51 actions, over CodePipeline's 50"), "{warnings:?}");
}

/// The hosted UI each tenant's record names (for `/auth-info`) is the domain a template makes
/// for the pool the tenant signs in to: its own stack's, or the baseline's shared pool's.
#[test]
fn each_tenants_record_names_the_hosted_ui_of_the_pool_it_signs_in_to() {
    let platform = reference();
    let files = files(&platform);
    let baseline = template_json(&files["baseline/baseline.cfn.yaml"]);
    let mut checked = 0;
    for step in reference_plan().steps() {
        let Action::Register { tenant, domain, .. } = &step.action else { continue };
        let prefix = domain.strip_suffix(".auth.eu-west-1.amazoncognito.com").unwrap_or_else(|| panic!("{domain}"));
        let stack = template_json(&files[&format!("tenants/{tenant}/stack.cfn.yaml")]);
        let made = match stack["Resources"].get("UserPoolDomain") {
            Some(own) => &own["Properties"]["Domain"],
            None => &baseline["Resources"]["TenantsUserPoolDomain"]["Properties"]["Domain"],
        };
        assert_eq!(made, prefix, "{tenant}");
        checked += 1;
    }
    assert_eq!(checked, platform.tenants().len());
}

/// Issue 17: a site step's hash covers its own site's sources: editing the admin console
/// changes `baseline/site-admin`'s hash and no other step's; editing the shared code changes
/// every site's; editing the browser tests changes none.
#[test]
fn a_site_steps_hash_follows_its_own_sources_only() {
    let platform = reference();
    let hashes = |platform: &tenancy::model::Platform| -> BTreeMap<String, String> {
        let mut artifacts = tenancy::compile::compile(platform).unwrap();
        let plan = attach(platform, &mut artifacts).unwrap();
        plan.steps().into_iter().map(|s| (s.id.as_str().to_owned(), s.hash.clone())).collect()
    };
    let before = hashes(&platform);
    let edited = |path: &str| {
        let mut files = platform.sites().expect("the reference builds its sites").files().clone();
        let digest = files.get_mut(path).unwrap_or_else(|| panic!("no web/{path}"));
        *digest = "0".repeat(64);
        let changed = platform.to_builder().sites(tenancy::model::WebSources::new(files)).build().unwrap();
        let after = hashes(&changed);
        before.iter().filter(|(id, hash)| after[*id] != **hash).map(|(id, _)| id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(edited("admin/main.ts"), ["baseline/site-admin"]);
    assert_eq!(edited("shared/oidc.ts"), ["baseline/site-admin", "baseline/site-app", "baseline/site-landing"]);
    assert_eq!(edited("e2e/e2e.test.mjs"), Vec::<String>::new());
}
