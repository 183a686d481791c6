//! Where users live: a Cognito user pool, and in the pool shared by pooled-identity tenants the
//! tenant's group. [`CognitoUsers`] is the real one; [`MemoryUsers`] keeps the same rules in
//! memory for tests. User management makes and deletes users here; the offboarding job
//! purges a pooled tenant's users here, with the same rule for which users are whose.
//!
//! A tenant's users are told apart by their immutable `custom:tenant-id`, which this module sets
//! on every user it creates and checks on every user it lists or deletes: a user of another
//! tenant is never listed, and deleting one is "not found". Creating a user is idempotent: a
//! retry after a crash finds the user made before (same email, same tenant) and completes its
//! group memberships, so no user is made twice.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider as cognito;
use aws_sdk_cognitoidentityprovider::error::DisplayErrorContext;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, DeliveryMediumType, UserType};

/// Every Cognito action [`CognitoUsers`] calls, on the tenants' pools and the admin pool.
pub use tenancy::contract::calls::USERS_IAM_ACTIONS as IAM_ACTIONS;

/// The attribute that names a user's tenant; immutable in every tenant pool.
pub const TENANT_ATTRIBUTE: &str = "custom:tenant-id";

/// Pages of a listing read at most: 60 users a page (Cognito's maximum), so 60,000 users.
const MAX_PAGES: usize = 1000;

/// The users one caller may manage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub user_pool_id: String,
    /// Their tenant (each user's `custom:tenant-id`), or `None` for the admin pool.
    pub tenant: Option<String>,
    /// The group all of them are in: a pooled tenant's group of the shared pool.
    pub group: Option<String>,
    /// The group of their administrators.
    pub admin_group: Option<String>,
}

impl Scope {
    /// The users of `tenant` in `user_pool_id`: in the pool shared by pooled tenants
    /// (`shared`), the members of its group; in a pool of its own, all of them. Either way
    /// only those whose claim is `tenant`, and its administrators are its admin group.
    pub fn of_tenant(tenant: &tenancy::model::TenantId, user_pool_id: String, shared: bool) -> Self {
        use tenancy::model::naming::{tenant_admin_group, tenant_group};
        Scope {
            user_pool_id,
            tenant: Some(tenant.as_str().to_owned()),
            group: shared.then(|| tenant_group(tenant)),
            admin_group: Some(tenant_admin_group(tenant)),
        }
    }

    /// The provider administrators of the admin pool `user_pool_id`: no tenant, no group.
    pub fn admin_pool(user_pool_id: String) -> Self {
        Scope { user_pool_id, tenant: None, group: None, admin_group: None }
    }
}

/// A user as managers see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub email: String,
    /// Cognito's status: `FORCE_CHANGE_PASSWORD` until the first sign-in, then `CONFIRMED`.
    pub status: String,
    pub enabled: bool,
    /// In the scope's admin group.
    pub admin: bool,
}

/// What creating a user found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Made now; Cognito mails the temporary password.
    New(User),
    /// Made before (a retry): its memberships are complete now.
    Existing(User),
}

/// Why a user operation failed.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The email belongs to a user outside the scope (another tenant's, in a shared pool).
    #[error("email: `{email}` is taken in this user pool")]
    Taken { email: String },
    /// The scope's group does not exist in its pool (a tenant of a pool of its own has none).
    #[error("no group `{group}` in user pool {pool}")]
    NoSuchGroup { pool: String, group: String },
    /// Cognito refused or failed.
    #[error("{what}: {message}")]
    Unavailable { what: &'static str, message: String },
}

/// Where users are managed.
#[async_trait]
pub trait Users: Send + Sync {
    /// The scope's users, by email.
    async fn list(&self, scope: &Scope) -> Result<Vec<User>, UsersError>;
    /// Makes a user of the scope with `email`, in the scope's group and, if `admin`, its admin
    /// group; or completes the one made before.
    async fn create(&self, scope: &Scope, email: &str, admin: bool) -> Result<Created, UsersError>;
    /// Deletes the scope's user with `email`; `false` if the scope has none.
    async fn delete(&self, scope: &Scope, email: &str) -> Result<bool, UsersError>;
    /// Deletes every user of the scope but those with an email in `keep`; returns the emails
    /// deleted. Run again, it deletes what is left (a crash halfway loses nothing).
    async fn purge(&self, scope: &Scope, keep: &[&str]) -> Result<Vec<String>, UsersError> {
        let mut deleted = Vec::new();
        for user in self.list(scope).await? {
            if !keep.contains(&user.email.as_str()) && self.delete(scope, &user.email).await? {
                deleted.push(user.email);
            }
        }
        Ok(deleted)
    }
}

/// The groups a new user of `scope` joins.
fn groups(scope: &Scope, admin: bool) -> Vec<&str> {
    let admin_group = scope.admin_group.as_deref().filter(|_| admin);
    scope.group.as_deref().into_iter().chain(admin_group).collect()
}

/// Users in Cognito.
pub struct CognitoUsers {
    client: cognito::Client,
}

