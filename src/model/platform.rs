//! The platform: everything `tenancy` compiles, validated as a whole.

use super::validate::validate;
use super::{
    AccountId, BaselineNames, CellNames, Cluster, DomainName, HostedZoneId, PlatformName, PoolNames, Problems, Region,
    Service, Storage, Tenant, TenantId, TenantNames, Tier, TierName, WebSources,
};

/// A validated platform description. Only [`PlatformBuilder::build`] makes one, so holding a
/// `Platform` means every name fits, every reference resolves and nothing collides.
///
/// Tenants are kept sorted by id, so the order they were given in never reaches the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    parts: PlatformParts,
}

/// The fields of a platform, validated or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlatformParts {
    pub name: PlatformName,
    pub account_id: AccountId,
    pub region: Region,
    pub domain: DomainName,
    pub hosted_zone_id: Option<HostedZoneId>,
    pub cluster: Cluster,
    pub services: Vec<Service>,
    pub tiers: Vec<Tier>,
    pub tenants: Vec<Tenant>,
    /// The web apps the static sites serve, when the platform builds them.
    pub sites: Option<WebSources>,
}

impl Platform {
    /// Starts a platform description.
    ///
    /// ```
    /// use tenancy::model::*;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let cluster = Cluster {
    ///     name: ClusterName::parse("saas")?,
    ///     kubernetes_version: KubernetesVersion::parse("1.33")?,
    ///     nodes: NodeGroup::default(),
    ///     administrators: vec![PrincipalArn::parse("arn:aws:iam::123456789012:role/PlatformAdmin")?],
    /// };
    /// let platform = Platform::builder(
    ///     PlatformName::parse("saas")?,
    ///     AccountId::parse("123456789012")?,
    ///     Region::parse("eu-west-1")?,
    ///     DomainName::parse("saas.example.com")?,
    ///     cluster,
    /// )
    /// .service(Service::new(
    ///     ServiceName::parse("product")?,
    ///     8080,
    ///     RoutePath::parse("/products")?,
    ///     Storage::Pool(TableKeys {
    ///         partition_key: AttributeName::parse("TenantId")?,
    ///         sort_key: Some(AttributeName::parse("ProductId")?),
    ///     }),
    /// ))
    /// .service(Service::new(
    ///     ServiceName::parse("order")?,
    ///     8080,
    ///     RoutePath::parse("/orders")?,
    ///     Storage::Silo(TableKeys { partition_key: AttributeName::parse("OrderId")?, sort_key: None }),
    /// ))
    /// .tier(Tier::new(TierName::parse("basic")?))
    /// .tenant(Tenant::new(
    ///     TenantId::parse("acme")?,
    ///     DisplayName::parse("Acme Corp")?,
    ///     TierName::parse("basic")?,
    ///     EmailAddress::parse("admin@acme.example")?,
    /// ))
    /// .build()?;
    /// assert_eq!(platform.tenant_names(&platform.tenants()[0]).namespace, "tenant-acme");
    /// # Ok(()) }
    /// ```
    pub fn builder(
        name: PlatformName,
        account_id: AccountId,
        region: Region,
        domain: DomainName,
        cluster: Cluster,
    ) -> PlatformBuilder {
        PlatformBuilder {
            parts: PlatformParts {
                name,
                account_id,
                region,
                domain,
                hosted_zone_id: None,
                cluster,
                services: Vec::new(),
                tiers: Vec::new(),
                tenants: Vec::new(),
                sites: None,
            },
        }
    }

