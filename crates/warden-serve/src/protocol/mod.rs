//! Wire formats: the Open Inference Protocol v2 (with the binary tensor extension)
//! and the simple v1 predict API.

pub mod data;
pub mod v1;
pub mod v2;