impl CognitoUsers {
    pub fn new(client: cognito::Client) -> Self {
        Self { client }
    }

    /// The emails of `group`'s members whose tenant is the scope's.
    async fn members(&self, scope: &Scope, group: &str) -> Result<Vec<UserType>, UsersError> {
        use cognito::operation::list_users_in_group::ListUsersInGroupError;
        let mut users = Vec::new();
        let mut next = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .client
                .list_users_in_group()
                .user_pool_id(&scope.user_pool_id)
                .group_name(group)
                .limit(60)
                .set_next_token(next)
                .send()
                .await
                .map_err(|e| match e.as_service_error() {
                    Some(ListUsersInGroupError::ResourceNotFoundException(_)) => {
                        UsersError::NoSuchGroup { pool: scope.user_pool_id.clone(), group: group.to_owned() }
                    }
                    _ => unavailable("list a group's users", e),
                })?;
            users.extend(page.users().iter().filter(|u| in_scope(scope, u.attributes())).cloned());
            next = page.next_token().map(str::to_owned);
            if next.is_none() {
                return Ok(users);
            }
        }
        Err(UsersError::Unavailable { what: "list a group's users", message: format!("more than {MAX_PAGES} pages") })
    }

    async fn everyone(&self, scope: &Scope) -> Result<Vec<UserType>, UsersError> {
        let mut users = Vec::new();
        let mut next = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .client
                .list_users()
                .user_pool_id(&scope.user_pool_id)
                .limit(60)
                .set_pagination_token(next)
                .send()
                .await
                .map_err(|e| unavailable("list users", e))?;
            users.extend(page.users().iter().filter(|u| in_scope(scope, u.attributes())).cloned());
            next = page.pagination_token().map(str::to_owned);
            if next.is_none() {
                return Ok(users);
            }
        }
        Err(UsersError::Unavailable { what: "list users", message: format!("more than {MAX_PAGES} pages") })
    }

    /// The user with `email`, with its tenant attribute, if the pool has one.
    async fn get(&self, scope: &Scope, email: &str) -> Result<Option<(User, Option<String>)>, UsersError> {
        use cognito::operation::admin_get_user::AdminGetUserError;
        match self.client.admin_get_user().user_pool_id(&scope.user_pool_id).username(email).send().await {
            Ok(out) => {
                let tenant = attribute(out.user_attributes(), TENANT_ATTRIBUTE);
                let user = User {
                    email: attribute(out.user_attributes(), "email").unwrap_or_else(|| email.to_owned()),
                    status: out.user_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    enabled: out.enabled(),
                    admin: false,
                };
                Ok(Some((user, tenant)))
            }
            Err(e) if matches!(e.as_service_error(), Some(AdminGetUserError::UserNotFoundException(_))) => Ok(None),
            Err(e) => Err(unavailable("read a user", e)),
        }
    }

    async fn join(&self, scope: &Scope, email: &str, admin: bool) -> Result<(), UsersError> {
        for group in groups(scope, admin) {
            // Adding a member again is a success in Cognito: a retry changes nothing.
            self.client
                .admin_add_user_to_group()
                .user_pool_id(&scope.user_pool_id)
                .username(email)
                .group_name(group)
                .send()
                .await
                .map_err(|e| unavailable("add a user to a group", e))?;
        }
        Ok(())
    }
}

fn unavailable<E: std::error::Error + 'static>(what: &'static str, error: E) -> UsersError {
    UsersError::Unavailable { what, message: DisplayErrorContext(error).to_string() }
}

fn attribute(attributes: &[AttributeType], name: &str) -> Option<String> {
    attributes.iter().find(|a| a.name() == name).and_then(|a| a.value()).map(str::to_owned)
}

/// Whether a user with `attributes` belongs to `scope`: its tenant attribute is the scope's
/// tenant (none in the admin pool).
fn in_scope(scope: &Scope, attributes: &[AttributeType]) -> bool {
    attribute(attributes, TENANT_ATTRIBUTE) == scope.tenant
}

fn user(u: &UserType, admins: &[UserType]) -> User {
    User {
        email: attribute(u.attributes(), "email").unwrap_or_default(),
        status: u.user_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
        enabled: u.enabled(),
        admin: admins.iter().any(|a| a.username() == u.username()),
    }
}

#[async_trait]
impl Users for CognitoUsers {
    async fn list(&self, scope: &Scope) -> Result<Vec<User>, UsersError> {
        let all = match &scope.group {
            Some(group) => self.members(scope, group).await?,
            None => self.everyone(scope).await?,
        };
        let admins = match &scope.admin_group {
            Some(group) => self.members(scope, group).await?,
            None => Vec::new(),
        };
        let mut users: Vec<User> = all.iter().map(|u| user(u, &admins)).collect();
        users.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(users)
    }

