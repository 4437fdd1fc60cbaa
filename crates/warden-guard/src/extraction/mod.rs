//! Extraction detection: deciding from a client's queries whether it is stealing
//! the model. Pure state machines; the server feeds them and acts on the verdict.

mod normality;
mod prada;

pub use normality::shapiro_wilk;
pub use prada::{Prada, PradaConfig, Verdict};
