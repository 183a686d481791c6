//! Fleet blueprints for benchmarks and load tests: the reference platform with `n` tenants
//! spread round-robin over the tiers. Deterministic: the same `n` and tiers give the same bytes.

use std::fmt::Write;

use super::REFERENCE;

/// The reference blueprint with its tenants replaced by `n` generated ones, assigned to
/// `tiers` in turn (all reference tiers when empty). Tiers not in the reference are an error.
pub fn sample(n: usize, tiers: &[String]) -> Result<String, String> {
    const REFERENCE_TIERS: [&str; 4] = ["basic", "standard", "premium", "platinum"];
    let tiers: Vec<&str> =
        if tiers.is_empty() { REFERENCE_TIERS.to_vec() } else { tiers.iter().map(String::as_str).collect() };
    if let Some(unknown) = tiers.iter().find(|t| !REFERENCE_TIERS.contains(t)) {
        return Err(format!("tier `{unknown}` is not in the reference blueprint; use {}", REFERENCE_TIERS.join(", ")));
    }
    let head = &REFERENCE[..REFERENCE.find("\ntenants:").expect("the reference has tenants") + 1];
    let mut out = String::with_capacity(head.len() + n * 96);
    out.push_str(head);
    let _ = writeln!(out, "# {n} generated tenants (tenancy blueprint sample), round-robin over: {}", tiers.join(", "));
    out.push_str("tenants:\n");
    let width = n.max(1).to_string().len();
    for i in 0..n {
        let tier = tiers[i % tiers.len()];
        let _ = writeln!(
            out,
            "  - {{ id: t{i:0width$}, name: Tenant {i}, tier: {tier}, adminEmail: admin@t{i:0width$}.example }}"
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_load_and_are_deterministic() {
        let text = sample(40, &[]).unwrap();
        assert_eq!(text, sample(40, &[]).unwrap());
        let platform = crate::blueprint::load_str("sample.yaml", &text).unwrap();
        assert_eq!(platform.tenants().len(), 40);
        let premium = platform.tenants().iter().filter(|t| t.tier.as_str() == "premium").count();
        assert_eq!(premium, 10);
        let only = sample(3, &["basic".into()]).unwrap();
        assert!(
            crate::blueprint::load_str("only.yaml", &only)
                .unwrap()
                .tenants()
                .iter()
                .all(|t| t.tier.as_str() == "basic")
        );
        assert!(sample(3, &["gold".into()]).is_err());
    }
}
