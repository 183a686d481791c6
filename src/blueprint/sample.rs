//! Fleet blueprints for benchmarks and load tests: the reference platform with `n` generated
//! tenants. By default they take the tier mix of a SaaS at scale, which fits AWS's default
//! quotas at 10,000 tenants: 90% in a pooled `basic` tier (orders pooled too), 9% in a pooled
//! bridge tier `standard` (a table per tenant for orders), 1% in the dedicated `premium` tier.
//! Given tiers, the tenants are spread round-robin over those reference tiers as the reference
//! defines them (every one dedicated). Deterministic: the same arguments give the same bytes.

use std::fmt::Write;

use super::REFERENCE;

/// The reference's tiers, which `tiers` may name.
pub const REFERENCE_TIERS: [&str; 4] = ["basic", "standard", "premium", "platinum"];

/// Tenants per cell the mix aims at: well under a cell's capacity (82 tenants in `basic`, 71
/// in `standard`), so that the fullest of a few hundred cells stays under it.
const TENANTS_PER_CELL: usize = 40;

/// The reference blueprint with its tenants replaced by `n` generated ones: in the SaaS mix of
/// pooled and dedicated tiers when `tiers` is empty, else assigned to the named reference
/// tiers in turn. Tiers not in the reference are an error.
pub fn sample(n: usize, tiers: &[String]) -> Result<String, String> {
    let mix = tiers.is_empty();
    let tiers: Vec<&str> =
        if mix { vec!["basic", "standard", "premium"] } else { tiers.iter().map(String::as_str).collect() };
    if let Some(unknown) = tiers.iter().find(|t| !REFERENCE_TIERS.contains(t)) {
        return Err(format!("tier `{unknown}` is not in the reference blueprint; use {}", REFERENCE_TIERS.join(", ")));
    }
    // The mix: tenant i is basic for i mod 100 below 90, standard below 99, premium at 99.
    let tier_of = |i: usize| match (mix, i % 100) {
        (true, 0..=89) => "basic",
        (true, 90..=98) => "standard",
        (true, _) => "premium",
        (false, _) => tiers[i % tiers.len()],
    };
    let head = &REFERENCE[..REFERENCE.find("\ntenants:").expect("the reference has tenants") + 1];
    let head = if mix {
        // Cells are sized for the fleet the tiers are planned for, as a platform team would:
        // here the next power of two, so that a sample one tenant larger has the same cells
        // (`cells` is fixed for a tier's life; growing it moves tenants).
        let planned = n.max(1).next_power_of_two();
        let count = |tier: &str| (0..planned).filter(|i| tier_of(*i) == tier).count();
        pooled_tiers(head, count("basic"), count("standard"))
    } else {
        head.to_owned()
    };
    let mut out = String::with_capacity(head.len() + n * 96);
    out.push_str(&head);
    if mix {
        let _ = writeln!(out, "# {n} generated tenants (tenancy blueprint sample): 90% basic, 9% standard, 1% premium");
    } else {
        let _ =
            writeln!(out, "# {n} generated tenants (tenancy blueprint sample), round-robin over: {}", tiers.join(", "));
    }
    out.push_str("tenants:\n");
    let width = n.max(1).to_string().len();
    for i in 0..n {
        let tier = tier_of(i);
        let _ = writeln!(
            out,
            "  - {{ id: t{i:0width$}, name: Tenant {i}, tier: {tier}, adminEmail: admin@t{i:0width$}.example }}"
        );
    }
    Ok(out)
}

/// The reference's blueprint head with its `basic` and `standard` tiers pooled: basic pools its
/// orders as well, standard (the bridge) keeps them per tenant, each with a cell per
/// [`TENANTS_PER_CELL`] of its tenants.
fn pooled_tiers(head: &str, basic: usize, standard: usize) -> String {
    let cells = |tenants: usize| tenants.div_ceil(TENANTS_PER_CELL).max(1);
    let pooled = |tier: &str, extra: String| {
        (
            format!("  - name: {tier}\n    identity: pooled\n"),
            format!("  - name: {tier}\n    compute: pooled\n    identity: pooled\n{extra}"),
        )
    };
    let mut out = head.to_owned();
    for (from, to) in [
        pooled("basic", format!("    storage: {{ order: pool }}\n    cells: {}\n", cells(basic))),
        pooled("standard", format!("    cells: {}\n", cells(standard))),
    ] {
        assert!(out.contains(&from), "the reference's {from:?} tier is as this sample expects");
        out = out.replacen(&from, &to, 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_load_and_are_deterministic() {
        let reference: Vec<String> = REFERENCE_TIERS.iter().map(|t| (*t).to_owned()).collect();
        let text = sample(40, &reference).unwrap();
        assert_eq!(text, sample(40, &reference).unwrap());
        let platform = crate::blueprint::load_str("sample.yaml", &text).unwrap();
        assert_eq!(platform.tenants().len(), 40);
        let premium = platform.tenants().iter().filter(|t| t.tier.as_str() == "premium").count();
        assert_eq!(premium, 10);
        assert!(platform.tiers().iter().all(|t| !t.is_pooled()), "the reference's tiers, as it defines them");
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

    #[test]
    fn the_default_sample_is_the_saas_mix_with_cells_for_its_size() {
        let platform = crate::blueprint::load_str("mix.yaml", &sample(1000, &[]).unwrap()).unwrap();
        let count = |tier: &str| platform.tenants().iter().filter(|t| t.tier.as_str() == tier).count();
        assert_eq!((count("basic"), count("standard"), count("premium")), (900, 90, 10));
        let basic = platform.tiers().iter().find(|t| t.name.as_str() == "basic").unwrap();
        let standard = platform.tiers().iter().find(|t| t.name.as_str() == "standard").unwrap();
        assert!(basic.is_pooled() && standard.is_pooled());
        // Planned for 1,024 tenants: 922 basic and 92 standard.
        assert_eq!((basic.cells, standard.cells), (24, 3));
        let one_more = crate::blueprint::load_str("mix.yaml", &sample(1001, &[]).unwrap()).unwrap();
        assert_eq!(one_more.tiers(), platform.tiers(), "one tenant more, the same tiers and cells");
        let order = &platform.services()[1];
        assert_eq!(basic.storage_model(order), crate::model::StorageModel::Pool);
        assert_eq!(standard.storage_model(order), crate::model::StorageModel::Silo);
    }
}
