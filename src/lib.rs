//! tenancy: infrastructure as code for multi-tenant SaaS platforms on Amazon EKS.
pub mod blueprint;
pub mod cfn;
pub mod model;
