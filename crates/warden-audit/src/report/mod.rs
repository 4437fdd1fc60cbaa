//! The three outputs: a table for people, JSON for scripts, SARIF for code scanning.
//! Every finding appears in every format whatever its severity.

mod json;
mod sarif;
mod table;

pub use json::json;
pub use sarif::{sarif, uri as sarif_uri};
pub use table::table;
