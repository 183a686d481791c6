//! tenancy: infrastructure as code for multi-tenant SaaS platforms on Amazon EKS.
pub mod blueprint;
pub mod cfn;
pub mod cli;
pub mod compile;
pub mod model;
pub mod synth;