    /// The platform's short name, the prefix of every account-wide name.
    pub fn name(&self) -> &PlatformName {
        &self.parts.name
    }
    /// The AWS account the platform is deployed to.
    pub fn account_id(&self) -> &AccountId {
        &self.parts.account_id
    }
    /// The AWS region the platform runs in; only the edge stack may go elsewhere (us-east-1).
    pub fn region(&self) -> &Region {
        &self.parts.region
    }
    /// The platform's DNS domain: the API is `api.<domain>`, a tenant's app `<tenant>.app.<domain>`.
    pub fn domain(&self) -> &DomainName {
        &self.parts.domain
    }
    /// The Route 53 hosted zone of the domain, if given. With it ACM validates the certificates
    /// through DNS; without it records name the zone by domain and certificates are validated by hand.
    pub fn hosted_zone_id(&self) -> Option<&HostedZoneId> {
        self.parts.hosted_zone_id.as_ref()
    }
    /// The EKS cluster the tenants run on.
    pub fn cluster(&self) -> &Cluster {
        &self.parts.cluster
    }
    /// The services every tenant runs, in the order they were added.
    pub fn services(&self) -> &[Service] {
        &self.parts.services
    }
    /// The tiers, in the order they were added.
    pub fn tiers(&self) -> &[Tier] {
        &self.parts.tiers
    }
    /// Tenants, sorted by id.
    pub fn tenants(&self) -> &[Tenant] {
        &self.parts.tenants
    }

    /// The tenant `id`, if the platform has it.
    pub fn tenant(&self, id: &TenantId) -> Option<&Tenant> {
        self.parts.tenants.binary_search_by(|t| t.id.cmp(id)).ok().map(|i| &self.parts.tenants[i])
    }

    /// The tier named `name`, if the platform has one.
    pub fn tier(&self, name: &TierName) -> Option<&Tier> {
        self.parts.tiers.iter().find(|t| &t.name == name)
    }

    /// The tier of `tenant`, one of this platform's: every tenant's tier is checked when the
    /// platform is built.
    pub fn tier_of(&self, tenant: &Tenant) -> &Tier {
        self.tier(&tenant.tier).expect("a tenant of this platform has one of its tiers")
    }

    /// The hosted UI `tenant` signs in at: its own pool's, or the shared pool's for a tier with
    /// pooled identity.
    pub fn sign_in_domain(&self, tenant: &Tenant) -> String {
        let prefix = match (self.cell_of(tenant), self.tier_of(tenant).identity) {
            (Some(cell), _) => cell.domain_prefix,
            (None, super::Identity::Dedicated) => self.tenant_names(tenant).domain_prefix,
            (None, super::Identity::Pooled) => self.baseline_names().tenants_domain_prefix,
        };
        super::naming::hosted_ui_domain(&prefix, &self.parts.region)
    }

    /// The names of the platform-wide objects (see [`BaselineNames::derive`]).
    pub fn baseline_names(&self) -> BaselineNames {
        BaselineNames::derive(&self.parts.name, &self.parts.account_id, &self.parts.region)
    }

    /// The names of `tenant`'s objects (see [`TenantNames::derive`]), without the silo tables
    /// of services its tier pools.
    pub fn tenant_names(&self, tenant: &Tenant) -> TenantNames {
        TenantNames::derive(
            &self.parts.name,
            (&self.parts.account_id, &self.parts.region),
            &self.parts.domain,
            &self.parts.services,
            &tenant.id,
        )
        .for_tier(self.tier_of(tenant), &self.parts.services)
    }

    /// Where `tier` keeps `service`'s data, with the table's keys.
    pub fn storage_of(&self, tier: &Tier, service: &Service) -> Storage {
        service.storage_as(tier.storage_model(service))
    }

    /// The pooled tiers, in blueprint order.
    pub fn pooled_tiers(&self) -> impl Iterator<Item = &Tier> {
        self.parts.tiers.iter().filter(|t| t.is_pooled())
    }

    /// The names of a pooled tier's pool.
    pub fn pool_names(&self, tier: &Tier) -> PoolNames {
        PoolNames::derive(&self.parts.name, &tier.name)
    }

    /// The names of cell `index` of `tier`.
    pub fn cell_names(&self, tier: &Tier, index: u32) -> CellNames {
        CellNames::derive(&self.parts.name, (&self.parts.account_id, &self.parts.region), &tier.name, index)
    }

    /// The cell of a tenant of a pooled tier; `None` for a tenant with dedicated compute.
    pub fn cell_of(&self, tenant: &Tenant) -> Option<CellNames> {
        let tier = self.tier_of(tenant);
        tier.is_pooled().then(|| self.cell_names(tier, super::cell_of(&tenant.id, tier.cells)))
    }

