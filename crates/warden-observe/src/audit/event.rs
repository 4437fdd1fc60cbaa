//! One security event before it is sealed into the chain. The writer adds the
//! sequence number, the previous record's hash and its own hash; the time is taken
//! here, when the event happened, not when it reached the disk.

use std::time::SystemTime;

use serde_json::{Map, Value};

/// Field names the writer owns; an event cannot set them.
pub(crate) const RESERVED: [&str; 5] = ["seq", "time", "kind", "prev", "hash"];

#[derive(Clone, Debug)]
pub struct Event {
    pub(crate) kind: &'static str,
    pub(crate) time: SystemTime,
    pub(crate) fields: Map<String, Value>,
}

impl Event {
    pub fn new(kind: &'static str) -> Event {
        Event { kind, time: SystemTime::now(), fields: Map::new() }
    }

    /// Adds a field; `None` values are left out rather than written as null, and the
    /// writer's own field names are ignored.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Event {
        let value = value.into();
        if !value.is_null() && !RESERVED.contains(&name) {
            self.fields.insert(name.to_string(), value);
        }
        self
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }

    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }
}
