//! Describe a platform in Rust instead of YAML, compile it, and look at what comes out.
//!
//! Run with `cargo run --example platform`. It prints each artifact's path and size and the
//! tenant's role ARN, which the Kubernetes ServiceAccount will carry; nothing is written.

use tenancy::compile::{compile, role_arn};
use tenancy::model::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cluster = Cluster {
        name: ClusterName::parse("shop")?,
        kubernetes_version: KubernetesVersion::parse("1.33")?,
        nodes: NodeGroup::default(),
        // Whoever runs the first apply from a workstation needs an access entry.
        administrators: vec![PrincipalArn::parse("arn:aws:iam::111122223333:role/ShopPlatformAdmin")?],
    };
    let key = |name: &str| AttributeName::parse(name);

    let mut gold = Tier::new(TierName::parse("gold")?);
    gold.replicas = 2;
    gold.autoscaling = Autoscaling { min: 2, max: 6, target_cpu_percent: 65 };
    let mut free = Tier::new(TierName::parse("free")?);
    free.identity = Identity::Pooled;

    let platform = Platform::builder(
        PlatformName::parse("shop")?,
        AccountId::parse("111122223333")?,
        Region::parse("eu-central-1")?,
        DomainName::parse("shop.example.com")?,
        cluster,
    )
    .service(Service::new(
        ServiceName::parse("product")?,
        8080,
        RoutePath::parse("/products")?,
        Storage::Pool(TableKeys { partition_key: key("TenantId")?, sort_key: Some(key("ProductId")?) }),
    ))
    .service(Service::new(
        ServiceName::parse("order")?,
        8080,
        RoutePath::parse("/orders")?,
        Storage::Silo(TableKeys { partition_key: key("OrderId")?, sort_key: None }),
    ))
    .tier(gold)
    .tier(free)
    .tenant(Tenant::new(
        TenantId::parse("acme")?,
        DisplayName::parse("Acme Corp")?,
        TierName::parse("gold")?,
        EmailAddress::parse("admin@acme.example")?,
    ))
    .build()?;

    for artifact in compile(&platform)?.files {
        println!("{:>7} bytes  {}", artifact.contents.len(), artifact.path);
    }
    let acme = &platform.tenants()[0];
    println!("acme's pods run as {}", role_arn(&platform, &platform.tenant_names(acme)));
    Ok(())
}
