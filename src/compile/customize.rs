//! The customization hook: a platform team's own changes to the typed artifacts (a resource, a
//! label, a sidecar, a policy statement), per tenant, per tier or platform-wide, without forking
//! the compiler. Hooks are plain functions of values, so compilation stays deterministic; they
//! run before the reference checks, the limits and rendering, so what they add is checked like
//! everything else, and `tenancy verify` proves isolation on the files they produce.
//!
//! ```
//! use tenancy::cfn::{Expr, Statement};
//! use tenancy::compile::Customizations;
//!
//! let custom = Customizations::new().tenants(|cx, artifacts| {
//!     // A label on every object of every tenant's bundle.
//!     for object in artifacts.bundle.objects_mut() {
//!         object.metadata_mut().labels.get_or_insert_with(Default::default).insert("team".into(), "payments".into());
//!     }
//!     // And a statement on the tenant's own role (its boundary must allow it too).
//!     let queue = format!("arn:aws:sqs:eu-west-1:123456789012:{}-events", cx.names.stack);
//!     artifacts.grant(Statement::allow("OwnQueue", &["sqs:SendMessage"]).on([Expr::str(queue)]));
//! });
//! let platform = tenancy::blueprint::load_reference()?;
//! let acme = platform.tenants().iter().find(|t| t.id.as_str() == "acme").unwrap();
//! let typed = tenancy::compile::tenant_artifacts(&platform, acme, &custom)?;
//! assert!(typed.bundle.objects().iter().all(|o| o.metadata().labels.as_ref().is_some_and(|l| l.contains_key("team"))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use crate::cfn::resources::Properties;
use crate::cfn::{LogicalId, Statement, Template, TemplateBuilder};
use crate::k8s::Bundle;
use crate::model::{Platform, Tenant, TenantNames, Tier, TierName};

/// One tenant's artifacts as typed values, while hooks may still change them.
#[derive(Debug)]
pub struct TenantArtifacts {
    /// The tenant's stack, before its references and limits are checked. A tenant of a pooled
    /// tier has none (its AWS resources are its cell's): this one is empty, and a hook that adds
    /// to it fails compilation.
    pub stack: TemplateBuilder,
    /// The tenant's Kubernetes objects.
    pub bundle: Bundle,
}

impl TenantArtifacts {
    /// Adds `statement` to the tenant role's policy (the role its pods run as). The tenant
    /// boundary caps that role: widen it with [`PlatformArtifacts::allow_tenant_roles`].
    ///
    /// # Panics
    ///
    /// For a tenant of a pooled tier, which has no role of its own (its sessions come from its
    /// cell's access role): check `cx.tier.is_pooled()` in the hook.
    pub fn grant(&mut self, statement: Statement) {
        inline_statement(&mut self.stack, super::tenant::SERVICE_ROLE, statement);
    }
}

/// One tenant's artifacts, checked: what compile renders into `tenants/<id>/`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedTenant {
    /// The tenant's CloudFormation stack, its references and limits checked
    /// (`tenants/<id>/stack.cfn.yaml`); none for a tenant of a pooled tier, whose AWS resources
    /// are its cell's.
    pub stack: Option<Template>,
    /// The tenant's Kubernetes objects, as the hooks left them.
    pub bundle: Bundle,
}

/// The platform-wide artifacts hooks may change: the delivery stack, which holds the tenant
/// roles' boundary and the role tenant stacks run as.
#[derive(Debug)]
pub struct PlatformArtifacts {
    /// The delivery stack, before its references and limits are checked; change it through
    /// [`Self::allow_tenant_roles`] and [`Self::allow_tenant_stacks`], or directly.
    pub delivery: TemplateBuilder,
}

impl PlatformArtifacts {
    /// Adds `statement` to the permissions boundary of every tenant role: the upper bound of
    /// what a [`TenantArtifacts::grant`] can give.
    pub fn allow_tenant_roles(&mut self, statement: Statement) {
        let id = LogicalId::fixed(super::deploy_roles::TENANT_BOUNDARY);
        let Some(Properties::ManagedPolicy(policy)) = self.delivery.resource_mut(&id).map(|r| r.properties_mut())
        else {
            unreachable!("the delivery stack holds the tenant boundary {id}")
        };
        policy.policy_document.statement.push(statement);
    }

