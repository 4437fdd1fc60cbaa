//! What Warden records about itself: a tamper-evident audit log of security events,
//! and the redactor every log line and error message passes.
//! Kept free of the server's dependencies so tools (`warden audit-log verify`) and
//! other servers can use it alone.
#![forbid(unsafe_code)]

pub mod audit;
pub mod logging;
pub mod redact;
