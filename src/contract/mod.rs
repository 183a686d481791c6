//! The vocabulary that compile writes and plan, apply and verify read: one typed home for each
//! name two layers share, so that a typo is a compile error instead of an input silently ignored.

pub mod calls;
