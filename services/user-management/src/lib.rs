//! User management: tenant administrators manage their own tenant's users, and provider
//! administrators manage the admin pool's.
//!
//! - `GET /{tenant}/users`, `POST /{tenant}/users` (`{"email": ..., "admin": false}`),
//!   `DELETE /{tenant}/users/{email}`: for members of the tenant's admin group
//!   (`admins-<tenant>`, [`tenancy::model::naming::tenant_admin_group`]) only.
//! - `GET /admin-users`, `POST /admin-users`, `DELETE /admin-users/{email}`: for provider
//!   administrators (admin-pool tokens without a tenant claim, [`tenant_context::AdminContext`]).
//!
//! This one deployment serves every tenant, so it cannot trust a fixed list of issuers. For each
//! request it reads, from the tenant directory, where the path's tenant signs in, and accepts a
//! token only from that issuer, for that tenant's app client, claiming that tenant
//! ([`tenant_context::Verifier::verify_for`]). A tenant admin of A therefore cannot reach B's
//! users: B's route wants B's issuer (or, in the shared pool, B's client and claim).
//!
//! Every user made here carries `custom:tenant-id`, set from the verified path tenant, never from
//! the request body; the attribute is immutable in every tenant pool. A pooled tenant's users are
//! also members of its group, so the shared pool's listing by group shows only them. The
//! reference's user management made users without the tenant attribute (its issues #25, #53).

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tenancy::model::naming::tenant_admin_group;
use tenancy::model::{EmailAddress, TenantId};
use tenancy_registry::Directory;
use tenant_context::{
    AdminContext, AppError, HasAdminVerifier, JsonBody, PathParams, TenantContext, TenantIssuer, Verifier,
};

pub use tenancy_registry::users::{CognitoUsers, Created, MemoryUsers, Scope, User, Users, UsersError};

/// What the service holds.
pub struct AppState {
    /// Where users are made.
    pub users: Arc<dyn Users>,
    /// Where each tenant signs in (the tenant table).
    pub directory: Arc<dyn Directory>,
    /// Verifies tenant users' tokens against the issuer the directory names for their tenant.
    pub tenants: Arc<Verifier>,
    /// Verifies provider administrators' tokens (the admin pool and console client only).
    pub admins: Arc<Verifier>,
    /// The pool shared by pooled-identity tenants, if a tier has them: its tenants' users are
    /// also in their group.
    pub shared_pool_id: Option<String>,
    /// The admin pool.
    pub admin_pool_id: String,
}

impl HasAdminVerifier for AppState {
    fn admin_verifier(&self) -> &Verifier {
        &self.admins
    }
}

/// A verified administrator of the tenant in the path, and the users they manage.
pub struct TenantAdmin {
    pub context: TenantContext,
    pub scope: Scope,
}

impl FromRequestParts<Arc<AppState>> for TenantAdmin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, AppError> {
        let tenant = TenantId::parse(tenant_context::identity::path_tenant(parts.uri.path()))
            .map_err(|invalid| AppError::BadRequest(format!("tenant: {} ({})", invalid.message, invalid.help)))?;
        let token = tenant_context::identity::bearer(parts)?;
        let sign_in = state.directory.sign_in(tenant.as_str()).await?.ok_or_else(|| {
            AppError::NotFound(format!("tenant: no tenant `{tenant}` (or its stack is not deployed yet)"))
        })?;
        let issuer = TenantIssuer { issuer: sign_in.issuer, client_id: sign_in.client_id };
        let context = state.tenants.verify_for(token, tenant.as_str(), &issuer).await?;
        let admins = tenant_admin_group(&tenant);
        if !context.is_member(&admins) {
            return Err(AppError::Forbidden(format!(
                "only the tenant's administrators (group {admins}) manage its users"
            )));
        }
        // A pool shared by tenants: the platform's tenant pool, or a pooled tier's cell's (its
        // tenants' records name the cell's access role). Its users join their tenant's group,
        // which offboarding's purge empties.
        let shared =
            state.shared_pool_id.as_deref() == Some(sign_in.user_pool_id.as_str()) || sign_in.access_role_arn.is_some();
        Ok(TenantAdmin { context, scope: Scope::of_tenant(&tenant, sign_in.user_pool_id, shared) })
    }
}

/// A user to make.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    email: String,
    #[serde(default)]
    admin: bool,
}

/// The user made, and whether it was made now.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Made {
    #[serde(flatten)]
    pub user: User,
    /// `false` when the user existed already (a retry): nothing was made twice.
    pub created: bool,
}

/// Users, by email.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Listing {
    pub users: Vec<User>,
}