    async fn create(&self, scope: &Scope, email: &str, admin: bool) -> Result<Created, UsersError> {
        use cognito::operation::admin_create_user::AdminCreateUserError;
        let mut attributes = vec![
            AttributeType::builder().name("email").value(email).build().expect("a name"),
            AttributeType::builder().name("email_verified").value("true").build().expect("a name"),
        ];
        if let Some(tenant) = &scope.tenant {
            attributes.push(AttributeType::builder().name(TENANT_ATTRIBUTE).value(tenant).build().expect("a name"));
        }
        let made = self
            .client
            .admin_create_user()
            .user_pool_id(&scope.user_pool_id)
            .username(email)
            .set_user_attributes(Some(attributes))
            .desired_delivery_mediums(DeliveryMediumType::Email)
            .send()
            .await;
        let created = match made {
            Ok(out) => {
                let made = out.user().map(|u| user(u, &[])).unwrap_or_default();
                Created::New(User { email: email.to_owned(), ..made })
            }
            Err(e) if matches!(e.as_service_error(), Some(AdminCreateUserError::UsernameExistsException(_))) => {
                match self.get(scope, email).await? {
                    Some((found, tenant)) if tenant == scope.tenant => Created::Existing(found),
                    // Another tenant's user in a shared pool, or deleted since.
                    _ => return Err(UsersError::Taken { email: email.to_owned() }),
                }
            }
            Err(e) => return Err(unavailable("create a user", e)),
        };
        self.join(scope, email, admin).await?;
        Ok(match created {
            Created::New(u) => Created::New(User { admin, ..u }),
            Created::Existing(u) => Created::Existing(User { admin, ..u }),
        })
    }

    async fn delete(&self, scope: &Scope, email: &str) -> Result<bool, UsersError> {
        use cognito::operation::admin_delete_user::AdminDeleteUserError;
        match self.get(scope, email).await? {
            Some((_, tenant)) if tenant == scope.tenant => {}
            _ => return Ok(false),
        }
        match self.client.admin_delete_user().user_pool_id(&scope.user_pool_id).username(email).send().await {
            Ok(_) => Ok(true),
            // Deleted by someone else since it was read.
            Err(e) if matches!(e.as_service_error(), Some(AdminDeleteUserError::UserNotFoundException(_))) => Ok(false),
            Err(e) => Err(unavailable("delete a user", e)),
        }
    }
}

/// One user in memory: its tenant and groups.
#[derive(Debug, Clone)]
struct Stored {
    tenant: Option<String>,
    groups: Vec<String>,
}

/// Users in memory, by pool and email, with Cognito's rules: one user per email in a pool.
#[derive(Default)]
pub struct MemoryUsers {
    pools: Mutex<BTreeMap<(String, String), Stored>>,
}

impl MemoryUsers {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), Stored>> {
        self.pools.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every `(pool, email, tenant)` held, for tests.
    pub fn all(&self) -> Vec<(String, String, Option<String>)> {
        self.lock().iter().map(|((pool, email), s)| (pool.clone(), email.clone(), s.tenant.clone())).collect()
    }
}

/// Listed: of the scope's tenant and in its group, as a listing by group finds them.
fn listed(scope: &Scope, stored: &Stored) -> bool {
    stored.tenant == scope.tenant && scope.group.as_ref().is_none_or(|g| stored.groups.contains(g))
}

#[async_trait]
impl Users for MemoryUsers {
    async fn list(&self, scope: &Scope) -> Result<Vec<User>, UsersError> {
        Ok(self
            .lock()
            .iter()
            .filter(|((pool, _), stored)| *pool == scope.user_pool_id && listed(scope, stored))
            .map(|((_, email), stored)| User {
                email: email.clone(),
                status: "FORCE_CHANGE_PASSWORD".into(),
                enabled: true,
                admin: scope.admin_group.as_ref().is_some_and(|g| stored.groups.contains(g)),
            })
            .collect())
    }

    async fn create(&self, scope: &Scope, email: &str, admin: bool) -> Result<Created, UsersError> {
        let mut pools = self.lock();
        let key = (scope.user_pool_id.clone(), email.to_owned());
        let existed = pools.contains_key(&key);
        let stored = pools.entry(key).or_insert_with(|| Stored { tenant: scope.tenant.clone(), groups: Vec::new() });
        if stored.tenant != scope.tenant {
            return Err(UsersError::Taken { email: email.to_owned() });
        }
        for group in groups(scope, admin) {
            if !stored.groups.iter().any(|g| g == group) {
                stored.groups.push(group.to_owned());
            }
        }
        let user = User { email: email.to_owned(), status: "FORCE_CHANGE_PASSWORD".into(), enabled: true, admin };
        Ok(if existed { Created::Existing(user) } else { Created::New(user) })
    }

    async fn delete(&self, scope: &Scope, email: &str) -> Result<bool, UsersError> {
        let mut pools = self.lock();
        let key = (scope.user_pool_id.clone(), email.to_owned());
        match pools.get(&key) {
            // As in Cognito: the tenant attribute decides, whatever the groups.
            Some(stored) if stored.tenant == scope.tenant => {
                pools.remove(&key);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
