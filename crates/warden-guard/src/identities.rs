//! Scopes for client-certificate identities, from a TOML file an operator keeps:
//!
//! ```toml
//! "spiffe://example.org/ns/prod/sa/batch" = ["infer:digits"]
//! "reports.internal.example.org" = ["infer:*"]
//! ```
//!
//! A certificate the CA vouches for but that is not listed authenticates with no
//! scopes, so it can do nothing: deny by default holds for certificates too.

use std::collections::HashMap;
use std::path::Path;

use crate::error::GuardError;
use crate::identity::Identity;
use crate::scope::Scope;

#[derive(Debug, Default)]
pub struct IdentityScopes {
    scopes: HashMap<String, Vec<Scope>>,
}

impl IdentityScopes {
    pub fn parse(text: &str) -> Result<IdentityScopes, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string().trim_end().to_string())?;
        let mut scopes = HashMap::new();
        let mut problems = Vec::new();
        for (identity, value) in table {
            let list = value.as_array().map(|items| items.iter().map(|v| v.as_str()).collect::<Option<Vec<_>>>());
            match list {
                Some(Some(names)) => match names.iter().map(|s| s.parse::<Scope>()).collect::<Result<Vec<_>, _>>() {
                    Ok(parsed) => {
                        scopes.insert(identity, parsed);
                    }
                    Err(e) => problems.push(format!("'{identity}': {e}")),
                },
                _ => problems.push(format!("'{identity}': expected a list of scopes like [\"infer:model\"]")),
            }
        }
        if problems.is_empty() { Ok(IdentityScopes { scopes }) } else { Err(problems.join("; ")) }
    }

    pub fn load(path: &Path) -> Result<IdentityScopes, GuardError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| GuardError::Io { path: path.to_path_buf(), source })?;
        IdentityScopes::parse(&text).map_err(|message| GuardError::KeyFile { path: path.to_path_buf(), message })
    }

    /// The identity of a verified certificate whose name is `name`.
    pub fn identity(&self, name: &str) -> Identity {
        Identity {
            id: format!("cert:{name}"),
            name: name.to_string(),
            scopes: self.scopes.get(name).cloned().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_names_to_scopes() {
        let ids =
            IdentityScopes::parse("\"spiffe://t/ns/a\" = [\"infer:m\", \"admin\"]\n\"host.example\" = []").unwrap();
        let a = ids.identity("spiffe://t/ns/a");
        assert_eq!(a.id, "cert:spiffe://t/ns/a");
        assert_eq!(a.scopes, vec![Scope::Infer("m".into()), Scope::Admin]);
        assert!(ids.identity("host.example").scopes.is_empty());
        assert!(ids.identity("unknown").scopes.is_empty());
    }

    #[test]
    fn reports_every_bad_entry() {
        let err = IdentityScopes::parse("a = \"admin\"\nb = [\"root\"]\nc = [1]").unwrap_err();
        assert!(err.contains("'a'") && err.contains("'b'") && err.contains("'c'"), "{err}");
        assert!(IdentityScopes::parse("not toml [").is_err());
    }
}