    /// Adds `statement` to the role CloudFormation assumes for tenant stacks: what it needs to
    /// create, update and delete the resources a tenant hook adds.
    pub fn allow_tenant_stacks(&mut self, statement: Statement) {
        inline_statement(&mut self.delivery, super::deploy_roles::CFN_ROLE, statement);
    }
}

/// What a tenant hook is told: the platform, the tenant, its tier and its derived names.
#[derive(Debug)]
pub struct TenantCx<'a> {
    /// The whole (validated) platform.
    pub platform: &'a Platform,
    /// The tenant whose artifacts the hook is given.
    pub tenant: &'a Tenant,
    /// The tenant's tier.
    pub tier: &'a Tier,
    /// The names derived for the tenant (stack, namespace, role, user pool, silo tables…), as
    /// the compiler uses them.
    pub names: TenantNames,
}

type TenantHook = Arc<dyn Fn(&TenantCx, &mut TenantArtifacts) + Send + Sync>;
type PlatformHook = Arc<dyn Fn(&Platform, &mut PlatformArtifacts) + Send + Sync>;

/// The hooks to run, in the order they were added.
#[derive(Clone, Default)]
pub struct Customizations {
    platform: Vec<PlatformHook>,
    tenant: Vec<(Option<TierName>, TenantHook)>,
}

impl std::fmt::Debug for Customizations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Customizations")
            .field("platform", &self.platform.len())
            .field("tenant", &self.tenant.iter().map(|(tier, _)| tier).collect::<Vec<_>>())
            .finish()
    }
}

impl Customizations {
    /// No hooks: exactly what the compiler emits.
    pub fn new() -> Self {
        Self::default()
    }

    /// A hook over the platform-wide artifacts.
    pub fn platform(mut self, hook: impl Fn(&Platform, &mut PlatformArtifacts) + Send + Sync + 'static) -> Self {
        self.platform.push(Arc::new(hook));
        self
    }

    /// A hook over every tenant's artifacts.
    pub fn tenants(mut self, hook: impl Fn(&TenantCx, &mut TenantArtifacts) + Send + Sync + 'static) -> Self {
        self.tenant.push((None, Arc::new(hook)));
        self
    }

    /// A hook over the artifacts of the tenants of one tier.
    pub fn tier(
        mut self,
        tier: TierName,
        hook: impl Fn(&TenantCx, &mut TenantArtifacts) + Send + Sync + 'static,
    ) -> Self {
        self.tenant.push((Some(tier), Arc::new(hook)));
        self
    }

    /// Whether there is no hook (synth then trusts its cache of unchanged tenants: a hook is a
    /// function it cannot fingerprint, so with hooks every tenant is compiled).
    pub fn is_empty(&self) -> bool {
        self.platform.is_empty() && self.tenant.is_empty()
    }

    pub(crate) fn apply_platform(&self, platform: &Platform, artifacts: &mut PlatformArtifacts) {
        for hook in &self.platform {
            hook(platform, artifacts);
        }
    }

    pub(crate) fn apply_tenant(&self, cx: &TenantCx, artifacts: &mut TenantArtifacts) {
        for (tier, hook) in &self.tenant {
            if tier.as_ref().is_none_or(|t| *t == cx.tenant.tier) {
                hook(cx, artifacts);
            }
        }
    }
}

/// Adds `statement` to the first inline policy of the role at `role`.
fn inline_statement(template: &mut TemplateBuilder, role: &'static str, statement: Statement) {
    let id = LogicalId::fixed(role);
    let Some(Properties::Role(role)) = template.resource_mut(&id).map(|r| r.properties_mut()) else {
        panic!("the tenant's stack holds no role {id}: a tenant of a pooled tier has no role of its own")
    };
    role.policies[0].policy_document.statement.push(statement);
}