    /// The tenants of each cell of `tier`, by cell, each sorted by id: one pass over the fleet.
    pub fn tenants_by_cell(&self, tier: &Tier) -> Vec<Vec<&Tenant>> {
        let mut cells = vec![Vec::new(); tier.cells as usize];
        for tenant in self.parts.tenants.iter().filter(|t| t.tier == tier.name) {
            if let Some(cell) = cells.get_mut(super::cell_of(&tenant.id, tier.cells) as usize) {
                cell.push(tenant);
            }
        }
        cells
    }

    /// The tenants of cell `index` of `tier`, sorted by id.
    pub fn cell_tenants(&self, tier: &Tier, index: u32) -> Vec<&Tenant> {
        self.parts
            .tenants
            .iter()
            .filter(|t| t.tier == tier.name && super::cell_of(&t.id, tier.cells) == index)
            .collect()
    }

    /// Every setting of the platform except its tenants, as text: what a tenant's artifacts
    /// depend on besides the tenant itself. Synth hashes it to know when cached tenant output
    /// is still valid. The destructuring is exhaustive, so a new field cannot be left out.
    pub fn settings_text(&self) -> String {
        // The web apps are inputs of the baseline's site steps only: no tenant artifact reads them,
        // so a change to a page must not recompile the fleet.
        let PlatformParts {
            name,
            account_id,
            region,
            domain,
            hosted_zone_id,
            cluster,
            services,
            tiers,
            tenants: _,
            sites: _,
        } = &self.parts;
        format!(
            "{name:?}\n{account_id:?}\n{region:?}\n{domain:?}\n{hosted_zone_id:?}\n{cluster:?}\n{services:?}\n{tiers:?}"
        )
    }

    /// The web apps' sources, when the platform builds its sites (the blueprint's `sites`).
    pub fn sites(&self) -> Option<&WebSources> {
        self.parts.sites.as_ref()
    }

    /// The builder this platform was made from, to derive a changed platform.
    pub fn to_builder(&self) -> PlatformBuilder {
        PlatformBuilder { parts: self.parts.clone() }
    }
}

/// Collects a platform description; [`build`](Self::build) validates it as a whole.
#[derive(Debug, Clone)]
#[must_use]
pub struct PlatformBuilder {
    parts: PlatformParts,
}

impl PlatformBuilder {
    /// Sets the Route 53 hosted zone of the domain (none by default).
    pub fn hosted_zone_id(mut self, id: HostedZoneId) -> Self {
        self.parts.hosted_zone_id = Some(id);
        self
    }
    /// Adds a service; services keep the order they are added in.
    pub fn service(mut self, service: Service) -> Self {
        self.parts.services.push(service);
        self
    }
    /// Adds a tier; tiers keep the order they are added in.
    pub fn tier(mut self, tier: Tier) -> Self {
        self.parts.tiers.push(tier);
        self
    }
    /// Adds a tenant; [`build`](Self::build) sorts the tenants by id.
    pub fn tenant(mut self, tenant: Tenant) -> Self {
        self.parts.tenants.push(tenant);
        self
    }
    /// Sets the web apps the static sites serve; without them the plan builds no site.
    pub fn sites(mut self, sources: WebSources) -> Self {
        self.parts.sites = Some(sources);
        self
    }
    /// Removes every tenant: the platform's own settings alone.
    pub fn without_tenants(mut self) -> Self {
        self.parts.tenants.clear();
        self
    }

    /// Removes the tenant with `id`, if present.
    pub fn without_tenant(mut self, id: &TenantId) -> Self {
        self.parts.tenants.retain(|t| &t.id != id);
        self
    }

    /// Validates everything and returns the platform, or every problem found. Problem paths
    /// index tenants in the order they were added.
    pub fn build(self) -> Result<Platform, Problems> {
        Problems::check(validate(&self.parts))?;
        let mut parts = self.parts;
        parts.tenants.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Platform { parts })
    }
}
