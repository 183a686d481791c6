//! The ids of the plan's steps: `baseline/<part>` and `tenant/<id>/<part>`.

use crate::model::TenantId;
use crate::plan::StepId;

pub const EDGE: &str = "baseline/edge";
pub const BASELINE: &str = "baseline/stack";
pub const DELIVERY: &str = "baseline/delivery";
pub const CLUSTER: &str = "baseline/cluster";
pub const IMAGES: &str = "baseline/images";
pub const ACCESS: &str = "baseline/access";
pub const ADDONS: &str = "baseline/addons";

/// The steps of one tenant, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TenantPart {
    /// Its CloudFormation stack.
    Stack,
    /// Its Kubernetes bundle.
    Bundle,
    /// Its record in the tenant table.
    Register,
}

impl TenantPart {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stack => "stack",
            Self::Bundle => "k8s",
            Self::Register => "register",
        }
    }
}

/// `tenant/<id>/<part>`.
pub fn tenant(id: &TenantId, part: TenantPart) -> StepId {
    StepId::new(format!("tenant/{id}/{}", part.as_str()))
}