fn email(value: &str) -> Result<String, AppError> {
    EmailAddress::parse(&value.trim().to_ascii_lowercase())
        .map(|e| e.as_str().to_owned())
        .map_err(|invalid| AppError::BadRequest(format!("email: {} ({})", invalid.message, invalid.help)))
}

async fn create(users: &dyn Users, scope: &Scope, input: NewUser) -> Result<(StatusCode, Json<Made>), AppError> {
    let email = email(&input.email)?;
    Ok(match users.create(scope, &email, input.admin).await? {
        Created::New(user) => (StatusCode::CREATED, Json(Made { user, created: true })),
        Created::Existing(user) => (StatusCode::OK, Json(Made { user, created: false })),
    })
}

/// Who counts as an administrator where a user is deleted: the tenant's admin group's members,
/// or, in the admin pool, everyone.
#[derive(Clone, Copy)]
enum Administrators {
    InAdminGroup,
    Everyone,
}

/// Deletes `value`'s user from `scope`, unless it is the scope's last administrator: deleting
/// that one would leave the tenant (or the provider) no one to manage its users, and only the
/// platform team could make another. Two deletions at once can both pass this check (Cognito
/// has no transaction over a group's members); a tenant stack's admin user is made again by its
/// next apply.
async fn remove(
    users: &dyn Users,
    scope: &Scope,
    value: &str,
    administrators: Administrators,
) -> Result<StatusCode, AppError> {
    let email = email(value)?;
    let listed = users.list(scope).await?;
    let admins: Vec<&str> = listed
        .iter()
        .filter(|u| matches!(administrators, Administrators::Everyone) || u.admin)
        .map(|u| u.email.as_str())
        .collect();
    if admins == [email.as_str()] {
        return Err(AppError::Conflict(format!(
            "email: `{email}` is the last administrator here; make another administrator first"
        )));
    }
    if users.delete(scope, &email).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("email: no user `{email}` here")))
    }
}

#[derive(Debug, Deserialize)]
struct UserPath {
    email: String,
}

async fn list_tenant_users(State(state): State<Arc<AppState>>, admin: TenantAdmin) -> Result<Json<Listing>, AppError> {
    Ok(Json(Listing { users: state.users.list(&admin.scope).await? }))
}

async fn create_tenant_user(
    State(state): State<Arc<AppState>>,
    admin: TenantAdmin,
    JsonBody(input): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<Made>), AppError> {
    let made = create(state.users.as_ref(), &admin.scope, input).await?;
    tracing::info!(
        tenant = admin.context.tenant_id,
        by = admin.context.subject,
        created = made.1.created,
        "tenant user"
    );
    Ok(made)
}

async fn delete_tenant_user(
    State(state): State<Arc<AppState>>,
    admin: TenantAdmin,
    PathParams(path): PathParams<UserPath>,
) -> Result<StatusCode, AppError> {
    let done = remove(state.users.as_ref(), &admin.scope, &path.email, Administrators::InAdminGroup).await?;
    tracing::info!(tenant = admin.context.tenant_id, by = admin.context.subject, "tenant user deleted");
    Ok(done)
}

fn admin_scope(state: &AppState) -> Scope {
    Scope::admin_pool(state.admin_pool_id.clone())
}

async fn list_admin_users(State(state): State<Arc<AppState>>, _admin: AdminContext) -> Result<Json<Listing>, AppError> {
    Ok(Json(Listing { users: state.users.list(&admin_scope(&state)).await? }))
}

async fn create_admin_user(
    State(state): State<Arc<AppState>>,
    admin: AdminContext,
    JsonBody(input): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<Made>), AppError> {
    if input.admin {
        return Err(AppError::BadRequest(
            "admin: every admin-pool user is a provider administrator; leave it out".into(),
        ));
    }
    let made = create(state.users.as_ref(), &admin_scope(&state), input).await?;
    tracing::info!(by = admin.subject, created = made.1.created, "provider administrator");
    Ok(made)
}

async fn delete_admin_user(
    State(state): State<Arc<AppState>>,
    admin: AdminContext,
    PathParams(path): PathParams<UserPath>,
) -> Result<StatusCode, AppError> {
    let done = remove(state.users.as_ref(), &admin_scope(&state), &path.email, Administrators::Everyone).await?;
    tracing::info!(by = admin.subject, "provider administrator deleted");
    Ok(done)
}

async fn health() -> &'static str {
    "ok"
}

/// The service's routes, ready for `serve::run` or for tests (`oneshot`).
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/admin-users", get(list_admin_users).post(create_admin_user))
        .route("/admin-users/{email}", delete(delete_admin_user))
        .route("/{tenant}/users", get(list_tenant_users).post(create_tenant_user))
        .route("/{tenant}/users/{email}", delete(delete_tenant_user))
        .with_state(state);
    tenant_context::serve::layers(api)
}
