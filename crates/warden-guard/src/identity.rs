//! Who is calling, once authenticated.

use crate::scope::Scope;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Stable and unique: `key:<id>` for API keys. Safe to log.
    pub id: String,
    /// The human name given at creation.
    pub name: String,
    pub scopes: Vec<Scope>,
}
